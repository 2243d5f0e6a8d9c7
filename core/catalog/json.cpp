// The catalog model as JSON. Writing sorts every list whose order carries no meaning,
// so equal schemas give equal text; reading checks every member and names the JSON
// pointer of the first bad one.
#include "core/catalog/json.hpp"

#include <algorithm>
#include <tuple>

#include "core/catalog/json_detail.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {

using detail::sorted_foreign_keys;
using detail::sorted_functions;
using detail::sorted_sequences;
using detail::sorted_tables;
using detail::sorted_triggers;
using detail::sorted_types;
using detail::sorted_views;

namespace {

using nlohmann::json;

// Pointers to the items in key order: sorting copies of whole tables would cost more
// than writing them.
template <typename T, typename Key>
std::vector<const T*> sorted(const std::vector<T>& items, Key key) {
  std::vector<const T*> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(&item);
  std::sort(out.begin(), out.end(), [&](const T* a, const T* b) { return key(*a) < key(*b); });
  return out;
}

json sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return json(std::move(items));
}

json column_json(const Column& c) {
  json out = json::object();
  out["name"] = c.name;
  out["type"] = c.type;
  out["type_schema"] = c.type_schema;
  out["type_name"] = c.type_name;
  out["not_null"] = c.not_null;
  out["default"] = c.default_expr ? json(*c.default_expr) : json(nullptr);
  out["identity"] = c.identity;
  out["generated"] = c.generated;
  out["position"] = c.position;
  return out;
}

json table_json(const Table& t, WithStatistics stats) {
  json columns = json::array();
  for (const auto* c : sorted(t.columns, [](const Column& c) { return c.position; }))
    columns.push_back(column_json(*c));
  json constraints = json::array();
  for (const auto* c : sorted(t.constraints, [](const Constraint& c) { return c.name; })) {
    json con = json::object();
    con["name"] = c->name;
    con["kind"] = std::string(1, c->kind);
    con["columns"] = c->columns;
    con["definition"] = c->definition;
    constraints.push_back(std::move(con));
  }
  json indexes = json::array();
  for (const auto* i : sorted(t.indexes, [](const Index& i) { return i.name; })) {
    json idx = json::object();
    idx["name"] = i->name;
    idx["columns"] = i->columns;
    idx["unique"] = i->unique;
    idx["primary"] = i->primary;
    idx["definition"] = i->definition;
    indexes.push_back(std::move(idx));
  }
  json out = json::object();
  out["schema"] = t.schema;
  out["name"] = t.name;
  out["kind"] = std::string(1, t.kind);
  out["columns"] = std::move(columns);
  out["primary_key"] = t.primary_key;
  out["primary_key_name"] = t.primary_key_name;
  out["constraints"] = std::move(constraints);
  out["indexes"] = std::move(indexes);
  out["replica_identity"] = std::string(1, t.replica_identity);
  out["replica_identity_index"] = t.replica_identity_index;
  out["partitions"] = sorted(t.partitions);
  out["partition_of"] = t.partition_of;
  if (stats == WithStatistics::yes) {
    out["estimated_rows"] = t.estimated_rows;
    out["estimated_bytes"] = t.estimated_bytes;
  }
  return out;
}

json foreign_key_json(const ForeignKey& f) {
  json fk = json::object();
  fk["name"] = f.name;
  fk["table"] = f.table;
  fk["columns"] = f.columns;
  fk["ref_table"] = f.ref_table;
  fk["ref_columns"] = f.ref_columns;
  fk["on_delete"] = f.on_delete;
  fk["on_update"] = f.on_update;
  fk["deferrable"] = f.deferrable;
  fk["definition"] = f.definition;
  return fk;
}

json view_json(const View& v) {
  json view = json::object();
  view["schema"] = v.schema;
  view["name"] = v.name;
  view["materialized"] = v.materialized;
  view["definition"] = v.definition;
  view["depends_on"] = sorted(v.depends_on);
  return view;
}

json sequence_json(const Sequence& s) {
  json seq = json::object();
  seq["schema"] = s.schema;
  seq["name"] = s.name;
  seq["owned_by_table"] = s.owned_by_table;
  seq["owned_by_column"] = s.owned_by_column;
  seq["used_by"] = sorted(s.used_by);
  return seq;
}

json function_json(const Function& f) {
  json fn = json::object();
  fn["schema"] = f.schema;
  fn["name"] = f.name;
  fn["arguments"] = f.arguments;
  fn["language"] = f.language;
  fn["body"] = f.body;
  fn["reads"] = sorted(f.reads);
  fn["writes"] = sorted(f.writes);
  return fn;
}

json trigger_json(const Trigger& t) {
  json trigger = json::object();
  trigger["name"] = t.name;
  trigger["table"] = t.table;
  trigger["function"] = t.function;
  trigger["definition"] = t.definition;
  trigger["touches"] = sorted(t.touches);
  return trigger;
}

json type_json(const UserType& u) {
  json type = json::object();
  type["schema"] = u.schema;
  type["name"] = u.name;
  type["kind"] = std::string(1, u.kind);
  type["labels"] = u.labels;
  type["base_type"] = u.base_type;
  type["used_by"] = sorted(u.used_by);
  return type;
}

template <typename T, typename F>
json array_of(const std::vector<const T*>& items, F to_json) {
  json out = json::array();
  for (const auto* item : items) out.push_back(to_json(*item));
  return out;
}

json objects_json(const Schema& schema) {
  json out = json::object();
  out["foreign_keys"] = array_of(sorted_foreign_keys(schema), foreign_key_json);
  out["views"] = array_of(sorted_views(schema), view_json);
  out["sequences"] = array_of(sorted_sequences(schema), sequence_json);
  out["functions"] = array_of(sorted_functions(schema), function_json);
  out["triggers"] = array_of(sorted_triggers(schema), trigger_json);
  out["types"] = array_of(sorted_types(schema), type_json);
  return out;
}

}  // namespace

json to_json(const Schema& schema, WithStatistics stats) {
  json out = objects_json(schema);
  out["database"] = schema.database;
  out["server_version"] = schema.server_version;
  out["schemas"] = sorted(schema.schemas);
  json& tables = out["tables"] = json::array();
  for (const auto* t : sorted_tables(schema)) tables.push_back(table_json(*t, stats));
  out["extensions"] = sorted(schema.extensions);
  return out;
}

namespace detail {

std::vector<const ForeignKey*> sorted_foreign_keys(const Schema& schema) {
  return sorted(schema.foreign_keys, [](const ForeignKey& f) { return std::tie(f.table, f.name); });
}
std::vector<const View*> sorted_views(const Schema& schema) {
  return sorted(schema.views, [](const View& v) { return v.qualified(); });
}
std::vector<const Sequence*> sorted_sequences(const Schema& schema) {
  return sorted(schema.sequences, [](const Sequence& s) { return s.qualified(); });
}
std::vector<const Function*> sorted_functions(const Schema& schema) {
  return sorted(schema.functions,
                [](const Function& f) { return std::tie(f.schema, f.name, f.arguments); });
}
std::vector<const Trigger*> sorted_triggers(const Schema& schema) {
  return sorted(schema.triggers, [](const Trigger& t) { return std::tie(t.table, t.name); });
}
std::vector<const UserType*> sorted_types(const Schema& schema) {
  return sorted(schema.types, [](const UserType& u) { return u.qualified(); });
}
std::vector<const Table*> sorted_tables(const Schema& schema) {
  return sorted(schema.tables, [](const Table& t) { return t.qualified(); });
}

void write_structure(const Schema& schema, const std::function<void(const std::string&)>& sink) {
  json members = objects_json(schema);
  members["schemas"] = sorted(schema.schemas);
  members["extensions"] = sorted(schema.extensions);
  // Compact dump of an object: members in key order (nlohmann keeps them sorted),
  // "key":value separated by commas; "tables" goes where it sorts.
  const std::string tables_key = "tables";
  bool first = true;
  auto separator = [&] {
    sink(first ? "{" : ",");
    first = false;
  };
  auto write_tables = [&] {
    separator();
    sink(json(tables_key).dump() + ":[");
    bool first_table = true;
    for (const auto* t : sorted_tables(schema)) {
      sink((first_table ? "" : ",") + table_json(*t, WithStatistics::no).dump());
      first_table = false;
    }
    sink("]");
  };
  bool tables_written = false;
  for (const auto& [key, value] : members.items()) {
    if (!tables_written && tables_key < key) {
      write_tables();
      tables_written = true;
    }
    separator();
    sink(json(key).dump() + ":" + value.dump());
  }
  if (!tables_written) write_tables();
  sink("}");
}

}  // namespace detail

}  // namespace dbsplit::catalog
