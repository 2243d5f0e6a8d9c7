// analyze(): the access matrix, then ownership, then what crosses the new boundaries.
#include "core/analysis/analyze.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "core/analysis/evidence.hpp"
#include "core/analysis/findings.hpp"
#include "core/analysis/graph.hpp"
#include "core/analysis/ownership.hpp"

namespace dbsplit::analysis {
namespace {

// Partitions go with their parent: same service, same signal.
std::vector<TableAssignment> with_partitions(const catalog::Schema& schema,
                                             const Relations& relations,
                                             std::vector<TableAssignment> units) {
  std::map<std::string, TableAssignment> by_table;
  for (auto& a : units) by_table.emplace(a.table, std::move(a));
  for (const auto& t : schema.tables) {
    std::string unit = relations.unit_of(t.qualified());
    if (unit == t.qualified()) continue;
    TableAssignment a = by_table.at(unit);
    a.table = t.qualified();
    a.reason = "partition of " + unit + ", which " + a.service + " owns";
    by_table.emplace(a.table, std::move(a));
  }
  std::vector<TableAssignment> out;
  for (auto& [table, a] : by_table) out.push_back(std::move(a));
  return out;
}

std::vector<Service> services_of(const std::vector<TableAssignment>& tables,
                                 const std::vector<AccessCell>& matrix) {
  std::map<std::string, Service> services;
  for (const auto& a : tables) {
    Service& s = services[a.service];
    s.name = a.service;
    s.tables.push_back(a.table);
  }
  for (const auto& cell : matrix) {
    auto it = services.find(cell.module);
    if (it != services.end() &&
        (it->second.modules.empty() || it->second.modules.back() != cell.module))
      it->second.modules.push_back(cell.module);
  }
  std::vector<Service> out;
  for (auto& [name, s] : services) {
    std::sort(s.tables.begin(), s.tables.end());
    out.push_back(std::move(s));
  }
  return out;
}

auto dependency_key(const Dependency& d) {
  return std::tie(d.kind, d.consumer, d.owner, d.tables, d.object, d.statement, d.module);
}

auto finding_key(const diagnostics::Diagnostic& f) {
  return std::make_tuple(-static_cast<int>(f.severity), std::cref(f.code), std::cref(f.objects),
                         std::cref(f.message));
}

}  // namespace

const char* to_string(Signal signal) {
  switch (signal) {
    case Signal::pin:
      return "pin";
    case Signal::sole_writer:
      return "sole_writer";
    case Signal::dominant_writer:
      return "dominant_writer";
    case Signal::readers:
      return "readers";
    case Signal::graph_cluster:
      return "graph_cluster";
    case Signal::graph_community:
      return "graph_community";
  }
  return "graph_cluster";
}

const char* to_string(Pattern pattern) {
  switch (pattern) {
    case Pattern::api_composition:
      return "api_composition";
    case Pattern::event_replication:
      return "event_replication";
    case Pattern::cqrs_read_model:
      return "cqrs_read_model";
    case Pattern::analytics_database:
      return "analytics_database";
    case Pattern::owner_api_write:
      return "owner_api_write";
    case Pattern::saga:
      return "saga";
    case Pattern::orphan_check:
      return "orphan_check";
    case Pattern::move_to_owner:
      return "move_to_owner";
    case Pattern::per_service_object:
      return "per_service_object";
  }
  return "api_composition";
}

const char* to_string(DependencyKind kind) {
  switch (kind) {
    case DependencyKind::read:
      return "read";
    case DependencyKind::write:
      return "write";
    case DependencyKind::join:
      return "join";
    case DependencyKind::transaction:
      return "transaction";
    case DependencyKind::foreign_key:
      return "foreign_key";
    case DependencyKind::view:
      return "view";
    case DependencyKind::trigger:
      return "trigger";
    case DependencyKind::sequence:
      return "sequence";
    case DependencyKind::type:
      return "type";
  }
  return "read";
}

const TableAssignment* Analysis::assignment(const std::string& table) const {
  auto it =
      std::lower_bound(tables.begin(), tables.end(), table,
                       [](const TableAssignment& a, const std::string& t) { return a.table < t; });
  return it != tables.end() && it->table == table ? &*it : nullptr;
}

Analysis analyze(catalog::Schema schema, workload::Workload workload,
                 const AnalyzeOptions& options) {
  std::sort(schema.tables.begin(), schema.tables.end(),
            [](const catalog::Table& a, const catalog::Table& b) {
              return a.qualified() < b.qualified();
            });
  Relations relations(schema);
  Analysis analysis;
  analysis.database = schema.database;
  analysis.thresholds = options.thresholds;
  for (const auto& s : workload.statements) analysis.total_calls += s.calls;
  analysis.unparsed_statements = static_cast<int>(workload.unparsed.size());

  // 1. Who touches what, in calls.
  analysis.matrix = build_access_matrix(workload, relations);
  // 2. One owner per table, strongest signal first; partitions follow their parent.
  auto pins = resolve_pins(options.pins, options.pins_path, relations);
  TableGraph graph = build_table_graph(schema, workload, relations);
  analysis.tables = with_partitions(
      schema, relations, assign_owners(analysis.matrix, graph, pins, options.thresholds));
  analysis.services = services_of(analysis.tables, analysis.matrix);
  // 3. What crosses the boundaries just drawn, and the pattern that resolves it.
  Owners owners(analysis.tables, relations);
  Outcome outcome;
  add_workload_findings(workload, relations, owners, analysis.matrix, analysis.tables,
                        options.thresholds, outcome);
  add_schema_findings(schema, relations, owners, analysis.matrix, workload, options.thresholds,
                      outcome);
  bool any_signal = std::any_of(analysis.tables.begin(), analysis.tables.end(),
                                [](const auto& a) { return a.signal != Signal::graph_community; });
  if (!analysis.tables.empty() && !any_signal) {
    outcome.findings.push_back(diagnostics::Diagnostic{
        "DS115",
        diagnostics::Severity::info,
        {},
        "no workload and no pins: services were proposed from foreign keys alone (community "
        "detection); name them and confirm them with a pins file",
        "run the application's workload with pg_stat_statements, or pass --log, or --pins"});
  }

  std::sort(outcome.dependencies.begin(), outcome.dependencies.end(),
            [](const Dependency& a, const Dependency& b) {
              return dependency_key(a) < dependency_key(b);
            });
  std::stable_sort(outcome.findings.begin(), outcome.findings.end(),
                   [](const diagnostics::Diagnostic& a, const diagnostics::Diagnostic& b) {
                     return finding_key(a) < finding_key(b);
                   });
  analysis.dependencies = std::move(outcome.dependencies);
  analysis.findings = std::move(outcome.findings);
  analysis.schema = std::move(schema);
  analysis.workload = std::move(workload);
  return analysis;
}

}  // namespace dbsplit::analysis
