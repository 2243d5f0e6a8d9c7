#pragma once
// The API of one service as dbsplit derives it from a plan: a resource per owned table
// (get, list, create, update, delete) and a query per read endpoint the plan declares.
// Shared by `generate` (OpenAPI, client) and `serve` (the runtime), so both agree on
// every path, parameter and field (docs/generate.md).
#include <string>
#include <vector>

#include "core/plan/model.hpp"

namespace dbsplit::codegen {

// How a column's values travel as JSON and in the C++ client.
enum class ValueKind {
  boolean,
  int16,
  int32,
  int64,      // JSON integer, never a double
  floating,   // real, double precision
  numeric,    // numeric/money: a JSON string, exact
  text,       // text, varchar, char, uuid, bytea (hex), time, interval, inet, ...
  timestamp,  // ISO 8601 string (with zone for timestamptz)
  date,       // "2024-01-02"
  enumeration,
  json,   // json, jsonb: any JSON value
  array,  // a JSON array of `element`
};

struct Field {
  std::string name;
  std::string sql_type;  // catalog format_type, e.g. "character varying(200)"
  ValueKind kind = ValueKind::text;
  ValueKind element = ValueKind::text;  // arrays: the element's kind
  bool nullable = true;
  bool has_default = false;         // default, identity or generated: may be omitted on create
  bool read_only = false;           // generated or identity ALWAYS: never written through the API
  std::vector<std::string> labels;  // enums: allowed values, in order
};

struct Resource {
  std::string table;                 // "public.orders"
  std::string schema;                // "public"
  std::string name;                  // "orders"
  std::string path;                  // "/orders"; "/<schema>.<table>" outside public
  std::string type_name;             // "Order": the client's struct
  std::vector<Field> fields;         // in column order
  std::vector<std::string> key;      // primary key columns, in key order (may be empty)
  std::vector<std::string> filters;  // list filters: key and indexed columns, sorted
  const Field* field(const std::string& field_name) const;
};

// A read endpoint of the plan: rows of `resource` filtered by `filters`, exactly `columns`.
struct Query {
  std::string name;                  // plan endpoint name, e.g. "get_order_by_status_and_user_id"
  std::string path;                  // "/queries/<name>"
  std::string type_name;             // "GetOrderByStatusAndUserIdRow"
  std::string resource;              // table, "public.orders"
  std::vector<std::string> filters;  // optional request parameters, repeatable (= ANY)
  std::vector<std::string> columns;  // returned fields, sorted
  std::string replaces;              // the consumer SQL it replaces
};

struct ServiceApi {
  std::string service;
  std::vector<Resource> resources;  // sorted by table
  std::vector<Query> queries;       // sorted by name
  const Resource* find_resource(const std::string& table) const;
  // "dbsplit_outbox.<service>", quoted where needed.
  std::string outbox_table() const;
};

// The API of a service of the plan. Throws UsageError naming the service and the plan's
// services when it does not exist, and when an endpoint names a column or table that the
// plan's schema snapshot lacks.
ServiceApi describe_service(const plan::Plan& plan, const std::string& service);

// "order_items" → "OrderItem" (singular, UpperCamelCase); "get_x_by_y" → "GetXByY".
std::string type_name_for(const std::string& snake, bool singular);

// Name of the outbox schema in every database (shared and per-service).
inline constexpr const char* kOutboxSchema = "dbsplit_outbox";

// The events a write of the resource records: "<service>.<table>.inserted|updated|deleted",
// the names the plan's caches subscribe to.
std::string event_type(const std::string& service, const Resource& resource,
                       const std::string& change);

}  // namespace dbsplit::codegen
