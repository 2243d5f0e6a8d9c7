// Indexes of every user table, in one query. Their definitions are spelled here, as
// pg_get_indexdef would, whenever the index is plain enough for that to be exact: on
// 10,000 tables pg_get_indexdef cost ~800 ms of server time (per index it opens the
// table and scans pg_opclass to learn whether each operator class is the default).
// The server deparses only the others (expressions, predicates, non-default operator
// classes, collations or orderings, storage options).
#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "core/catalog/introspect_detail.hpp"

namespace dbsplit::catalog::detail {
namespace {

// Default operator classes by oid: (access method, input type). Domains are left out:
// an index on a domain column looks its default operator class up by the base type.
using DefaultOpclasses = std::map<uint32_t, std::pair<uint32_t, uint32_t>>;

DefaultOpclasses read_default_opclasses(Snapshot& tx) {
  DefaultOpclasses out;
  for (const auto& row : tx.exec(R"(
      SELECT oc.oid::bigint, oc.opcmethod::bigint, oc.opcintype::bigint
      FROM pg_opclass oc
      JOIN pg_type t ON t.oid = oc.opcintype
      WHERE oc.opcdefault AND t.typtype <> 'd')"))
    out[row[0].as<uint32_t>()] = {row[1].as<uint32_t>(), row[2].as<uint32_t>()};
  return out;
}

const ColumnOids* column_oids(const TableEntry& entry, int64_t attnum) {
  for (const auto& c : entry.columns)
    if (c.position == attnum) return &c;
  return nullptr;
}

// One row of the index query, as read.
struct IndexRow {
  long long oid = 0;
  const TableEntry* table = nullptr;
  Index index;
  std::vector<int64_t> keys;  // indkey: key columns, then INCLUDE columns
  size_t key_count = 0;       // indnkeyatts
  bool partitioned = false;   // a partitioned table's index: "ON ONLY"
  uint32_t access_method = 0;
  std::string access_method_name;
  std::vector<int64_t> opclasses;
  std::vector<int64_t> collations;
  std::vector<int64_t> options;  // indoption: DESC, NULLS FIRST
  bool nulls_not_distinct = false;
  bool plain = false;  // no expressions, predicate, storage or column options
};

// pg_get_indexdef's text for an index that names no operator class, collation or
// ordering, nullopt when the index needs more than that (the server then deparses it).
std::optional<std::string> plain_definition(const IndexRow& r, const DefaultOpclasses& defaults,
                                            const IdentifierQuoter& quote) {
  if (!r.plain || r.keys.size() < r.key_count || r.opclasses.size() < r.key_count ||
      r.collations.size() < r.key_count || r.options.size() < r.key_count)
    return std::nullopt;
  const Table& table = *r.table->table;
  std::string columns;
  for (size_t k = 0; k < r.keys.size(); ++k) {
    const ColumnOids* column = column_oids(*r.table, r.keys[k]);
    const std::string& name = r.index.columns.at(k);
    if (r.keys[k] == 0 || column == nullptr || name.empty()) return std::nullopt;
    if (k < r.key_count) {
      auto opclass = defaults.find(static_cast<uint32_t>(r.opclasses[k]));
      if (opclass == defaults.end() ||
          opclass->second != std::make_pair(r.access_method, column->type))
        return std::nullopt;
      if (r.collations[k] != 0 && r.collations[k] != column->collation) return std::nullopt;
      if (r.options[k] != 0) return std::nullopt;
    }
    if (k == r.key_count)
      columns += ") INCLUDE (";
    else if (k > 0)
      columns += ", ";
    columns += quote(name);
  }
  return std::string("CREATE ") + (r.index.unique ? "UNIQUE " : "") + "INDEX " +
         quote(r.index.name) + " ON " + (r.partitioned ? "ONLY " : "") + quote(table.schema) + "." +
         quote(table.name) + " USING " + quote(r.access_method_name) + " (" + columns + ")" +
         (r.nulls_not_distinct ? " NULLS NOT DISTINCT" : "");
}

}  // namespace

void read_indexes(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                  const IdentifierQuoter& quote) {
  DefaultOpclasses defaults = read_default_opclasses(tx);
  // Options on an index column (an operator class parameter) are rare: one pass over
  // pg_attribute finds the indexes that have any.
  auto rows = query(tx, R"(
    SELECT i.indexrelid::bigint, i.indrelid::bigint, ic.relname, i.indisunique,
           i.indisprimary, i.indisreplident, i.indkey::text, i.indnkeyatts,
           ic.relkind = 'I', ic.relam::bigint, am.amname, i.indclass::text,
           i.indcollation::text, i.indoption::text, i.indnullsnotdistinct,
           i.indexprs IS NULL AND i.indpred IS NULL AND ic.reloptions IS NULL
             AND i.indexrelid NOT IN (SELECT attrelid FROM pg_attribute
                                      WHERE attoptions IS NOT NULL)
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE )" + user_table(),
                    excluded);
  std::vector<IndexRow> indexes;
  indexes.reserve(rows.size());
  for (const auto& row : rows) {
    IndexRow r;
    r.table = find(tables, row[1].as<long long>());
    if (r.table == nullptr) continue;
    r.oid = row[0].as<long long>();
    r.index.name = row[2].as<std::string>();
    r.index.unique = row[3].as<bool>();
    r.index.primary = row[4].as<bool>();
    if (row[5].as<bool>()) r.table->table->replica_identity_index = r.index.name;
    r.keys = numbers(row[6]);
    r.key_count = row[7].as<size_t>();
    r.partitioned = row[8].as<bool>();
    r.access_method = row[9].as<uint32_t>();
    r.access_method_name = row[10].as<std::string>();
    r.opclasses = numbers(row[11]);
    r.collations = numbers(row[12]);
    r.options = numbers(row[13]);
    r.nulls_not_distinct = row[14].as<bool>();
    r.plain = row[15].as<bool>();
    // Key columns only (not INCLUDE columns); expression columns (attnum 0) are "".
    r.index.columns = column_names(*r.table->table, r.keys);
    indexes.push_back(std::move(r));
  }

  std::string to_deparse;
  for (auto& r : indexes) {
    if (auto definition = plain_definition(r, defaults, quote)) {
      r.index.definition = std::move(*definition);
    } else {
      to_deparse += (to_deparse.empty() ? "{" : ",") + std::to_string(r.oid);
    }
  }
  if (!to_deparse.empty()) {
    std::map<long long, std::string> deparsed;
    for (const auto& row : tx.exec_params(
             "SELECT i::bigint, pg_get_indexdef(i) FROM unnest($1::oid[]) AS i", to_deparse + "}"))
      deparsed[row[0].as<long long>()] = row[1].as<std::string>();
    for (auto& r : indexes)
      if (r.index.definition.empty()) r.index.definition = deparsed[r.oid];
  }

  for (auto& r : indexes) {
    r.index.columns.resize(std::min(r.index.columns.size(), r.key_count));
    r.table->table->indexes.push_back(std::move(r.index));
  }
  for (auto& [oid, entry] : tables)
    std::sort(entry.table->indexes.begin(), entry.table->indexes.end(),
              [](const Index& a, const Index& b) { return a.name < b.name; });
}

}  // namespace dbsplit::catalog::detail
