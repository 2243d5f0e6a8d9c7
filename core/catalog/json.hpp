#pragma once
// The catalog model as JSON (used in analysis output and in plan files), and its
// fingerprint: a hash that ignores object ids and statistics.
#include <string>

#include <nlohmann/json.hpp>

#include "core/catalog/model.hpp"

namespace dbsplit::catalog {

// Deterministic: same schema, same JSON (sorted, no statistics unless asked).
enum class WithStatistics { no, yes };
nlohmann::json to_json(const Schema& schema, WithStatistics stats = WithStatistics::no);
// Throws UsageError naming the JSON pointer of the first malformed member.
Schema schema_from_json(const nlohmann::json& json);

// "sha256:<hex>" over the structural content of the schema (names, columns, types,
// keys, constraints, foreign keys, indexes, views, sequences, triggers, types);
// not over estimated rows/bytes or object ids.
std::string fingerprint(const Schema& schema);

}  // namespace dbsplit::catalog
