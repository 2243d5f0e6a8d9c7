// write_json(): the catalog JSON written member by member, text-identical to
// to_json(schema).dump(2). Building a small nlohmann tree per table and printing it
// cost about as much as reading the catalog on 10,000 tables, so nothing here builds
// one. Members come in key order, as nlohmann sorts them (JsonWriter checks it).
#include <algorithm>

#include "core/catalog/json.hpp"
#include "core/catalog/json_detail.hpp"

namespace dbsplit::catalog {
namespace {

void write_string(JsonWriter& w, const char* key, const std::string& value) {
  w.key(key);
  w.value(value);
}

void write_strings(JsonWriter& w, const char* key, const std::vector<std::string>& items) {
  w.key(key);
  w.value(items);
}

// Lists whose order carries no meaning are written sorted (copied only when they are not).
void write_sorted(JsonWriter& w, const char* key, const std::vector<std::string>& items) {
  if (std::is_sorted(items.begin(), items.end())) return write_strings(w, key, items);
  std::vector<std::string> copy = items;
  std::sort(copy.begin(), copy.end());
  write_strings(w, key, copy);
}

void write_bool(JsonWriter& w, const char* key, bool value) {
  w.key(key);
  w.value(value);
}

void write_column(JsonWriter& w, const Column& c) {
  w.begin_object();
  w.key("default");
  if (c.default_expr)
    w.value(*c.default_expr);
  else
    w.value(nlohmann::json(nullptr));
  write_string(w, "generated", c.generated);
  write_string(w, "identity", c.identity);
  write_string(w, "name", c.name);
  write_bool(w, "not_null", c.not_null);
  w.key("position");
  w.value(static_cast<int64_t>(c.position));
  write_string(w, "type", c.type);
  write_string(w, "type_name", c.type_name);
  write_string(w, "type_schema", c.type_schema);
  w.end_object();
}

template <typename T, typename Key>
std::vector<const T*> by_key(const std::vector<T>& items, Key key) {
  std::vector<const T*> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(&item);
  std::sort(out.begin(), out.end(), [&](const T* a, const T* b) { return key(*a) < key(*b); });
  return out;
}

void write_table(JsonWriter& w, const Table& t, WithStatistics stats) {
  w.begin_object();
  w.key("columns");
  w.begin_array();
  for (const auto* c : by_key(t.columns, [](const Column& c) { return c.position; }))
    write_column(w, *c);
  w.end_array();
  w.key("constraints");
  w.begin_array();
  for (const auto* c : by_key(t.constraints, [](const Constraint& c) { return c.name; })) {
    w.begin_object();
    write_strings(w, "columns", c->columns);
    write_string(w, "definition", c->definition);
    write_string(w, "kind", std::string(1, c->kind));
    write_string(w, "name", c->name);
    w.end_object();
  }
  w.end_array();
  if (stats == WithStatistics::yes) {
    w.key("estimated_bytes");
    w.value(t.estimated_bytes);
    w.key("estimated_rows");
    w.value(nlohmann::json(t.estimated_rows));  // nlohmann's own spelling of a double
  }
  w.key("indexes");
  w.begin_array();
  for (const auto* i : by_key(t.indexes, [](const Index& i) { return i.name; })) {
    w.begin_object();
    write_strings(w, "columns", i->columns);
    write_string(w, "definition", i->definition);
    write_string(w, "name", i->name);
    write_bool(w, "primary", i->primary);
    write_bool(w, "unique", i->unique);
    w.end_object();
  }
  w.end_array();
  write_string(w, "kind", std::string(1, t.kind));
  write_string(w, "name", t.name);
  write_string(w, "partition_of", t.partition_of);
  write_sorted(w, "partitions", t.partitions);
  write_strings(w, "primary_key", t.primary_key);
  write_string(w, "primary_key_name", t.primary_key_name);
  write_string(w, "replica_identity", std::string(1, t.replica_identity));
  write_string(w, "replica_identity_index", t.replica_identity_index);
  write_string(w, "schema", t.schema);
  w.end_object();
}

void write_foreign_key(JsonWriter& w, const ForeignKey& f) {
  w.begin_object();
  write_strings(w, "columns", f.columns);
  write_bool(w, "deferrable", f.deferrable);
  write_string(w, "definition", f.definition);
  write_string(w, "name", f.name);
  write_string(w, "on_delete", f.on_delete);
  write_string(w, "on_update", f.on_update);
  write_strings(w, "ref_columns", f.ref_columns);
  write_string(w, "ref_table", f.ref_table);
  write_string(w, "table", f.table);
  w.end_object();
}

void write_function(JsonWriter& w, const Function& f) {
  w.begin_object();
  write_string(w, "arguments", f.arguments);
  write_string(w, "body", f.body);
  write_string(w, "language", f.language);
  write_string(w, "name", f.name);
  write_sorted(w, "reads", f.reads);
  write_string(w, "schema", f.schema);
  write_sorted(w, "writes", f.writes);
  w.end_object();
}

void write_sequence(JsonWriter& w, const Sequence& s) {
  w.begin_object();
  write_string(w, "name", s.name);
  write_string(w, "owned_by_column", s.owned_by_column);
  write_string(w, "owned_by_table", s.owned_by_table);
  write_string(w, "schema", s.schema);
  write_sorted(w, "used_by", s.used_by);
  w.end_object();
}

void write_trigger(JsonWriter& w, const Trigger& t) {
  w.begin_object();
  write_string(w, "definition", t.definition);
  write_string(w, "function", t.function);
  write_string(w, "name", t.name);
  write_string(w, "table", t.table);
  write_sorted(w, "touches", t.touches);
  w.end_object();
}

void write_type(JsonWriter& w, const UserType& u) {
  w.begin_object();
  write_string(w, "base_type", u.base_type);
  write_string(w, "kind", std::string(1, u.kind));
  write_strings(w, "labels", u.labels);
  write_string(w, "name", u.name);
  write_string(w, "schema", u.schema);
  write_sorted(w, "used_by", u.used_by);
  w.end_object();
}

void write_view(JsonWriter& w, const View& v) {
  w.begin_object();
  write_string(w, "definition", v.definition);
  write_sorted(w, "depends_on", v.depends_on);
  write_bool(w, "materialized", v.materialized);
  write_string(w, "name", v.name);
  write_string(w, "schema", v.schema);
  w.end_object();
}

template <typename T, typename F>
void write_array(JsonWriter& w, const char* key, const std::vector<const T*>& items, F write) {
  w.key(key);
  w.begin_array();
  for (const auto* item : items) write(w, *item);
  w.end_array();
}

}  // namespace

void write_json(const Schema& schema, JsonWriter& w, WithStatistics stats) {
  w.begin_object();
  write_string(w, "database", schema.database);
  write_sorted(w, "extensions", schema.extensions);
  write_array(w, "foreign_keys", detail::sorted_foreign_keys(schema), write_foreign_key);
  write_array(w, "functions", detail::sorted_functions(schema), write_function);
  write_sorted(w, "schemas", schema.schemas);
  write_array(w, "sequences", detail::sorted_sequences(schema), write_sequence);
  write_string(w, "server_version", schema.server_version);
  write_array(w, "tables", detail::sorted_tables(schema),
              [stats](JsonWriter& out, const Table& t) { write_table(out, t, stats); });
  write_array(w, "triggers", detail::sorted_triggers(schema), write_trigger);
  write_array(w, "types", detail::sorted_types(schema), write_type);
  write_array(w, "views", detail::sorted_views(schema), write_view);
  w.end_object();
}

}  // namespace dbsplit::catalog
