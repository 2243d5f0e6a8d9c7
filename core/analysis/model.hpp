#pragma once
// The result of `dbsplit analyze`: a service for every table, the access matrix,
// the cross-service dependencies with the pattern advised for each, and findings.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/catalog/model.hpp"
#include "core/diagnostics/diagnostic.hpp"
#include "core/workload/model.hpp"

namespace dbsplit::analysis {

// Which signal decided a table's owner, strongest first.
enum class Signal {
  pin,              // the user's pins file
  sole_writer,      // exactly one module writes it
  dominant_writer,  // several write it; this one writes most (others become findings)
  readers,          // nobody writes it; the module that reads it most
  graph_cluster,    // no workload evidence: FK/co-access neighbours' service
  graph_community,  // no modules known at all: igraph community detection
};
const char* to_string(Signal signal);

struct TableAssignment {
  std::string table;  // "schema.table"
  std::string service;
  Signal signal = Signal::graph_cluster;
  double confidence = 0;  // 0..1
  std::string reason;     // human sentence, e.g. "only orders writes it (120 calls)"
};

struct Service {
  std::string name;
  std::vector<std::string> tables;   // sorted
  std::vector<std::string> modules;  // workload modules mapped to it, sorted
};

// Module × table cell of the access matrix (counts are pg_stat_statements calls).
struct AccessCell {
  std::string module;
  std::string table;
  int64_t read_calls = 0;
  int64_t write_calls = 0;
  int64_t lock_calls = 0;
};

enum class Pattern {
  api_composition,     // rare read needing fresh data: call the owner's API
  event_replication,   // frequent read tolerating staleness: local cache fed by events
  cqrs_read_model,     // one query spanning several services
  analytics_database,  // reporting across services
  owner_api_write,     // write to another service's table: call the owner / publish event
  saga,                // one transaction writing to several services
  orphan_check,        // cross-service foreign key replaced by an asynchronous check
  move_to_owner,       // view/trigger/function: reimplement inside one service
  per_service_object,  // sequence/type: each service gets its own copy
};
const char* to_string(Pattern pattern);

enum class DependencyKind {
  read,         // a statement reads another service's table
  write,        // a statement writes another service's table
  join,         // a read whose statement joins the foreign table with tables of other services
  transaction,  // one transaction writes tables of several services
  foreign_key,
  view,
  trigger,
  sequence,
  type
};
const char* to_string(DependencyKind kind);

// One cross-service dependency and how the split resolves it.
struct Dependency {
  DependencyKind kind = DependencyKind::read;
  std::string consumer;             // service that needs the other's data ("" for schema objects)
  std::string owner;                // service that owns the data
  std::string module;               // workload module behind it, when from the workload
  std::vector<std::string> tables;  // tables involved, sorted
  // "schema.table.column": columns read (reads) or written (writes), sorted; empty when
  // unknown (e.g. reads through a view).
  std::vector<std::string> columns;
  std::vector<std::string> filter_columns;  // "schema.table.column" looked rows up by, sorted
  std::string object;     // the FK/view/trigger/sequence/type name for schema objects
  std::string statement;  // representative SQL (normalised) for workload dependencies
  int64_t calls = 0;
  double calls_share = 0;  // calls / all calls of the workload
  Pattern pattern = Pattern::api_composition;
  std::string rationale;  // why this pattern, quoting the thresholds
};

// Thresholds of the seed rule, shown in the output.
struct Thresholds {
  // A cross-service read is "frequent" at or above this share of all workload calls.
  double frequent_read_share = 0.01;
  // Modules whose name appears here are reporting modules (→ analytics database).
  std::vector<std::string> reporting_modules = {"reporting"};
};

struct Analysis {
  std::string database;                  // redacted URL or name
  std::vector<Service> services;         // sorted by name
  std::vector<TableAssignment> tables;   // sorted by table
  std::vector<AccessCell> matrix;        // sorted by module, table
  std::vector<Dependency> dependencies;  // sorted
  std::vector<diagnostics::Diagnostic> findings;
  Thresholds thresholds;
  int64_t total_calls = 0;
  int unparsed_statements = 0;
  catalog::Schema schema;       // what was analysed
  workload::Workload workload;  // what was analysed

  const TableAssignment* assignment(const std::string& table) const;
};

}  // namespace dbsplit::analysis
