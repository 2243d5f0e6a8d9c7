#pragma once
// The plan: a reviewable, versioned description of one split, made by `dbsplit plan`
// from an analysis, checked by `dbsplit plan check`, run stage by stage by `dbsplit apply`,
// and read by `dbsplit generate`/`serve` for the API endpoints it declares.
// Serialised deterministically by plan/json.hpp (docs/plan.md documents the file).
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/model.hpp"
#include "core/catalog/model.hpp"

namespace dbsplit::plan {

// The plan file format this dbsplit writes and reads.
inline constexpr int kPlanVersion = 1;

// A service of the split: its tables, its own database role, and where its database
// will live after the database stage.
struct Service {
  std::string name;                  // e.g. "orders"
  std::vector<std::string> tables;   // "schema.table" it owns, sorted
  std::vector<std::string> modules;  // workload modules mapped to it, sorted
  std::string role;                  // database role, "svc_<name>", e.g. "svc_orders"
  // Target database location, resolved at apply time: "${DBSPLIT_TARGET_<NAME>}" (an
  // environment variable holding a URL, NAME upper-cased) or "embedded" (local instance).
  std::string target;
};

// The API endpoint that replaces a cross-service read (api_composition) or write
// (owner_api_write): served by the owner, called by the consumer.
struct ApiEndpoint {
  std::string name;      // snake_case operation, e.g. "get_user_contact", "update_stock"
  std::string service;   // the owner that serves it
  std::string resource;  // the owner's table it exposes, "schema.table"
  enum class Method { read, write } method = Method::read;
  std::vector<std::string> filter_columns;    // request parameters (lookup columns), sorted
  std::vector<std::string> returned_columns;  // response fields (or written columns), sorted
  std::string replaces;                       // the consumer's SQL statement this endpoint replaces
};

// A consumer-side cache table kept up to date from the owner's events (event_replication):
// holds only the columns the consumer reads.
struct CacheTable {
  std::string name;     // "schema.table" in the consumer's tables, e.g. "public.orders_cache_users"
  std::string service;  // the consumer holding the cache
  std::string source_table;                // the owner's table it mirrors
  std::vector<std::string> columns;        // cached columns (key included), sorted
  std::vector<std::string> key;            // primary key of the cache = source table's key
  std::vector<std::string> source_events;  // e.g. "accounts.users.created", sorted
};

// A CQRS read model: one query spanning several services, materialised in the consumer
// from the owners' events (also used for analytics_database targets).
struct ReadModel {
  std::string name;                        // "schema.table", e.g. "public.rm_order_summary"
  std::string service;                     // holder of the read model
  std::string definition;                  // the query that defines its rows (against the monolith)
  std::vector<std::string> source_tables;  // sorted
  std::vector<std::string> source_events;  // sorted
};

// A saga replacing one transaction that wrote to several services.
struct SagaStep {
  std::string service;
  std::string action;        // endpoint or event name, e.g. "orders.create_order"
  std::string compensation;  // what undoes it, e.g. "orders.cancel_order"; "" for the last step
};
struct Saga {
  std::string name;             // e.g. "place_order"
  std::string coordinator;      // service that orchestrates it (the one writing first)
  std::vector<SagaStep> steps;  // in execution order
};

// A cross-service foreign key dropped in the writes stage, kept as a check.
struct OrphanCheck {
  std::string constraint;  // the foreign key's name
  std::string child_table;
  std::vector<std::string> child_columns;
  std::string parent_table;
  std::vector<std::string> parent_columns;
  std::string definition;  // pg_get_constraintdef, to re-add the key on rollback
  std::string sql;         // SELECT count(*) of child rows without a parent; must be 0
};

// What happens to a view, trigger, function, sequence or type used by several services.
struct ObjectDisposition {
  std::string object;   // "schema.name" (trigger: "schema.table.trigger")
  std::string service;  // service that keeps / reimplements it ("" when every one copies it)
  std::vector<std::string> services;  // services it spans, sorted
  std::string action;                 // human sentence: what dbsplit and the team do with it
};

// One cross-service dependency of the analysis and what its pattern implies. Exactly
// the member that belongs to `pattern` is set (see docs/plan.md).
struct Dependency {
  std::string id;  // stable, e.g. "read.orders.accounts.public.users"
  analysis::DependencyKind kind = analysis::DependencyKind::read;
  analysis::Pattern pattern = analysis::Pattern::api_composition;
  std::string consumer;  // "" for schema objects
  std::string owner;
  std::string module;
  std::vector<std::string> tables;  // sorted
  std::string object;               // the FK/view/trigger/sequence/type name ("" for statements)
  std::string statement;            // representative SQL, for workload dependencies
  int64_t calls = 0;
  std::string rationale;
  std::optional<ApiEndpoint> endpoint;           // api_composition, owner_api_write
  std::optional<CacheTable> cache;               // event_replication
  std::optional<ReadModel> read_model;           // cqrs_read_model, analytics_database
  std::optional<Saga> saga;                      // saga
  std::optional<OrphanCheck> orphan_check;       // orphan_check
  std::optional<ObjectDisposition> disposition;  // move_to_owner, per_service_object
};

// An action of a step: SQL run in one transaction on the source database, or a named
// operation with parameters that `dbsplit apply` implements (e.g. "serve_api",
// "copy_snapshot", "start_replication").
enum class ActionKind { sql, operation };
struct Action {
  ActionKind kind = ActionKind::sql;
  std::string sql;                                       // when kind == sql
  std::string operation;                                 // when kind == operation
  nlohmann::json parameters = nlohmann::json::object();  // operation parameters (object)
  bool empty() const { return kind == ActionKind::sql ? sql.empty() : operation.empty(); }
};

// How a verification passes: its SQL returns exactly one row whose first column is true,
// or it returns no rows, or (an operation) it completes without error.
enum class Expect { true_value, zero_rows, success };
struct Verification {
  Action check;
  Expect expect = Expect::true_value;
};

// One idempotent, journaled, verified and reversible step of a stage.
struct Step {
  std::string id;           // stable, "<stage>.<what>.<service>[.<object>]"
  std::string service;      // the service it concerns ("" for all services)
  std::string description;  // one sentence for the review document
  Action action;
  Verification verify;
  Action rollback;
};

// The stages, in the only order they may run.
enum class StageName { ownership, apis, reads, writes, database };
inline constexpr std::array<StageName, 5> kStageOrder = {StageName::ownership, StageName::apis,
                                                         StageName::reads, StageName::writes,
                                                         StageName::database};
const char* to_string(StageName stage);

struct Stage {
  StageName name = StageName::ownership;
  std::vector<Step> steps;  // in execution order
};

struct Plan {
  int version = kPlanVersion;
  std::string dbsplit_version;           // of the dbsplit that wrote it
  std::string database;                  // source database name (never a URL with a password)
  std::string fingerprint;               // catalog::fingerprint of `schema`
  catalog::Schema schema;                // snapshot the plan was made from, to report drift exactly
  std::vector<Service> services;         // sorted by name
  std::vector<Dependency> dependencies;  // sorted by id
  std::vector<Stage> stages;             // in kStageOrder

  const Service* find_service(const std::string& name) const;
  // The service owning a table ("schema.table"), or nullptr.
  const Service* owner_of(const std::string& table) const;
  const Stage* find_stage(StageName stage) const;
};

// "svc_orders" for service "orders" (non-identifier characters become '_').
std::string role_name(const std::string& service);
// "${DBSPLIT_TARGET_ORDERS}" for service "orders".
std::string target_placeholder(const std::string& service);

}  // namespace dbsplit::plan
