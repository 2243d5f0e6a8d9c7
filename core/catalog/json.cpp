// The catalog model as JSON. Writing sorts every list whose order carries no meaning,
// so equal schemas give equal text; reading checks every member and names the JSON
// pointer of the first bad one.
#include "core/catalog/json.hpp"

#include <algorithm>
#include <tuple>

#include "core/catalog/json_detail.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {
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

json objects_json(const Schema& schema) {
  json out = json::object();
  json& fks = out["foreign_keys"] = json::array();
  for (const auto* f :
       sorted(schema.foreign_keys, [](const ForeignKey& f) { return std::tie(f.table, f.name); })) {
    json fk = json::object();
    fk["name"] = f->name;
    fk["table"] = f->table;
    fk["columns"] = f->columns;
    fk["ref_table"] = f->ref_table;
    fk["ref_columns"] = f->ref_columns;
    fk["on_delete"] = f->on_delete;
    fk["on_update"] = f->on_update;
    fk["deferrable"] = f->deferrable;
    fk["definition"] = f->definition;
    fks.push_back(std::move(fk));
  }
  json& views = out["views"] = json::array();
  for (const auto* v : sorted(schema.views, [](const View& v) { return v.qualified(); })) {
    json view = json::object();
    view["schema"] = v->schema;
    view["name"] = v->name;
    view["materialized"] = v->materialized;
    view["definition"] = v->definition;
    view["depends_on"] = sorted(v->depends_on);
    views.push_back(std::move(view));
  }
  json& sequences = out["sequences"] = json::array();
  for (const auto* s : sorted(schema.sequences, [](const Sequence& s) { return s.qualified(); })) {
    json seq = json::object();
    seq["schema"] = s->schema;
    seq["name"] = s->name;
    seq["owned_by_table"] = s->owned_by_table;
    seq["owned_by_column"] = s->owned_by_column;
    seq["used_by"] = sorted(s->used_by);
    sequences.push_back(std::move(seq));
  }
  json& functions = out["functions"] = json::array();
  for (const auto* f : sorted(schema.functions, [](const Function& f) {
         return std::tie(f.schema, f.name, f.arguments);
       })) {
    json fn = json::object();
    fn["schema"] = f->schema;
    fn["name"] = f->name;
    fn["arguments"] = f->arguments;
    fn["language"] = f->language;
    fn["body"] = f->body;
    fn["reads"] = sorted(f->reads);
    fn["writes"] = sorted(f->writes);
    functions.push_back(std::move(fn));
  }
  json& triggers = out["triggers"] = json::array();
  for (const auto* t :
       sorted(schema.triggers, [](const Trigger& t) { return std::tie(t.table, t.name); })) {
    json trigger = json::object();
    trigger["name"] = t->name;
    trigger["table"] = t->table;
    trigger["function"] = t->function;
    trigger["definition"] = t->definition;
    trigger["touches"] = sorted(t->touches);
    triggers.push_back(std::move(trigger));
  }
  json& types = out["types"] = json::array();
  for (const auto* u : sorted(schema.types, [](const UserType& u) { return u.qualified(); })) {
    json type = json::object();
    type["schema"] = u->schema;
    type["name"] = u->name;
    type["kind"] = std::string(1, u->kind);
    type["labels"] = u->labels;
    type["base_type"] = u->base_type;
    type["used_by"] = sorted(u->used_by);
    types.push_back(std::move(type));
  }
  return out;
}

}  // namespace

json to_json(const Schema& schema, WithStatistics stats) {
  json out = objects_json(schema);
  out["database"] = schema.database;
  out["server_version"] = schema.server_version;
  out["schemas"] = sorted(schema.schemas);
  json& tables = out["tables"] = json::array();
  for (const auto* t : sorted(schema.tables, [](const Table& t) { return t.qualified(); }))
    tables.push_back(table_json(*t, stats));
  out["extensions"] = sorted(schema.extensions);
  return out;
}

namespace detail {

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
    for (const auto* t : sorted(schema.tables, [](const Table& t) { return t.qualified(); })) {
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
