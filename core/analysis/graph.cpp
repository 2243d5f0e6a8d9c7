#include "core/analysis/graph.hpp"

#include <igraph/igraph.h>

#include <algorithm>
#include <set>

#include "core/analysis/evidence.hpp"
#include "core/util/error.hpp"

namespace dbsplit::analysis {
namespace {

// Seed of igraph's generator: Louvain visits vertices in a random order.
constexpr igraph_uint_t kCommunitySeed = 20240611;

void check(igraph_error_t status, const char* what) {
  if (status != IGRAPH_SUCCESS)
    throw RuntimeError(std::string("community detection failed in ") + what + ": " +
                       igraph_strerror(status) + "; rerun with a pins file to skip it");
}

// RAII holders, so a failing call frees what was allocated.
struct IntVector {
  igraph_vector_int_t v;
  explicit IntVector(igraph_integer_t n) { check(igraph_vector_int_init(&v, n), "allocation"); }
  ~IntVector() { igraph_vector_int_destroy(&v); }
};
struct RealVector {
  igraph_vector_t v;
  explicit RealVector(igraph_integer_t n) { check(igraph_vector_init(&v, n), "allocation"); }
  ~RealVector() { igraph_vector_destroy(&v); }
};
struct Graph {
  igraph_t g;
  Graph(const igraph_vector_int_t& edges, igraph_integer_t n) {
    check(igraph_create(&g, &edges, n, IGRAPH_UNDIRECTED), "igraph_create");
  }
  ~Graph() { igraph_destroy(&g); }
};

}  // namespace

int TableGraph::index(const std::string& table) const {
  auto it = std::lower_bound(nodes.begin(), nodes.end(), table);
  return it != nodes.end() && *it == table ? static_cast<int>(it - nodes.begin()) : -1;
}

void TableGraph::add_edge(const std::string& a, const std::string& b, double weight) {
  int ia = index(a);
  int ib = index(b);
  if (ia < 0 || ib < 0 || ia == ib) return;
  edges[{std::min(ia, ib), std::max(ia, ib)}] += weight;
}

void TableGraph::finish() {
  adjacency.assign(nodes.size(), {});
  for (const auto& [edge, weight] : edges) {  // map order keeps each list sorted
    adjacency[edge.first].emplace_back(edge.second, weight);
    adjacency[edge.second].emplace_back(edge.first, weight);
  }
  for (auto& list : adjacency) std::sort(list.begin(), list.end());
}

double TableGraph::degree(int node) const {
  double sum = 0;
  for (const auto& [n, weight] : adjacency[node]) sum += weight;
  return sum;
}

TableGraph build_table_graph(const catalog::Schema& schema, const workload::Workload& workload,
                             const Relations& relations) {
  TableGraph graph;
  graph.nodes = relations.unit_tables();
  for (const auto& fk : schema.foreign_keys)
    graph.add_edge(relations.unit_of(fk.table), relations.unit_of(fk.ref_table), 1.0);
  for (const auto& statement : workload.statements) {
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& [a, b] : statement.analysis.joins) {
      for (const auto& ua : relations.units(a))
        for (const auto& ub : relations.units(b))
          if (ua != ub) pairs.insert({std::min(ua, ub), std::max(ua, ub)});
    }
    for (const auto& [a, b] : pairs) graph.add_edge(a, b, 1.0);
  }
  graph.finish();
  return graph;
}

std::vector<int> detect_communities(const TableGraph& graph, const std::vector<int>& nodes) {
  if (nodes.empty()) return {};
  std::map<int, int> local;  // graph index → subgraph vertex
  for (int node : nodes) local.emplace(node, static_cast<int>(local.size()));
  std::vector<std::pair<std::pair<int, int>, double>> sub_edges;
  for (const auto& [edge, weight] : graph.edges) {
    auto a = local.find(edge.first);
    auto b = local.find(edge.second);
    if (a != local.end() && b != local.end()) sub_edges.push_back({{a->second, b->second}, weight});
  }

  igraph_set_error_handler(igraph_error_handler_ignore);
  igraph_set_warning_handler(igraph_warning_handler_ignore);
  check(igraph_rng_seed(igraph_rng_default(), kCommunitySeed), "igraph_rng_seed");
  IntVector edges(static_cast<igraph_integer_t>(2 * sub_edges.size()));
  RealVector weights(static_cast<igraph_integer_t>(sub_edges.size()));
  for (size_t i = 0; i < sub_edges.size(); ++i) {
    VECTOR(edges.v)[2 * i] = sub_edges[i].first.first;
    VECTOR(edges.v)[2 * i + 1] = sub_edges[i].first.second;
    VECTOR(weights.v)[i] = sub_edges[i].second;
  }
  Graph g(edges.v, static_cast<igraph_integer_t>(nodes.size()));
  IntVector membership(0);
  check(igraph_community_multilevel(&g.g, &weights.v, 1.0, &membership.v, nullptr, nullptr),
        "igraph_community_multilevel");

  // Renumber in order of first appearance so ids do not depend on igraph's numbering.
  std::map<igraph_integer_t, int> renumber;
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    igraph_integer_t id = VECTOR(membership.v)[local.at(nodes[i])];
    auto it = renumber.emplace(id, static_cast<int>(renumber.size())).first;
    out.push_back(it->second);
  }
  return out;
}

}  // namespace dbsplit::analysis
