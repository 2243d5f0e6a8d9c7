// Ownership signals, strongest first: pins, the sole writer, the dominant writer,
// readers, then the graph for tables no workload touches.
#include "core/analysis/ownership.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/analysis/evidence.hpp"
#include "core/analysis/findings.hpp"

namespace dbsplit::analysis {
namespace {

struct ModuleCalls {
  std::string module;
  int64_t calls = 0;
};

// Modules by calls, most first, ties by name, so the choice never depends on input order.
void sort_by_calls(std::vector<ModuleCalls>& modules) {
  std::sort(modules.begin(), modules.end(), [](const ModuleCalls& a, const ModuleCalls& b) {
    return a.calls != b.calls ? a.calls > b.calls : a.module < b.module;
  });
}

std::string list_modules(const std::vector<ModuleCalls>& modules, size_t from) {
  std::string out;
  for (size_t i = from; i < modules.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", modules[i].module, calls_text(modules[i].calls));
  }
  return out;
}

std::string percent(double share) { return fmt::format("{:.0f}%", share * 100); }

// Evidence of the modules that may own tables: attributed and not reporting.
struct TableEvidence {
  std::vector<ModuleCalls> writers;
  std::vector<ModuleCalls> readers;  // reads and locks
};

std::map<std::string, TableEvidence> owner_evidence(const std::vector<AccessCell>& matrix,
                                                    const Thresholds& thresholds) {
  std::map<std::string, TableEvidence> out;
  for (const auto& cell : matrix) {
    if (cell.module == kUnattributed || is_reporting_module(cell.module, thresholds)) continue;
    if (cell.write_calls > 0) out[cell.table].writers.push_back({cell.module, cell.write_calls});
    int64_t reads = cell.read_calls + cell.lock_calls;
    if (reads > 0) out[cell.table].readers.push_back({cell.module, reads});
  }
  for (auto& [table, evidence] : out) {
    sort_by_calls(evidence.writers);
    sort_by_calls(evidence.readers);
  }
  return out;
}

TableAssignment from_workload(const std::string& table, const TableEvidence& evidence) {
  TableAssignment a;
  a.table = table;
  const auto& writers = evidence.writers;
  if (writers.size() == 1) {
    a.service = writers[0].module;
    a.signal = Signal::sole_writer;
    a.confidence = 0.95;
    a.reason =
        fmt::format("only {} writes it ({})", writers[0].module, calls_text(writers[0].calls));
  } else if (writers.size() > 1) {
    int64_t total = 0;
    for (const auto& w : writers) total += w.calls;
    double share = static_cast<double>(writers[0].calls) / static_cast<double>(total);
    a.service = writers[0].module;
    a.signal = Signal::dominant_writer;
    a.confidence = std::clamp(0.9 * share, 0.3, 0.9);
    a.reason = fmt::format("{} writes it most ({} of {} write calls, {}); also written by {}",
                           writers[0].module, writers[0].calls, total, percent(share),
                           list_modules(writers, 1));
  } else {
    const auto& readers = evidence.readers;
    int64_t total = 0;
    for (const auto& r : readers) total += r.calls;
    double share = static_cast<double>(readers[0].calls) / static_cast<double>(total);
    a.service = readers[0].module;
    a.signal = Signal::readers;
    a.confidence = std::clamp(0.7 * share, 0.2, 0.7);
    a.reason = readers.size() == 1
                   ? fmt::format("nobody writes it; only {} reads it ({})", readers[0].module,
                                 calls_text(readers[0].calls))
                   : fmt::format("nobody writes it; {} reads it most ({} of {} read calls)",
                                 readers[0].module, readers[0].calls, total);
  }
  return a;
}

// Places tables without evidence next to the tables they are linked to, in rounds: each
// round decides, from the assignments made before it, every table with a decided
// neighbour, so the result does not depend on the order tables are visited.
void propagate_over_graph(const TableGraph& graph, std::vector<TableAssignment>& by_node,
                          std::vector<bool>& decided) {
  for (;;) {
    std::vector<std::pair<int, TableAssignment>> round;
    for (size_t node = 0; node < graph.nodes.size(); ++node) {
      if (decided[node]) continue;
      std::map<std::string, double> votes;
      std::map<std::string, std::vector<std::string>> voters;
      double total = 0;
      for (const auto& [neighbour, weight] : graph.adjacency[node]) {
        if (!decided[neighbour]) continue;
        votes[by_node[neighbour].service] += weight;
        voters[by_node[neighbour].service].push_back(graph.nodes[neighbour]);
        total += weight;
      }
      if (votes.empty()) continue;
      auto best = std::max_element(votes.begin(), votes.end(), [](const auto& x, const auto& y) {
        return x.second < y.second;  // first (alphabetical) wins ties
      });
      TableAssignment a;
      a.table = graph.nodes[node];
      a.service = best->first;
      a.signal = Signal::graph_cluster;
      a.confidence = 0.25 + 0.25 * best->second / total;
      const auto& names = voters[best->first];
      std::string shown;
      for (size_t i = 0; i < names.size() && i < 3; ++i) shown += (i ? ", " : "") + names[i];
      if (names.size() > 3) shown += fmt::format(" and {} more", names.size() - 3);
      a.reason = fmt::format(
          "no workload touches it; its foreign-key/join neighbours {} belong to {} "
          "(weight {:g} of {:g})",
          shown, best->first, best->second, total);
      round.emplace_back(static_cast<int>(node), std::move(a));
    }
    if (round.empty()) return;
    for (auto& [node, a] : round) {
      by_node[node] = std::move(a);
      decided[node] = true;
    }
  }
}

// Services for tables the workload and the graph could not place: communities of the
// remaining graph, each named after its most central table.
void propose_communities(const TableGraph& graph, const std::set<std::string>& taken_names,
                         std::vector<TableAssignment>& by_node, std::vector<bool>& decided,
                         bool no_workload) {
  std::vector<int> rest;
  for (size_t node = 0; node < graph.nodes.size(); ++node)
    if (!decided[node]) rest.push_back(static_cast<int>(node));
  if (rest.empty()) return;
  std::vector<int> community = detect_communities(graph, rest);
  int count = community.empty() ? 0 : *std::max_element(community.begin(), community.end()) + 1;

  std::set<std::string> used = taken_names;
  for (int c = 0; c < count; ++c) {
    std::vector<int> members;
    for (size_t i = 0; i < rest.size(); ++i)
      if (community[i] == c) members.push_back(rest[i]);
    int centre = members[0];
    for (int m : members)
      if (graph.degree(m) > graph.degree(centre)) centre = m;  // members are sorted by name
    const std::string& qualified = graph.nodes[centre];
    std::string name = qualified.substr(qualified.find('.') + 1);
    if (used.count(name)) {
      name = qualified;
      std::replace(name.begin(), name.end(), '.', '_');
    }
    used.insert(name);
    for (int m : members) {
      TableAssignment a;
      a.table = graph.nodes[m];
      a.service = name;
      a.signal = Signal::graph_community;
      a.confidence = members.size() > 1 ? 0.3 : 0.1;
      std::string why =
          no_workload ? "no workload at all" : "no workload touches it or its neighbours";
      a.reason = members.size() > 1
                     ? fmt::format(
                           "{}; community detection (Louvain) groups it with {} other "
                           "tables around {}",
                           why, members.size() - 1, qualified)
                     : fmt::format(
                           "{}; it has no foreign keys or joins to other tables, so it "
                           "stands alone",
                           why);
      by_node[m] = std::move(a);
      decided[m] = true;
    }
  }
}

}  // namespace

bool is_reporting_module(const std::string& module, const Thresholds& thresholds) {
  return std::find(thresholds.reporting_modules.begin(), thresholds.reporting_modules.end(),
                   module) != thresholds.reporting_modules.end();
}

std::vector<TableAssignment> assign_owners(const std::vector<AccessCell>& matrix,
                                           const TableGraph& graph,
                                           const std::map<std::string, PinnedTable>& pins,
                                           const Thresholds& thresholds) {
  auto evidence = owner_evidence(matrix, thresholds);
  std::vector<TableAssignment> by_node(graph.nodes.size());
  std::vector<bool> decided(graph.nodes.size(), false);
  std::set<std::string> services;
  for (size_t node = 0; node < graph.nodes.size(); ++node) {
    const std::string& table = graph.nodes[node];
    TableAssignment a;
    if (auto pin = pins.find(table); pin != pins.end()) {
      a.table = table;
      a.service = pin->second.service;
      a.signal = Signal::pin;
      a.confidence = 1.0;
      a.reason =
          pin->second.pattern == table
              ? fmt::format("pinned to {} by the pins file", a.service)
              : fmt::format("pinned to {} by the pins file ({})", a.service, pin->second.pattern);
    } else if (auto e = evidence.find(table); e != evidence.end()) {
      a = from_workload(table, e->second);
    } else {
      continue;
    }
    services.insert(a.service);
    by_node[node] = std::move(a);
    decided[node] = true;
  }
  propagate_over_graph(graph, by_node, decided);
  propose_communities(graph, services, by_node, decided, evidence.empty() && pins.empty());
  return by_node;
}

}  // namespace dbsplit::analysis
