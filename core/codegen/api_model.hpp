#pragma once
// The API of one service as dbsplit derives it from a plan: a resource per owned table
// (get, list, create, update, delete), a query per read endpoint and a command per write
// endpoint the plan declares.
// Shared by `generate` (OpenAPI, client) and `serve` (the runtime), so both agree on
// every path, parameter and field (docs/generate.md).
#include <cstddef>
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

// How the replaced statement uses an argument: decides its name and, in `verify
// contracts`, which value is sampled for it.
enum class ArgumentRole {
  equals,           // col = $n, col IN ($n, ...)          → col
  at_least,         // col >= $n                           → col_at_least
  above,            // col > $n                            → col_above
  at_most,          // col <= $n                           → col_at_most
  below,            // col < $n                            → col_below
  not_equal,        // col <> $n                           → col_not
  set,              // SET col = $n                        → col
  increment,        // SET col = col + $n                  → col_increment
  decrement,        // SET col = col - $n                  → col_decrement
  insert_value,     // INSERT (..., col, ...) VALUES (..., $n, ...) → col
  expression_part,  // inside another expression for col   → col_1, col_2, ...
  other,            // anything else                       → arg<n>
};

struct CommandArgument {
  std::string name;  // member of the request's JSON object
  int number = 0;    // the $N of the replaced statement
  ArgumentRole role = ArgumentRole::other;
  std::string column;  // the column it was named after ("" for `other`)
  // Its type: the column's (name = the argument's; null always allowed), or text when no
  // column of the resource gives one.
  Field field;
  // The type came from a column of the written table: the statement casts $N to it.
  // Otherwise PostgreSQL infers the parameter's type from the statement.
  enum class Typed { no, yes } typed = Typed::no;
};

// One $N in the statement's text: byte offset of the '$', its length ("$12": 3).
struct ParamSite {
  size_t offset = 0;
  size_t length = 0;
  int number = 0;
};

// What the replaced statement does to the rows it touches: names its outbox events.
enum class CommandKind { insert, update, remove };

// A write endpoint of the plan (pattern owner_api_write): `POST /commands/<name>` with one
// named argument per distinct $N of the statement it replaces, which it runs as written
// with the outbox events of the rows it touches (command_model.hpp makes them).
struct Command {
  std::string name;  // plan endpoint name, e.g. "update_stock"
  std::string path;  // "/commands/<name>"
  // "<name>_command": its OpenAPI operationId and client method. The plan names a write
  // after its table (update_stock), which is also the name of the table's own update.
  std::string operation;
  std::string type_name;  // "UpdateStock": the client's <T>Request, <T>Row, <T>Result
  std::string resource;   // the written table, "public.stock"
  std::string replaces;   // the consumer's statement, as in the plan
  CommandKind kind = CommandKind::update;
  std::vector<CommandArgument> arguments;  // in $N order
  std::vector<std::string> columns;        // answered per affected row: key, then returned
  // Columns set by a function call (now(), nextval(), ...) or an identity: they differ
  // between two runs, so the contract check leaves them out.
  std::vector<std::string> volatile_columns;
  std::string statement;         // `replaces` without its trailing ';' and blanks
  std::vector<ParamSite> sites;  // every $N of `statement`, by offset
  std::string target;            // how RETURNING names the written row: alias or table
  std::string unsupported;       // why it cannot be served; "" when it can
  const CommandArgument* argument(const std::string& argument_name) const;
};

struct ServiceApi {
  std::string service;
  std::vector<Resource> resources;  // sorted by table
  std::vector<Query> queries;       // sorted by name
  std::vector<Command> commands;    // sorted by name; the unsupported ones included
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
