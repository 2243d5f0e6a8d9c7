#pragma once
// Internals shared by the introspection files (one per group of object kinds).
// Not part of the public interface: include core/catalog/introspect.hpp instead.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <unordered_set>
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

// SQL condition selecting the user tables (relkind r and p) of the model as `c` in
// namespace `n`: in a user namespace and not an extension's.
std::string user_table(const std::string& c = "c", const std::string& n = "n");

// Runs one batched catalog query, passing the excluded schemas (a JSON array) as $1
// when the query refers to it.
pqxx::result query(Snapshot& tx, const std::string& sql, const std::string& excluded_json);

// A JSON array column (json_agg/to_json) as strings; null entries become "".
std::vector<std::string> string_array(const pqxx::field& field);

// The numbers of a catalog array or vector column: "{2,1}" (int2[]), "2 1" (int2vector,
// oidvector); empty for null.
std::vector<int64_t> numbers(const pqxx::field& field);

// Spells an identifier as the server's quote_identifier() does, so that definitions
// built here read exactly like the server's pg_get_*def() text: quoted unless it is all
// lower-case letters, digits and underscores (not starting with a digit) and not a
// keyword the server quotes. Unlike pg::quote_ident (libpg_query's PostgreSQL 15 keyword
// list), it asks the server for its keywords, which newer servers extend, and honours
// quote_all_identifiers; and it quotes 100,000 names in a few milliseconds.
class IdentifierQuoter {
 public:
  enum class QuoteAll { no, yes };  // the server's quote_all_identifiers setting
  IdentifierQuoter() = default;
  IdentifierQuoter(std::unordered_set<std::string> keywords, QuoteAll quote_all);
  std::string operator()(const std::string& identifier) const;

 private:
  std::unordered_set<std::string> keywords_;  // every keyword but the unreserved ones
  QuoteAll quote_all_ = QuoteAll::no;
};

// Reads the keyword list (pg_get_keywords) and quote_all_identifiers of the server.
IdentifierQuoter read_identifier_quoter(Snapshot& tx);

// What an index definition needs to know of a column besides its name: whether an
// operator class or collation is the column's default depends on its type and collation.
struct ColumnOids {
  int position = 0;  // attnum
  uint32_t type = 0;
  int type_modifier = -1;
  uint32_t collation = 0;
};

struct TableEntry {
  Table* table = nullptr;
  std::vector<ColumnOids> columns;  // filled by read_columns
};

// Tables by oid, to attach columns, constraints and indexes found in batched queries.
using TableIndex = std::unordered_map<long long, TableEntry>;

// A column of a table left out of the model (an extension's): read with the others only
// to say which columns use a user type.
struct OutsideColumn {
  std::string table_schema;
  std::string table;
  std::string column;
  std::string type;  // "schema.name" of the base type
};

// Names of the columns at the given attribute numbers of `table`, in order; "" for 0
// (an index expression) or a number the table does not have.
std::vector<std::string> column_names(const Table& table, const std::vector<int64_t>& attnums);

// "a, \"B\"": names quoted and joined as the server's deparsers list columns.
std::string quoted_list(const std::vector<std::string>& names, const IdentifierQuoter& quote);

const TableEntry* find(const TableIndex& tables, long long oid);

// Fills schema.tables (sorted, with partitions linked) and returns them by oid; the
// vector must not change size afterwards.
TableIndex read_tables(Snapshot& tx, const std::string& excluded, Schema& schema);
// Fills the columns of every table (in attnum order) and returns the columns of tables
// in user schemas that are not in the model.
std::vector<OutsideColumn> read_columns(Snapshot& tx, const std::string& excluded,
                                        TableIndex& tables);
void read_indexes(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                  const IdentifierQuoter& quote);
void read_foreign_keys(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                       const IdentifierQuoter& quote, Schema& schema);

// The other kinds are fetched and applied in two steps, so that a second connection can
// fetch them (deparsing check constraints opens every table that has one) while the
// first reads the tables; they are applied once both are done.
pqxx::result fetch_constraints(Snapshot& tx, const std::string& excluded);
void apply_constraints(const pqxx::result& rows, const TableIndex& tables,
                       const IdentifierQuoter& quote);
pqxx::result fetch_views(Snapshot& tx, const std::string& excluded);
void apply_views(const pqxx::result& rows, Schema& schema);
pqxx::result fetch_sequences(Snapshot& tx, const std::string& excluded);
void apply_sequences(const pqxx::result& rows, Schema& schema);  // after the tables
pqxx::result fetch_functions(Snapshot& tx, const std::string& excluded);
void apply_functions(const pqxx::result& rows, Schema& schema);
pqxx::result fetch_triggers(Snapshot& tx, const std::string& excluded);
void apply_triggers(const pqxx::result& rows, Schema& schema);
pqxx::result fetch_types(Snapshot& tx, const std::string& excluded);
// After the columns: which columns use each type comes from them.
void apply_types(const pqxx::result& rows, Schema& schema,
                 const std::vector<OutsideColumn>& outside_columns);

// "schema.table.column" of a column, reported under the partition root for columns of
// partitions (the root is the unit dbsplit moves), so lists name each column once.
std::string column_ref(const Schema& schema, const std::string& table_schema,
                       const std::string& table, const std::string& column);

}  // namespace dbsplit::catalog::detail
