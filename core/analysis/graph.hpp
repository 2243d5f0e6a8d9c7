#pragma once
// The relationship graph of unit tables: foreign keys and co-access (tables one
// statement joins), used to place tables no workload touches and, with no workload at
// all, to propose service boundaries by community detection (igraph, Louvain).
#include <map>
#include <string>
#include <vector>

#include "core/analysis/relations.hpp"
#include "core/workload/model.hpp"

namespace dbsplit::analysis {

struct TableGraph {
  std::vector<std::string> nodes;  // unit tables, sorted
  // Undirected weighted edges between node indexes (a < b): one per FK, one per
  // distinct statement joining the pair; parallel edges are summed.
  std::map<std::pair<int, int>, double> edges;

  std::vector<std::vector<std::pair<int, double>>> adjacency;  // filled by finish()

  int index(const std::string& table) const;  // -1 when not a node
  void add_edge(const std::string& a, const std::string& b, double weight);
  void finish();                  // builds `adjacency` from `edges`, each list sorted by neighbour
  double degree(int node) const;  // weighted; after finish()
};

TableGraph build_table_graph(const catalog::Schema& schema, const workload::Workload& workload,
                             const Relations& relations);

// Communities of the given nodes (a subset of graph.nodes, by index) on the subgraph
// they induce, found with igraph's multilevel modularity optimisation (Louvain) under a
// fixed seed, so the same graph always gives the same partition. Returns one community
// id per given node, numbered from 0 in order of first appearance.
std::vector<int> detect_communities(const TableGraph& graph, const std::vector<int>& nodes);

}  // namespace dbsplit::analysis
