#pragma once
// Internals shared by the introspection files (one per group of object kinds).
// Not part of the public interface: include core/catalog/introspect.hpp instead.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/catalog/model.hpp"

namespace dbsplit::catalog::detail {

// The read-only snapshot every catalog query of one introspection runs in.
using Snapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// SQL condition true for a namespace `alias` holding user objects: not a system schema,
// not dbsplit's own, not excluded by the user. $1 is the JSON array of excluded names.
std::string user_namespace(const std::string& alias);

// SQL condition true when the pg_class/pg_proc/pg_type row `oid_expr` of catalog
// `catalog` belongs to an extension (pg_depend deptype 'e').
std::string extension_member(const std::string& catalog, const std::string& oid_expr);

// Runs one batched catalog query, passing the excluded schemas (a JSON array) as $1
// when the query refers to it.
pqxx::result query(Snapshot& tx, const std::string& sql, const std::string& excluded_json);

// A JSON array column (json_agg/to_json) as strings; null entries become "".
std::vector<std::string> string_array(const pqxx::field& field);

// Tables by oid, to attach columns, constraints and indexes found in batched queries.
using TableIndex = std::unordered_map<long long, Table*>;

// Fills schema.tables (sorted, with partitions linked) and returns them by oid; the
// vector must not change size afterwards.
TableIndex read_tables(Snapshot& tx, const std::string& excluded, Schema& schema);
void read_columns(Snapshot& tx, const std::string& excluded, const TableIndex& tables);
// Constraints and indexes are fetched and applied in two steps so that another
// connection can fetch them while this one reads the columns they name.
pqxx::result fetch_constraints(Snapshot& tx, const std::string& excluded);
void apply_constraints(const pqxx::result& rows, const TableIndex& tables);
pqxx::result fetch_indexes(Snapshot& tx, const std::string& excluded);
void apply_indexes(const pqxx::result& rows, const TableIndex& tables);
void read_foreign_keys(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                       Schema& schema);
void read_views(Snapshot& tx, const std::string& excluded, Schema& schema);
void read_sequences(Snapshot& tx, const std::string& excluded, Schema& schema);
void read_functions(Snapshot& tx, const std::string& excluded, Schema& schema);
void read_triggers(Snapshot& tx, const std::string& excluded, Schema& schema);
void read_types(Snapshot& tx, const std::string& excluded, Schema& schema);

// "schema.table.column" of a column, reported under the partition root for columns of
// partitions (the root is the unit dbsplit moves), so lists name each column once.
std::string column_ref(const Schema& schema, const std::string& table_schema,
                       const std::string& table, const std::string& column);

}  // namespace dbsplit::catalog::detail
