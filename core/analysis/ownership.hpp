#pragma once
// Ownership: every unit table gets exactly one service, decided by the strongest signal
// available (pins, sole writer, dominant writer, readers, graph cluster, community).
#include <map>
#include <string>
#include <vector>

#include "core/analysis/analyze.hpp"
#include "core/analysis/graph.hpp"
#include "core/analysis/relations.hpp"

namespace dbsplit::analysis {

// True when `text` matches the glob (`*` any run of characters, `?` one character).
bool glob_match(const std::string& pattern, const std::string& text);

struct PinnedTable {
  std::string service;
  std::string pattern;  // the pin that matched
};
// Unit table → pin. Throws UsageError naming the pins file and JSON pointer of a pin
// that matches no table, or of two pins giving one table to different services.
std::map<std::string, PinnedTable> resolve_pins(const std::vector<Pin>& pins,
                                                const std::string& pins_path,
                                                const Relations& relations);

// One assignment per node of the graph (the unit tables, sorted); partitions are added
// by the caller.
std::vector<TableAssignment> assign_owners(const std::vector<AccessCell>& matrix,
                                           const TableGraph& graph,
                                           const std::map<std::string, PinnedTable>& pins,
                                           const Thresholds& thresholds);

bool is_reporting_module(const std::string& module, const Thresholds& thresholds);

}  // namespace dbsplit::analysis
