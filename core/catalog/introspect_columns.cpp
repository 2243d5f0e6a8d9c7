// The columns of every user table, in one pass over pg_attribute, their types named
// once per distinct type afterwards.
#include <algorithm>
#include <map>
#include <utility>

#include "core/catalog/introspect_detail.hpp"

namespace dbsplit::catalog::detail {
namespace {

// Types of columns by (oid, modifier), named by name_types.
struct NamedType {
  std::string formatted;    // format_type(), e.g. "character varying(40)"
  std::string base_schema;  // of the base type (the element type of an array)
  std::string base_name;
};
using TypeKey = std::pair<uint32_t, int>;  // atttypid, atttypmod
using TypeNames = std::map<TypeKey, NamedType>;

// A column of a table outside the model, as read, before its names are known.
struct OutsideRow {
  long long table = 0;
  std::string column;
  TypeKey type;
};

// Names every type of `types` in one query: format_type and the joins to pg_type cost a
// quarter of the columns query when done for each of 64,000 columns, for ~30 types.
// Arrays are reported by their element type, so a column of order_status[] names the
// enum it stores.
void name_types(Snapshot& tx, TypeNames& types) {
  if (types.empty()) return;
  std::string oids = "{";
  std::string modifiers = "{";
  for (const auto& [key, named] : types) {
    oids += (oids.size() > 1 ? "," : "") + std::to_string(key.first);
    modifiers += (modifiers.size() > 1 ? "," : "") + std::to_string(key.second);
  }
  auto rows = tx.exec_params(R"(
    SELECT x.oid::bigint, x.modifier, format_type(x.oid, x.modifier), bn.nspname, bt.typname
    FROM unnest($1::oid[], $2::int4[]) AS x(oid, modifier)
    JOIN pg_type t ON t.oid = x.oid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                                     THEN t.typelem ELSE t.oid END
    JOIN pg_namespace bn ON bn.oid = bt.typnamespace)",
                             oids + "}", modifiers + "}");
  for (const auto& row : rows)
    types[{row[0].as<uint32_t>(), row[1].as<int>()}] = {
        row[2].as<std::string>(), row[3].as<std::string>(), row[4].as<std::string>()};
}

// The columns of tables outside the model, with their tables' and base types' names.
std::vector<OutsideColumn> outside_columns(Snapshot& tx, const TypeNames& types,
                                           const std::vector<OutsideRow>& rows) {
  std::vector<OutsideColumn> out;
  if (rows.empty()) return out;
  std::string oids = "{";
  for (const auto& row : rows) oids += (oids.size() > 1 ? "," : "") + std::to_string(row.table);
  std::map<long long, std::pair<std::string, std::string>> names;
  for (const auto& row : tx.exec_params(R"(
      SELECT c.oid::bigint, n.nspname, c.relname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY ($1::oid[]))",
                                        oids + "}"))
    names[row[0].as<long long>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  for (const auto& row : rows) {
    const NamedType& type = types.at(row.type);
    out.push_back({names[row.table].first, names[row.table].second, row.column,
                   type.base_schema + "." + type.base_name});
  }
  return out;
}

}  // namespace

std::vector<OutsideColumn> read_columns(Snapshot& tx, const std::string& excluded,
                                        TableIndex& tables) {
  // A plain default cannot refer to columns, so it is deparsed without its table:
  // pg_get_expr with a table opens and locks it, which made this query 10x slower on
  // large schemas. Generated columns need their table.
  // Columns of extension tables come too (they are not in the model) because where
  // user types are used is read from this one pass over pg_attribute. Sorting is left
  // to the client: ORDER BY made the server spill 15 MB to disk on 10,000 tables.
  auto rows = query(tx,
                    R"(
    SELECT a.attrelid::bigint, a.attname, a.atttypid::bigint, a.atttypmod, a.attnotnull,
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0)
                ELSE pg_get_expr(d.adbin, d.adrelid) END,
           a.attidentity::text, a.attgenerated::text, a.attnum, a.attcollation::bigint
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND )" +
                        user_namespace("n"),
                    excluded);
  TypeNames types;
  std::vector<OutsideRow> outside;
  for (const auto& row : rows) {
    long long oid = row[0].as<long long>();
    ColumnOids oids{row[8].as<int>(), row[2].as<uint32_t>(), row[3].as<int>(),
                    row[9].as<uint32_t>()};
    types.emplace(std::make_pair(oids.type, oids.type_modifier), NamedType{});
    auto entry = tables.find(oid);
    if (entry == tables.end()) {
      outside.push_back({oid, row[1].as<std::string>(), {oids.type, oids.type_modifier}});
      continue;
    }
    Column col;
    col.name = row[1].as<std::string>();
    col.not_null = row[4].as<bool>();
    if (!row[5].is_null()) col.default_expr = row[5].as<std::string>();
    col.identity = row[6].as<std::string>();
    col.generated = row[7].as<std::string>();
    col.position = oids.position;
    entry->second.columns.push_back(oids);
    entry->second.table->columns.push_back(std::move(col));
  }
  name_types(tx, types);
  for (auto& [oid, entry] : tables) {
    auto& columns = entry.table->columns;
    std::sort(columns.begin(), columns.end(),
              [](const Column& a, const Column& b) { return a.position < b.position; });
    std::sort(entry.columns.begin(), entry.columns.end(),
              [](const ColumnOids& a, const ColumnOids& b) { return a.position < b.position; });
    for (size_t i = 0; i < columns.size(); ++i) {
      const NamedType& type = types.at({entry.columns[i].type, entry.columns[i].type_modifier});
      columns[i].type = type.formatted;
      columns[i].type_schema = type.base_schema;
      columns[i].type_name = type.base_name;
    }
  }
  return outside_columns(tx, types, outside);
}

}  // namespace dbsplit::catalog::detail
