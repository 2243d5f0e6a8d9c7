// Schema objects that span services, and tables that stand in the way of the database
// stage (no replica identity) or that nothing uses.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/analysis/findings.hpp"
#include "core/analysis/ownership.hpp"

namespace dbsplit::analysis {
namespace {

using diagnostics::Diagnostic;
using diagnostics::Severity;

// "schema.table.column" → "schema.table"
std::string table_of_column(const std::string& column) {
  auto dot = column.rfind('.');
  return dot == std::string::npos ? column : column.substr(0, dot);
}

std::vector<std::string> sorted(const std::set<std::string>& items) {
  return {items.begin(), items.end()};
}

// The service owning most of the tables (ties: first by name): where a spanning object
// is best reimplemented.
std::string main_service(const std::vector<std::string>& tables, const Owners& owners) {
  std::map<std::string, int> counts;
  for (const auto& t : tables) counts[owners.of(t)] += 1;
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return best == counts.end() ? std::string() : best->first;
}

struct Spanning {
  std::vector<std::string> tables;    // known tables involved, sorted
  std::vector<std::string> services;  // their services, sorted
};

Spanning spanning(const std::set<std::string>& tables, const Owners& owners) {
  Spanning s;
  std::set<std::string> known, services;
  for (const auto& t : tables) {
    std::string owner = owners.of(t);
    if (owner.empty()) continue;
    known.insert(t);
    services.insert(owner);
  }
  s.tables = sorted(known);
  s.services = sorted(services);
  return s;
}

void add_foreign_keys(const catalog::Schema& schema, const Owners& owners, Outcome& out) {
  for (const auto& fk : schema.foreign_keys) {
    std::string from = owners.of(fk.table), to = owners.of(fk.ref_table);
    if (from.empty() || to.empty() || from == to) continue;
    Dependency d;
    d.kind = DependencyKind::foreign_key;
    d.consumer = from;
    d.owner = to;
    d.tables = sorted({fk.table, fk.ref_table});
    for (const auto& c : fk.columns) d.columns.push_back(fk.table + "." + c);
    for (const auto& c : fk.ref_columns) d.filter_columns.push_back(fk.ref_table + "." + c);
    std::sort(d.columns.begin(), d.columns.end());
    std::sort(d.filter_columns.begin(), d.filter_columns.end());
    d.object = fk.name;
    d.pattern = Pattern::orphan_check;
    d.rationale = fmt::format(
        "services refer to each other by ids: drop the key in the writes stage and check for "
        "orphans in {} instead",
        from);
    out.findings.push_back(Diagnostic{
        "DS102", Severity::warning, d.tables,
        fmt::format("foreign key {} of {} ({}) references {} ({}): {}", fk.name, fk.table, from,
                    fk.ref_table, to, fk.definition),
        "orphan_check: keep the id, drop the constraint, check for orphans asynchronously"});
    out.dependencies.push_back(std::move(d));
  }
}

void add_object(DependencyKind kind, const char* code, const std::string& what,
                const std::string& object, const Spanning& span, const std::string& owner,
                Pattern pattern, const std::string& advice, Outcome& out) {
  Dependency d;
  d.kind = kind;
  d.owner = owner;
  d.tables = span.tables;
  d.object = object;
  d.pattern = pattern;
  d.rationale = fmt::format("{} {} spans {} services ({})", what, object, span.services.size(),
                            join_words(span.services));
  std::vector<std::string> objects{object};
  objects.insert(objects.end(), span.tables.begin(), span.tables.end());
  out.findings.push_back(
      Diagnostic{code, Severity::warning, objects,
                 fmt::format("{} {} spans {} services ({}): {}", what, object, span.services.size(),
                             join_words(span.services), join_words(span.tables)),
                 advice});
  out.dependencies.push_back(std::move(d));
}

// The module reading a view most (reporting aside): the view becomes its read model.
std::string main_view_reader(const std::string& view, const workload::Workload& workload,
                             const Thresholds& thresholds) {
  std::map<std::string, int64_t> calls;
  for (const auto& s : workload.statements) {
    if (s.module.empty() || is_reporting_module(s.module, thresholds)) continue;
    for (const auto& a : s.analysis.accesses)
      if (a.table == view) calls[s.module] += s.calls;
  }
  auto best = std::max_element(calls.begin(), calls.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return best == calls.end() ? std::string() : best->first;
}

void add_views(const catalog::Schema& schema, const Relations& relations, const Owners& owners,
               const workload::Workload& workload, const Thresholds& thresholds, Outcome& out) {
  for (const auto& v : schema.views) {
    const auto& units = relations.units(v.qualified());
    Spanning span = spanning({units.begin(), units.end()}, owners);
    if (span.services.size() < 2) continue;
    std::string reader = main_view_reader(v.qualified(), workload, thresholds);
    std::vector<std::string> foreign;
    for (const auto& table : span.tables)
      if (owners.of(table) != reader) foreign.push_back(table);
    add_object(DependencyKind::view, "DS105", v.materialized ? "materialized view" : "view",
               v.qualified(), span, main_service(foreign, owners), Pattern::cqrs_read_model,
               reader.empty()
                   ? std::string("cqrs_read_model: the service that needs the view keeps a "
                                 "read model fed by the owners' events instead")
                   : fmt::format("cqrs_read_model: {} keeps a read model fed by the owners' "
                                 "events instead of the view",
                                 reader),
               out);
    out.dependencies.back().consumer = reader;
  }
}

void add_triggers(const catalog::Schema& schema, const Owners& owners, Outcome& out) {
  for (const auto& t : schema.triggers) {
    std::set<std::string> tables(t.touches.begin(), t.touches.end());
    tables.insert(t.table);
    Spanning span = spanning(tables, owners);
    if (span.services.size() < 2) continue;
    std::string fires_in = owners.of(t.table);
    std::vector<std::string> touched;  // tables of the other services the trigger reaches
    for (const auto& table : span.tables)
      if (owners.of(table) != fires_in) touched.push_back(table);
    std::string object = t.table + "." + t.name;
    add_object(DependencyKind::trigger, "DS106", "trigger", object, span,
               main_service(touched, owners), Pattern::move_to_owner,
               fmt::format("move_to_owner: {} publishes an event (outbox) and the services "
                           "owning the touched tables handle it, instead of trigger {}",
                           fires_in, t.name),
               out);
    out.dependencies.back().consumer = fires_in;
  }
}

// A finding only: the function's callers are the dependency, and the plan reaches them
// through the statements and triggers that call it.
void add_functions(const catalog::Schema& schema, const Owners& owners, Outcome& out) {
  for (const auto& f : schema.functions) {
    std::set<std::string> tables(f.reads.begin(), f.reads.end());
    tables.insert(f.writes.begin(), f.writes.end());
    Spanning span = spanning(tables, owners);
    if (span.services.size() < 2) continue;
    std::string owner = main_service(span.tables, owners);
    std::string name = f.schema + "." + f.name;
    std::vector<std::string> objects{name};
    objects.insert(objects.end(), span.tables.begin(), span.tables.end());
    out.findings.push_back(Diagnostic{
        "DS107", Severity::warning, objects,
        fmt::format("function {} spans {} services ({}): {}", name, span.services.size(),
                    join_words(span.services), join_words(span.tables)),
        fmt::format("move_to_owner: reimplement it in {} and reach the other services' data "
                    "through their APIs or events",
                    owner)});
  }
}

void add_sequences(const catalog::Schema& schema, const Owners& owners, Outcome& out) {
  for (const auto& s : schema.sequences) {
    std::set<std::string> tables;
    for (const auto& column : s.used_by) tables.insert(table_of_column(column));
    if (!s.owned_by_table.empty()) tables.insert(s.owned_by_table);
    Spanning span = spanning(tables, owners);
    if (span.services.size() < 2) continue;
    std::string owner =
        s.owned_by_table.empty() ? main_service(span.tables, owners) : owners.of(s.owned_by_table);
    add_object(DependencyKind::sequence, "DS108", "sequence", s.qualified(), span, owner,
               Pattern::per_service_object,
               "per_service_object: each service gets its own sequence, started above the "
               "shared one's current value so numbers stay unique",
               out);
  }
}

void add_types(const catalog::Schema& schema, const Owners& owners, Outcome& out) {
  for (const auto& t : schema.types) {
    std::set<std::string> tables;
    for (const auto& column : t.used_by) tables.insert(table_of_column(column));
    Spanning span = spanning(tables, owners);
    if (span.services.size() < 2) continue;
    add_object(DependencyKind::type, "DS109", t.kind == 'e' ? "enum type" : "type", t.qualified(),
               span, main_service(span.tables, owners), Pattern::per_service_object,
               "per_service_object: each service's database gets its own copy of the type; "
               "changes to it are coordinated like an API change",
               out);
  }
}

void add_replica_identity(const catalog::Schema& schema, Outcome& out) {
  for (const auto& t : schema.tables) {
    if (t.kind == 'p') continue;  // holds no rows; its partitions are checked
    std::string problem;
    if (t.replica_identity == 'n') {
      problem = "has REPLICA IDENTITY NOTHING";
    } else if (t.replica_identity == 'd' && t.primary_key.empty()) {
      problem = "has no primary key and no replica identity";
    } else if (t.replica_identity == 'i' && t.replica_identity_index.empty()) {
      problem = "has a replica identity index that no longer exists";
    } else {
      continue;
    }
    out.findings.push_back(Diagnostic{
        "DS110",
        Severity::error,
        {t.qualified()},
        fmt::format("{} {}: logical replication cannot copy its UPDATEs and DELETEs, which "
                    "blocks the database stage",
                    t.qualified(), problem),
        fmt::format("add a primary key, or ALTER TABLE {} REPLICA IDENTITY FULL (or USING "
                    "INDEX on a unique not-null index)",
                    t.qualified())});
  }
}

void add_untouched(const Relations& relations, const std::vector<AccessCell>& matrix,
                   const Owners& owners, Outcome& out) {
  std::set<std::string> touched;
  for (const auto& cell : matrix) touched.insert(cell.table);
  for (const auto& table : relations.unit_tables()) {
    if (touched.count(table)) continue;
    out.findings.push_back(
        Diagnostic{"DS111",
                   Severity::info,
                   {table},
                   fmt::format("no statement of the workload touches {} (proposed owner: {})",
                               table, owners.of(table)),
                   "confirm it is unused and archive or drop it, or pin it to a service"});
  }
}

}  // namespace

void add_schema_findings(const catalog::Schema& schema, const Relations& relations,
                         const Owners& owners, const std::vector<AccessCell>& matrix,
                         const workload::Workload& workload, const Thresholds& thresholds,
                         Outcome& out) {
  bool have_workload = !workload.statements.empty();
  add_foreign_keys(schema, owners, out);
  add_views(schema, relations, owners, workload, thresholds, out);
  add_triggers(schema, owners, out);
  add_functions(schema, owners, out);
  add_sequences(schema, owners, out);
  add_types(schema, owners, out);
  add_replica_identity(schema, out);
  if (have_workload) add_untouched(relations, matrix, owners, out);
}

}  // namespace dbsplit::analysis
