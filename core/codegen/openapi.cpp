#include "core/codegen/openapi.hpp"

#include <algorithm>

#include "core/codegen/command_model.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/pg/sql.hpp"

namespace dbsplit::codegen {
namespace {

using ojson = nlohmann::ordered_json;

ojson scalar_schema(ValueKind kind, const std::vector<std::string>& labels) {
  switch (kind) {
    case ValueKind::boolean:
      return {{"type", "boolean"}};
    case ValueKind::int16:
    case ValueKind::int32:
      return {{"type", "integer"}, {"format", "int32"}};
    case ValueKind::int64:
      return {{"type", "integer"}, {"format", "int64"}};
    case ValueKind::floating:
      return {{"type", "number"}, {"format", "double"}};
    case ValueKind::numeric:
      return {{"type", "string"}, {"format", "decimal"}};
    case ValueKind::timestamp:
      return {{"type", "string"}, {"format", "date-time"}};
    case ValueKind::date:
      return {{"type", "string"}, {"format", "date"}};
    case ValueKind::enumeration:
      return {{"type", "string"}, {"enum", labels}};
    case ValueKind::json:
      return {{"description", "any JSON value"}};
    case ValueKind::array:
    case ValueKind::text:
      break;
  }
  return {{"type", "string"}};
}

ojson schema_ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

ojson json_content(const ojson& schema) { return {{"application/json", {{"schema", schema}}}}; }

ojson error_responses(bool with_404, bool with_409) {
  ojson out = ojson::object();
  auto add = [&](const char* code, const char* text) {
    out[code] = {{"description", text}, {"content", json_content(schema_ref("Error"))}};
  };
  add("400", "malformed input; `field` names the offending field or parameter");
  if (with_404) add("404", "no such row");
  if (with_409) add("409", "constraint violation; `constraint` names it");
  add("413", "request body too large");
  add("503", "the database is unreachable");
  return out;
}

ojson row_schema(const Resource& r, const std::vector<std::string>& columns) {
  ojson properties = ojson::object();
  for (const auto& c : columns) properties[c] = field_schema(*r.field(c));
  return {{"type", "object"}, {"required", columns}, {"properties", properties}};
}

ojson page_schema(const std::string& item) {
  return {{"type", "object"},
          {"required", {"items", "next_cursor"}},
          {"properties",
           {{"items", {{"type", "array"}, {"items", schema_ref(item)}}},
            {"next_cursor",
             {{"type", "string"},
              {"nullable", true},
              {"description", "pass as `cursor` to get the next page; null on the last page"}}}}}};
}

ojson write_schema(const Resource& r, bool create) {
  ojson properties = ojson::object();
  std::vector<std::string> required;
  for (const auto& f : r.fields) {
    if (f.read_only) continue;
    if (!create && std::find(r.key.begin(), r.key.end(), f.name) != r.key.end()) continue;
    properties[f.name] = field_schema(f);
    if (create && !f.nullable && !f.has_default) required.push_back(f.name);
  }
  ojson out = {{"type", "object"}};
  if (!required.empty()) out["required"] = required;
  out["properties"] = properties;
  out["additionalProperties"] = false;
  return out;
}

ojson filter_parameter(const Field& f, const std::string& description) {
  return {{"name", f.name},
          {"in", "query"},
          {"required", false},
          {"description", description},
          {"style", "form"},
          {"explode", true},
          {"schema", {{"type", "array"}, {"items", scalar_schema(f.element, f.labels)}}}};
}

ojson paging_parameters() {
  return ojson::array(
      {{{"name", "limit"},
        {"in", "query"},
        {"required", false},
        {"description", "rows per page"},
        {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}}},
       {{"name", "cursor"},
        {"in", "query"},
        {"required", false},
        {"description", "`next_cursor` of the previous page"},
        {"schema", {{"type", "string"}}}}});
}

std::string operation_base(const Resource& r, bool singular) {
  std::string name = singular ? plan::detail::singular(r.name) : r.name;
  return r.schema == "public" ? name : r.schema + "_" + name;
}

void add_resource(ojson& paths, ojson& schemas, const Resource& r) {
  std::vector<std::string> all;
  for (const auto& f : r.fields) all.push_back(f.name);
  schemas[r.type_name] = row_schema(r, all);
  schemas[r.type_name + "Create"] = write_schema(r, true);
  if (!r.key.empty()) schemas[r.type_name + "Update"] = write_schema(r, false);
  schemas[r.type_name + "Page"] = page_schema(r.type_name);

  ojson list_params = ojson::array();
  for (const auto& name : r.filters)
    list_params.push_back(
        filter_parameter(*r.field(name), "rows whose " + name + " equals one of the values"));
  for (auto& p : paging_parameters()) list_params.push_back(p);
  std::string tag = r.table;
  ojson collection = ojson::object();
  collection["get"] = {{"operationId", "list_" + operation_base(r, false)},
                       {"summary", "List " + r.table + " in key order, filtered"},
                       {"tags", {tag}},
                       {"parameters", list_params},
                       {"responses",
                        {{"200",
                          {{"description", "a page of rows"},
                           {"content", json_content(schema_ref(r.type_name + "Page"))}}}}}};
  collection["get"]["responses"].update(error_responses(false, false));
  collection["post"] = {
      {"operationId", "create_" + operation_base(r, true)},
      {"summary", "Create a row of " + r.table + " (records an outbox event)"},
      {"tags", {tag}},
      {"requestBody",
       {{"required", true}, {"content", json_content(schema_ref(r.type_name + "Create"))}}},
      {"responses",
       {{"201",
         {{"description", "the row created"},
          {"content", json_content(schema_ref(r.type_name))}}}}}};
  collection["post"]["responses"].update(error_responses(false, true));
  paths[r.path] = collection;
  if (r.key.empty()) return;

  std::string item_path = r.path;
  ojson key_params = ojson::array();
  for (const auto& k : r.key) {
    item_path += "/{" + k + "}";
    const Field& f = *r.field(k);
    key_params.push_back({{"name", k},
                          {"in", "path"},
                          {"required", true},
                          {"schema", scalar_schema(f.element, f.labels)}});
  }
  ojson item = ojson::object();
  item["parameters"] = key_params;
  item["get"] = {
      {"operationId", "get_" + operation_base(r, true)},
      {"summary", "Get a row of " + r.table + " by primary key"},
      {"tags", {tag}},
      {"responses",
       {{"200",
         {{"description", "the row"}, {"content", json_content(schema_ref(r.type_name))}}}}}};
  item["get"]["responses"].update(error_responses(true, false));
  item["patch"] = {
      {"operationId", "update_" + operation_base(r, true)},
      {"summary", "Update columns of a row of " + r.table + " (records an outbox event)"},
      {"tags", {tag}},
      {"requestBody",
       {{"required", true}, {"content", json_content(schema_ref(r.type_name + "Update"))}}},
      {"responses",
       {{"200",
         {{"description", "the row after the update"},
          {"content", json_content(schema_ref(r.type_name))}}}}}};
  item["patch"]["responses"].update(error_responses(true, true));
  item["delete"] = {{"operationId", "delete_" + operation_base(r, true)},
                    {"summary", "Delete a row of " + r.table + " (records an outbox event)"},
                    {"tags", {tag}},
                    {"responses",
                     {{"200",
                       {{"description", "the row deleted"},
                        {"content", json_content(schema_ref(r.type_name))}}}}}};
  item["delete"]["responses"].update(error_responses(true, true));
  paths[item_path] = item;
}

void add_query(ojson& paths, ojson& schemas, const ServiceApi& api, const Query& q) {
  const Resource& r = *api.find_resource(q.resource);
  schemas[q.type_name] = row_schema(r, q.columns);
  schemas[q.type_name + "Page"] = page_schema(q.type_name);
  ojson params = ojson::array();
  for (const auto& name : q.filters)
    params.push_back(
        filter_parameter(*r.field(name), "rows whose " + name + " equals one of the values"));
  for (auto& p : paging_parameters()) params.push_back(p);
  ojson get = {{"operationId", q.name},
               {"summary", "Columns " + pg::sql::join(q.columns, ", ") + " of " + q.resource},
               {"description", "Replaces the cross-service read: " + q.replaces},
               {"tags", {"queries"}},
               {"parameters", params},
               {"responses",
                {{"200",
                  {{"description", "a page of rows"},
                   {"content", json_content(schema_ref(q.type_name + "Page"))}}}}}};
  get["responses"].update(error_responses(false, false));
  paths[q.path] = {{"get", get}};
}

ojson dry_run_parameter() {
  return {{"name", "dry_run"},
          {"in", "query"},
          {"required", false},
          {"description",
           "true: run the command in a transaction that is rolled back (its outbox event "
           "too) and answer what it would have done"},
          {"schema", {{"type", "boolean"}, {"default", false}}}};
}

void add_command(ojson& paths, ojson& schemas, const ServiceApi& api, const Command& c) {
  const Resource& r = *api.find_resource(c.resource);
  ojson properties = ojson::object();
  std::vector<std::string> required;
  for (const auto& a : c.arguments) {
    ojson schema = field_schema(a.field);
    schema["description"] = "$" + std::to_string(a.number) + " of the replaced statement";
    properties[a.name] = schema;
    required.push_back(a.name);
  }
  ojson request = {{"type", "object"}};
  if (!required.empty()) request["required"] = required;
  request["properties"] = properties;
  request["additionalProperties"] = false;
  schemas[c.type_name + "Request"] = request;
  schemas[c.type_name + "Row"] = row_schema(r, c.columns);
  schemas[c.type_name + "Result"] = {
      {"type", "object"},
      {"required", {"count", "rows"}},
      {"properties",
       {{"count",
         {{"type", "integer"},
          {"format", "int64"},
          {"description", "rows the statement touched; 0 when its conditions matched none"}}},
        {"rows", {{"type", "array"}, {"items", schema_ref(c.type_name + "Row")}}},
        {"dry_run",
         {{"type", "boolean"}, {"description", "present and true when nothing was kept"}}}}}};
  ojson post = {
      {"operationId", c.operation},
      {"summary", "Run the write " + c.name + " on " + c.resource +
                      " (records one outbox event per row, " +
                      event_type(api.service, r, change_of(c.kind)) + ")"},
      {"description", "Replaces the cross-service write: " + c.replaces},
      {"tags", {"commands"}},
      {"parameters", ojson::array({dry_run_parameter()})},
      {"requestBody",
       {{"required", true}, {"content", json_content(schema_ref(c.type_name + "Request"))}}},
      {"responses",
       {{"200",
         {{"description", "the rows the statement touched (count 0 when none matched)"},
          {"content", json_content(schema_ref(c.type_name + "Result"))}}}}}};
  post["responses"].update(error_responses(false, true));
  paths[c.path] = {{"post", post}};
}

ojson probe(const char* id, const char* summary) {
  ojson responses = ojson::object();
  responses["200"] = {{"description", "ok"}, {"content", json_content({{"type", "object"}})}};
  responses["503"] = {{"description", "the database is unreachable"},
                      {"content", json_content(schema_ref("Error"))}};
  ojson get = ojson::object();
  get["operationId"] = id;
  get["summary"] = summary;
  get["tags"] = ojson::array({"operations"});
  get["responses"] = responses;
  return {{"get", get}};
}

}  // namespace

ojson field_schema(const Field& field) {
  ojson schema =
      field.kind == ValueKind::array
          ? ojson{{"type", "array"}, {"items", scalar_schema(field.element, field.labels)}}
          : scalar_schema(field.kind, field.labels);
  if (field.nullable) schema["nullable"] = true;
  return schema;
}

ojson openapi_document(const ServiceApi& api, const std::string& plan_database) {
  ojson paths = ojson::object();
  ojson schemas = ojson::object();
  schemas["Error"] = {{"type", "object"},
                      {"required", {"error"}},
                      {"properties",
                       {{"error", {{"type", "string"}}},
                        {"field", {{"type", "string"}}},
                        {"constraint", {{"type", "string"}}}}}};
  paths["/health"] = probe("health", "The process is up");
  paths["/ready"] = probe("ready", "The database is reachable");
  for (const auto& r : api.resources) add_resource(paths, schemas, r);
  for (const auto& q : api.queries) add_query(paths, schemas, api, q);
  ojson unsupported = ojson::array();
  for (const auto& c : api.commands) {
    if (c.unsupported.empty()) {
      add_command(paths, schemas, api, c);
    } else {
      unsupported.push_back(
          {{"command", c.name}, {"replaces", c.replaces}, {"reason", c.unsupported}});
    }
  }
  ojson doc = ojson::object();
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", api.service + " service"},
                 {"version", "1"},
                 {"description", "API of service " + api.service + " split from database " +
                                     plan_database + " by dbsplit; served by `dbsplit serve`."}};
  doc["servers"] = ojson::array({{{"url", "http://127.0.0.1:8080"}}});
  doc["paths"] = paths;
  doc["components"] = {{"schemas", schemas}};
  // Write endpoints of the plan this API cannot serve, and why (not an operation).
  if (!unsupported.empty()) doc["x-dbsplit-unsupported"] = unsupported;
  return doc;
}

}  // namespace dbsplit::codegen
