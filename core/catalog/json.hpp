#pragma once
// The catalog model as JSON (used in analysis output and in plan files), and its
// fingerprint: a hash that ignores object ids and statistics.
#include <nlohmann/json.hpp>
#include <string>

#include "core/catalog/model.hpp"
#include "core/util/json_writer.hpp"

namespace dbsplit::catalog {

// Deterministic: same schema, same JSON (sorted, no statistics unless asked).
enum class WithStatistics { no, yes };
nlohmann::json to_json(const Schema& schema, WithStatistics stats = WithStatistics::no);
// The same document through a writer: to_json(schema).dump(2) without the tree.
void write_json(const Schema& schema, JsonWriter& writer,
                WithStatistics stats = WithStatistics::no);
// Throws UsageError naming the JSON pointer of the first malformed member.
Schema schema_from_json(const nlohmann::json& json);

// "sha256:<hex>" over the structural content of the schema (names, columns, types,
// keys, constraints, foreign keys, indexes, views, sequences, triggers, types);
// not over estimated rows/bytes or object ids.
std::string fingerprint(const Schema& schema);

}  // namespace dbsplit::catalog
