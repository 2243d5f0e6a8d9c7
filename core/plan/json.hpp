#pragma once
// The plan file: deterministic JSON (fixed member order, 2-space indent, trailing newline,
// same plan → same bytes) and a parser that points at what is wrong (docs/plan.md).
#include <nlohmann/json.hpp>
#include <string>

#include "core/plan/model.hpp"

namespace dbsplit::plan {

// The plan as JSON, members in the documented order.
nlohmann::ordered_json to_json(const Plan& plan);
// The exact bytes of a plan file.
std::string to_json_text(const Plan& plan);

// Parses a plan file's text; `source` names it in errors. Throws UsageError
// "<source>:<line>:<column>: ..." for malformed JSON and "<source>: <json pointer>: ..."
// for a well-formed file that is not a valid plan (wrong type, missing member, other
// version, a service naming a table missing from the schema snapshot). Never anything else.
Plan plan_from_json_text(const std::string& text, const std::string& source);

// Reads a plan file; throws UsageError naming the path when it cannot be read or parsed.
Plan read_plan_file(const std::string& path);
// Writes a plan file atomically (temporary file + rename); throws RuntimeError on failure.
void write_plan_file(const Plan& plan, const std::string& path);

// The plan-file spelling of the analysis enums ("api_composition", "foreign_key", ...).
const char* pattern_name(analysis::Pattern pattern);
const char* kind_name(analysis::DependencyKind kind);

}  // namespace dbsplit::plan
