// The catalog model as JSON. Writing sorts every list whose order carries no meaning,
// so equal schemas give equal text; reading checks every member and names the JSON
// pointer of the first bad one.
#include "core/catalog/json.hpp"

#include <algorithm>
#include <tuple>

#include "core/util/error.hpp"

namespace dbsplit::catalog {
namespace {

using nlohmann::json;

template <typename T, typename Key>
std::vector<T> sorted(std::vector<T> items, Key key) {
  std::sort(items.begin(), items.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  return items;
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

json column_json(const Column& c) {
  return {{"name", c.name},
          {"type", c.type},
          {"type_schema", c.type_schema},
          {"type_name", c.type_name},
          {"not_null", c.not_null},
          {"default", c.default_expr ? json(*c.default_expr) : json(nullptr)},
          {"identity", c.identity},
          {"generated", c.generated},
          {"position", c.position}};
}

json table_json(const Table& t, WithStatistics stats) {
  json columns = json::array();
  for (const auto& c : sorted(t.columns, [](const Column& c) { return c.position; }))
    columns.push_back(column_json(c));
  json constraints = json::array();
  for (const auto& c : sorted(t.constraints, [](const Constraint& c) { return c.name; }))
    constraints.push_back({{"name", c.name},
                           {"kind", std::string(1, c.kind)},
                           {"columns", c.columns},
                           {"definition", c.definition}});
  json indexes = json::array();
  for (const auto& i : sorted(t.indexes, [](const Index& i) { return i.name; }))
    indexes.push_back({{"name", i.name},
                       {"columns", i.columns},
                       {"unique", i.unique},
                       {"primary", i.primary},
                       {"definition", i.definition}});
  json out = {{"schema", t.schema},
              {"name", t.name},
              {"kind", std::string(1, t.kind)},
              {"columns", columns},
              {"primary_key", t.primary_key},
              {"primary_key_name", t.primary_key_name},
              {"constraints", constraints},
              {"indexes", indexes},
              {"replica_identity", std::string(1, t.replica_identity)},
              {"replica_identity_index", t.replica_identity_index},
              {"partitions", sorted(t.partitions)},
              {"partition_of", t.partition_of}};
  if (stats == WithStatistics::yes) {
    out["estimated_rows"] = t.estimated_rows;
    out["estimated_bytes"] = t.estimated_bytes;
  }
  return out;
}

}  // namespace

json to_json(const Schema& schema, WithStatistics stats) {
  json tables = json::array();
  for (const auto& t : sorted(schema.tables, [](const Table& t) { return t.qualified(); }))
    tables.push_back(table_json(t, stats));
  json fks = json::array();
  for (const auto& f : sorted(schema.foreign_keys,
                              [](const ForeignKey& f) { return std::make_tuple(f.table, f.name); }))
    fks.push_back({{"name", f.name},
                   {"table", f.table},
                   {"columns", f.columns},
                   {"ref_table", f.ref_table},
                   {"ref_columns", f.ref_columns},
                   {"on_delete", f.on_delete},
                   {"on_update", f.on_update},
                   {"deferrable", f.deferrable},
                   {"definition", f.definition}});
  json views = json::array();
  for (const auto& v : sorted(schema.views, [](const View& v) { return v.qualified(); }))
    views.push_back({{"schema", v.schema},
                     {"name", v.name},
                     {"materialized", v.materialized},
                     {"definition", v.definition},
                     {"depends_on", sorted(v.depends_on)}});
  json sequences = json::array();
  for (const auto& s : sorted(schema.sequences, [](const Sequence& s) { return s.qualified(); }))
    sequences.push_back({{"schema", s.schema},
                         {"name", s.name},
                         {"owned_by_table", s.owned_by_table},
                         {"owned_by_column", s.owned_by_column},
                         {"used_by", sorted(s.used_by)}});
  json functions = json::array();
  for (const auto& f : sorted(schema.functions, [](const Function& f) {
         return std::make_tuple(f.schema, f.name, f.arguments);
       }))
    functions.push_back({{"schema", f.schema},
                         {"name", f.name},
                         {"arguments", f.arguments},
                         {"language", f.language},
                         {"body", f.body},
                         {"reads", sorted(f.reads)},
                         {"writes", sorted(f.writes)}});
  json triggers = json::array();
  for (const auto& t :
       sorted(schema.triggers, [](const Trigger& t) { return std::make_tuple(t.table, t.name); }))
    triggers.push_back({{"name", t.name},
                        {"table", t.table},
                        {"function", t.function},
                        {"definition", t.definition},
                        {"touches", sorted(t.touches)}});
  json types = json::array();
  for (const auto& u : sorted(schema.types, [](const UserType& u) { return u.qualified(); }))
    types.push_back({{"schema", u.schema},
                     {"name", u.name},
                     {"kind", std::string(1, u.kind)},
                     {"labels", u.labels},
                     {"base_type", u.base_type},
                     {"used_by", sorted(u.used_by)}});
  return {{"database", schema.database},
          {"server_version", schema.server_version},
          {"schemas", sorted(schema.schemas)},
          {"tables", tables},
          {"foreign_keys", fks},
          {"views", views},
          {"sequences", sequences},
          {"functions", functions},
          {"triggers", triggers},
          {"types", types},
          {"extensions", sorted(schema.extensions)}};
}

}  // namespace dbsplit::catalog
