#include "core/codegen/api_model.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/codegen/command_model.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/util/error.hpp"

namespace dbsplit::codegen {
namespace {

// The SQL spelling of built-in types (format_type), for models not made by introspection.
std::string internal_name(const std::string& type) {
  static const std::map<std::string, std::string> kNames = {
      {"boolean", "bool"},
      {"smallint", "int2"},
      {"integer", "int4"},
      {"bigint", "int8"},
      {"real", "float4"},
      {"double precision", "float8"},
      {"timestamp with time zone", "timestamptz"},
      {"timestamp without time zone", "timestamp"}};
  std::string base = type.substr(0, type.find('('));
  auto it = kNames.find(base);
  return it == kNames.end() ? base : it->second;
}

ValueKind scalar_kind(const catalog::Column& c, const catalog::Schema& schema) {
  static const std::set<std::string> kTimestamps = {"timestamp", "timestamptz"};
  const std::string t = internal_name(c.type_name);
  if (c.type_schema == "pg_catalog") {
    if (t == "bool") return ValueKind::boolean;
    if (t == "int2") return ValueKind::int16;
    if (t == "int4" || t == "oid") return ValueKind::int32;
    if (t == "int8") return ValueKind::int64;
    if (t == "float4" || t == "float8") return ValueKind::floating;
    if (t == "numeric" || t == "money") return ValueKind::numeric;
    if (kTimestamps.count(t)) return ValueKind::timestamp;
    if (t == "date") return ValueKind::date;
    if (t == "json" || t == "jsonb") return ValueKind::json;
    return ValueKind::text;
  }
  for (const auto& type : schema.types)
    if (type.schema == c.type_schema && type.name == t && type.kind == 'e')
      return ValueKind::enumeration;
  return ValueKind::text;
}

std::vector<std::string> enum_labels(const catalog::Column& c, const catalog::Schema& schema) {
  for (const auto& type : schema.types)
    if (type.schema == c.type_schema && type.name == c.type_name && type.kind == 'e')
      return type.labels;
  return {};
}

Field make_field(const catalog::Column& c, const catalog::Schema& schema) {
  Field f;
  f.name = c.name;
  f.sql_type = c.type;
  bool is_array = c.type.size() > 2 && c.type.compare(c.type.size() - 2, 2, "[]") == 0;
  ValueKind scalar = scalar_kind(c, schema);
  f.kind = is_array ? ValueKind::array : scalar;
  f.element = scalar;
  if (scalar == ValueKind::enumeration) f.labels = enum_labels(c, schema);
  f.nullable = !c.not_null;
  f.read_only = c.identity == "a" || c.generated == "s";
  f.has_default = c.default_expr.has_value() || !c.identity.empty() || !c.generated.empty();
  return f;
}

Resource make_resource(const catalog::Table& t, const catalog::Schema& schema) {
  Resource r;
  r.table = t.qualified();
  r.schema = t.schema;
  r.name = t.name;
  r.path = t.schema == "public" ? "/" + t.name : "/" + t.schema + "." + t.name;
  r.type_name = type_name_for(t.name, true);
  for (const auto& c : t.columns) r.fields.push_back(make_field(c, schema));
  r.key = t.primary_key;
  std::set<std::string> filters(t.primary_key.begin(), t.primary_key.end());
  for (const auto& index : t.indexes)
    for (const auto& column : index.columns)
      if (!column.empty()) filters.insert(column);
  r.filters.assign(filters.begin(), filters.end());
  return r;
}

void require_columns(const Resource& r, const std::vector<std::string>& columns,
                     const std::string& endpoint) {
  for (const auto& c : columns)
    if (r.field(c) == nullptr)
      throw UsageError("plan endpoint " + endpoint + " names column " + c + " that " + r.table +
                       " does not have in the plan's schema snapshot; regenerate the plan");
}

}  // namespace

const Field* Resource::field(const std::string& field_name) const {
  for (const auto& f : fields)
    if (f.name == field_name) return &f;
  return nullptr;
}

const Resource* ServiceApi::find_resource(const std::string& table) const {
  for (const auto& r : resources)
    if (r.table == table) return &r;
  return nullptr;
}

std::string ServiceApi::outbox_table() const { return pg::qualified_name(kOutboxSchema, service); }

std::string type_name_for(const std::string& snake, bool singular) {
  std::string word = singular ? plan::detail::singular(snake) : snake;
  std::string out;
  bool upper = true;
  for (char c : word) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "T" + out;
  return out;
}

std::string event_type(const std::string& service, const Resource& resource,
                       const std::string& change) {
  return service + "." + resource.name + "." + change;
}

ServiceApi describe_service(const plan::Plan& plan, const std::string& service) {
  const plan::Service* s = plan.find_service(service);
  if (s == nullptr) {
    std::string names;
    for (const auto& each : plan.services) names += (names.empty() ? "" : ", ") + each.name;
    throw UsageError("the plan has no service '" + service + "'; its services: " + names);
  }
  ServiceApi api;
  api.service = service;
  for (const auto& table : s->tables) {
    const catalog::Table* t = plan.schema.find_table(table);
    if (t == nullptr)
      throw UsageError("service " + service + " owns " + table +
                       ", which the plan's schema snapshot lacks; regenerate the plan");
    if (!t->partition_of.empty()) continue;  // the partitioned parent is the resource
    api.resources.push_back(make_resource(*t, plan.schema));
  }
  std::sort(api.resources.begin(), api.resources.end(),
            [](const Resource& a, const Resource& b) { return a.table < b.table; });
  std::set<std::string> seen;
  for (const auto& d : plan.dependencies) {
    if (!d.endpoint || d.endpoint->service != service) continue;
    const plan::ApiEndpoint& e = *d.endpoint;
    if (e.method != plan::ApiEndpoint::Method::read || !seen.insert(e.name).second) continue;
    const Resource* r = api.find_resource(e.resource);
    if (r == nullptr)
      throw UsageError("plan endpoint " + e.name + " exposes " + e.resource + ", which service " +
                       service + " does not own; regenerate the plan");
    require_columns(*r, e.filter_columns, e.name);
    require_columns(*r, e.returned_columns, e.name);
    Query q;
    q.name = e.name;
    q.path = "/queries/" + e.name;
    q.type_name = type_name_for(e.name, false) + "Row";
    q.resource = e.resource;
    q.filters = e.filter_columns;
    q.columns = e.returned_columns;
    q.replaces = e.replaces;
    api.queries.push_back(q);
  }
  std::sort(api.queries.begin(), api.queries.end(),
            [](const Query& a, const Query& b) { return a.name < b.name; });
  std::set<std::string> seen_commands;
  for (const auto& d : plan.dependencies) {
    if (!d.endpoint || d.endpoint->service != service) continue;
    const plan::ApiEndpoint& e = *d.endpoint;
    if (e.method != plan::ApiEndpoint::Method::write || !seen_commands.insert(e.name).second)
      continue;
    api.commands.push_back(describe_command(e, api.find_resource(e.resource), plan.schema));
  }
  std::sort(api.commands.begin(), api.commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return api;
}

}  // namespace dbsplit::codegen
