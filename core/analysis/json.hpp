#pragma once
// The analysis as JSON: the `--format json` output of `dbsplit analyze` (documented in
// docs/analyze.md) and the input of `dbsplit plan --from-analysis`.
#include <nlohmann/json.hpp>
#include <string>

#include "core/analysis/model.hpp"
#include "core/util/json_writer.hpp"

namespace dbsplit::analysis {

// Deterministic: the same analysis gives the same text (lists are already sorted).
nlohmann::json to_json(const Analysis& analysis);
// The same document through a writer, text-identical to to_json(analysis).dump(2): what
// `--format json` prints, without building the tree of a large schema first.
void write_json(const Analysis& analysis, JsonWriter& writer);

// Reads what to_json wrote (the workload's statements are not in it; its sources and
// counts are). Throws UsageError naming the JSON pointer of the first malformed member.
Analysis analysis_from_json(const nlohmann::json& json);

Signal signal_from_string(const std::string& name);                   // throws UsageError
Pattern pattern_from_string(const std::string& name);                 // throws UsageError
DependencyKind dependency_kind_from_string(const std::string& name);  // throws UsageError

}  // namespace dbsplit::analysis
