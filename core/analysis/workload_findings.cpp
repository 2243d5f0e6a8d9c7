// The workload's cross-service reads, writes, joins and transactions, each with the
// pattern of the seed rule.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/analysis/evidence.hpp"
#include "core/analysis/findings.hpp"
#include "core/analysis/ownership.hpp"

namespace dbsplit::analysis {
namespace {

using diagnostics::Diagnostic;
using diagnostics::Severity;

std::vector<std::string> sorted(const std::set<std::string>& items) {
  return {items.begin(), items.end()};
}

std::string share_text(double share) { return fmt::format("{:.2f}%", share * 100); }

// The seed rule for one read of `owner`'s tables; see docs/analyze.md.
Pattern read_pattern(bool reporting, size_t foreign_services, bool locks, double share,
                     const Thresholds& t, std::string& rationale) {
  if (reporting) {
    rationale = "reporting module: reports across services read a dedicated analytics database";
    return Pattern::analytics_database;
  }
  if (foreign_services >= 2) {
    rationale = fmt::format(
        "one statement reads tables of {} other services: a CQRS read model fed by their "
        "events answers it locally",
        foreign_services);
    return Pattern::cqrs_read_model;
  }
  if (locks) {
    rationale =
        "locks the rows it reads (FOR UPDATE/SHARE): needs the owner's fresh data, so "
        "ask the owner's API";
    return Pattern::api_composition;
  }
  if (share >= t.frequent_read_share) {
    rationale = fmt::format(
        "{} of all calls >= frequent_read_share {}: frequent, tolerates staleness, so keep a "
        "local cache of the columns read, fed by the owner's events",
        share_text(share), share_text(t.frequent_read_share));
    return Pattern::event_replication;
  }
  rationale = fmt::format(
      "{} of all calls < frequent_read_share {}: rare, wants fresh data, so call the owner's "
      "API",
      share_text(share), share_text(t.frequent_read_share));
  return Pattern::api_composition;
}

std::string pattern_advice(Pattern pattern, const Dependency& d) {
  switch (pattern) {
    case Pattern::api_composition:
      return fmt::format("api_composition: {} calls the API of {} instead of reading its tables",
                         d.consumer, d.owner);
    case Pattern::event_replication:
      return fmt::format(
          "event_replication: {} keeps a local cache of the columns it reads, fed by events "
          "from {}",
          d.consumer, d.owner);
    case Pattern::cqrs_read_model:
      return fmt::format("cqrs_read_model: {} answers the query from a read model fed by events",
                         d.consumer);
    case Pattern::analytics_database:
      return "analytics_database: reports read a dedicated analytics database fed by every "
             "service";
    case Pattern::owner_api_write:
      return fmt::format(
          "owner_api_write: {} calls the API of {} (or publishes an event {} handles) instead "
          "of writing its tables",
          d.consumer, d.owner, d.owner);
    case Pattern::saga:
      return "saga: one local transaction per service, with compensations, events through the "
             "outbox";
    default:
      return to_string(pattern);
  }
}

struct StatementView {
  const workload::Statement* statement;
  std::vector<UnitAccess> accesses;
};

void add_statement_dependencies(const StatementView& view, const Owners& owners,
                                const Thresholds& thresholds, int64_t total_calls, Outcome& out) {
  const auto& s = *view.statement;
  const std::string& consumer = s.module;
  bool reporting = is_reporting_module(consumer, thresholds);
  double share =
      total_calls > 0 ? static_cast<double>(s.calls) / static_cast<double>(total_calls) : 0.0;

  std::map<std::string, std::vector<const UnitAccess*>> written, read;
  for (const auto& a : view.accesses) {
    std::string owner = owners.of(a.table);
    if (owner.empty() || owner == consumer) continue;
    if (a.write) {
      written[owner].push_back(&a);
    } else if (a.read || a.lock) {
      read[owner].push_back(&a);
    }
  }

  // Pairs of joined tables belonging to different services.
  std::set<std::pair<std::string, std::string>> cross_joins;
  std::set<std::string> join_services;
  for (const auto& [x, y] : s.analysis.joins) {
    std::string ox = owners.of(x), oy = owners.of(y);
    if (ox.empty() || oy.empty() || ox == oy) continue;
    cross_joins.insert({x, y});
    join_services.insert(ox);
    join_services.insert(oy);
  }

  for (const auto& [owner, accesses] : written) {
    Dependency d;
    d.kind = DependencyKind::write;
    d.consumer = consumer;
    d.owner = owner;
    d.module = consumer;
    std::set<std::string> tables, columns, filters;
    for (const auto* a : accesses) {
      tables.insert(a->table);
      columns.insert(a->columns_written.begin(), a->columns_written.end());
      filters.insert(a->columns_filtered.begin(), a->columns_filtered.end());
    }
    d.tables = sorted(tables);
    d.columns = sorted(columns);
    d.filter_columns = sorted(filters);
    d.statement = s.text;
    d.calls = s.calls;
    d.calls_share = share;
    d.pattern = Pattern::owner_api_write;
    d.rationale = fmt::format("{} writes tables {} owns: one writer per entity", consumer, owner);
    out.dependencies.push_back(std::move(d));
  }

  std::string pattern_text;
  for (const auto& [owner, accesses] : read) {
    Dependency d;
    d.consumer = consumer;
    d.owner = owner;
    d.module = consumer;
    std::set<std::string> tables, columns, filters;
    bool locks = false;
    for (const auto* a : accesses) {
      tables.insert(a->table);
      columns.insert(a->columns_read.begin(), a->columns_read.end());
      filters.insert(a->columns_filtered.begin(), a->columns_filtered.end());
      locks = locks || a->lock;
    }
    d.kind = join_services.count(owner) ? DependencyKind::join : DependencyKind::read;
    d.tables = sorted(tables);
    d.columns = sorted(columns);
    d.filter_columns = sorted(filters);
    d.statement = s.text;
    d.calls = s.calls;
    d.calls_share = share;
    d.pattern = read_pattern(reporting, read.size(), locks, share, thresholds, d.rationale);
    pattern_text = pattern_advice(d.pattern, d);
    out.dependencies.push_back(std::move(d));
  }

  if (!cross_joins.empty()) {
    std::set<std::string> objects;
    for (const auto& [x, y] : cross_joins) {
      objects.insert(x);
      objects.insert(y);
    }
    std::vector<std::string> tables = sorted(objects);
    std::vector<std::string> services = sorted(join_services);
    tables.push_back(consumer);
    if (pattern_text.empty())  // joins only the consumer's own tables with each other
      pattern_text = "api_composition: join in the service after calling the owners' APIs";
    out.findings.push_back(
        Diagnostic{"DS103", Severity::warning, tables,
                   fmt::format("a query of {} joins tables of {} services ({}): {}", consumer,
                               services.size(), join_words(services), s.text),
                   pattern_text});
  }
}

// DS112/DS113: one finding per consumer, owner and pattern, over all its statements.
void summarise_dependencies(const std::vector<Dependency>& deps, Outcome& out) {
  struct Sum {
    int64_t calls = 0;
    int statements = 0;
    std::set<std::string> tables;
    const Dependency* first = nullptr;
  };
  std::map<std::tuple<bool, std::string, std::string, int>, Sum> sums;
  for (const auto& d : deps) {
    bool is_write = d.kind == DependencyKind::write;
    if (!is_write && d.kind != DependencyKind::read && d.kind != DependencyKind::join) continue;
    auto& sum = sums[{is_write, d.consumer, d.owner, static_cast<int>(d.pattern)}];
    sum.calls += d.calls;
    sum.statements += 1;
    sum.tables.insert(d.tables.begin(), d.tables.end());
    if (!sum.first) sum.first = &d;
  }
  for (const auto& [key, sum] : sums) {
    const Dependency& d = *sum.first;
    std::vector<std::string> objects = sorted(sum.tables);
    std::string tables = join_words(objects);
    objects.push_back(d.consumer);
    bool is_write = std::get<0>(key);
    std::string what = fmt::format(
        "{} {} {} of {} ({} in {} statement{})", d.consumer, is_write ? "writes" : "reads", tables,
        d.owner, calls_text(sum.calls), sum.statements, sum.statements == 1 ? "" : "s");
    // The rationale of the most called statement speaks for the group.
    const Dependency* top = sum.first;
    for (const auto& other : deps)
      if (&other != top && other.consumer == d.consumer && other.owner == d.owner &&
          other.pattern == d.pattern && (other.kind == DependencyKind::write) == is_write &&
          other.calls > top->calls)
        top = &other;
    out.findings.push_back(Diagnostic{is_write ? "DS113" : "DS112", Severity::warning, objects,
                                      what + "; " + top->rationale, pattern_advice(d.pattern, d)});
  }
}

void add_multi_writer_findings(const std::vector<AccessCell>& matrix,
                               const std::vector<TableAssignment>& assignments, Outcome& out) {
  std::map<std::string, std::vector<const AccessCell*>> writers;
  for (const auto& cell : matrix)
    if (cell.write_calls > 0 && cell.module != kUnattributed) writers[cell.table].push_back(&cell);
  for (const auto& a : assignments) {
    auto it = writers.find(a.table);
    if (it == writers.end() || it->second.size() < 2) continue;
    std::vector<std::string> objects{a.table};
    std::vector<std::string> parts;
    for (const auto* cell : it->second) {
      objects.push_back(cell->module);
      parts.push_back(fmt::format("{} ({})", cell->module, calls_text(cell->write_calls)));
    }
    out.findings.push_back(Diagnostic{
        "DS101", Severity::error, objects,
        fmt::format("{} is written by {} modules: {}; {} owns it ({})", a.table, it->second.size(),
                    join_words(parts), a.service, to_string(a.signal)),
        fmt::format("owner_api_write: the other modules call the API of {} or publish events {} "
                    "handles",
                    a.service, a.service)});
  }
}

void add_transaction_findings(const workload::Workload& workload, const Owners& owners,
                              Outcome& out) {
  struct Group {
    int64_t count = 0;
    const workload::Transaction* first = nullptr;
  };
  std::map<std::pair<std::string, std::set<std::string>>, Group> groups;
  for (const auto& t : workload.transactions) {
    std::set<std::string> units;
    for (const auto& table : t.tables_written)
      if (!owners.of(table).empty()) units.insert(table);
    auto& g = groups[{t.module, units}];
    g.count += 1;
    if (!g.first) g.first = &t;
  }
  for (const auto& [key, group] : groups) {
    const auto& [module, tables] = key;
    std::set<std::string> services;
    for (const auto& table : tables) services.insert(owners.of(table));
    if (services.size() < 2) continue;
    std::vector<std::string> service_list = sorted(services);
    std::string statements;
    for (const auto& text : group.first->statements)
      statements += (statements.empty() ? "" : "; ") + text;
    for (const auto& owner : service_list) {
      if (owner == module) continue;
      Dependency d;
      d.kind = DependencyKind::transaction;
      d.consumer = module;
      d.owner = owner;
      d.module = module;
      d.tables = sorted(tables);
      d.object = group.first->id;
      d.statement = statements;
      d.calls = group.count;
      d.pattern = Pattern::saga;
      d.rationale = fmt::format(
          "one transaction writes tables of {} services ({}): a saga of "
          "local transactions with compensations replaces it",
          services.size(), join_words(service_list));
      out.dependencies.push_back(std::move(d));
    }
    std::vector<std::string> objects = sorted(tables);
    objects.push_back(module);
    out.findings.push_back(Diagnostic{
        "DS104", Severity::warning, objects,
        fmt::format("a transaction of {} writes tables of {} services ({}): {} ({} times)", module,
                    services.size(), join_words(service_list), join_words(sorted(tables)),
                    group.count),
        "saga: one local transaction per service, with compensations, events through the "
        "outbox"});
  }
}

}  // namespace

std::string calls_text(int64_t calls) {
  return fmt::format("{} call{}", calls, calls == 1 ? "" : "s");
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

void add_workload_findings(const workload::Workload& workload, const Relations& relations,
                           const Owners& owners, const std::vector<AccessCell>& matrix,
                           const std::vector<TableAssignment>& assignments,
                           const Thresholds& thresholds, Outcome& out) {
  int64_t total_calls = 0;
  for (const auto& s : workload.statements) total_calls += s.calls;
  std::vector<Dependency> deps;
  Outcome statement_out;
  for (const auto& s : workload.statements) {
    if (s.module.empty()) continue;  // nobody to hand a pattern to
    add_statement_dependencies({&s, unit_accesses(s, relations)}, owners, thresholds, total_calls,
                               statement_out);
  }
  summarise_dependencies(statement_out.dependencies, out);
  std::set<std::pair<std::vector<std::string>, std::string>> seen_joins;
  for (auto& f : statement_out.findings)
    if (seen_joins.insert({f.objects, f.pattern}).second) out.findings.push_back(std::move(f));
  for (auto& d : statement_out.dependencies) out.dependencies.push_back(std::move(d));

  add_multi_writer_findings(matrix, assignments, out);
  add_transaction_findings(workload, owners, out);

  if (!workload.unparsed.empty()) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < workload.unparsed.size() && i < 5; ++i)
      shown.push_back(workload.unparsed[i].substr(0, 80));
    out.findings.push_back(
        Diagnostic{"DS114", Severity::warning, shown,
                   fmt::format("{} statement{} did not parse and were left out of the analysis",
                               workload.unparsed.size(), workload.unparsed.size() == 1 ? "" : "s"),
                   "check that they are PostgreSQL 15 SQL; statements truncated in logs "
                   "(track_activity_query_size) cannot parse"});
  }
}

}  // namespace dbsplit::analysis
