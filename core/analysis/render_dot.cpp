// The analysis as a Graphviz graph: one cluster per service, foreign keys as arrows,
// co-access (joins) as dashed lines, and every edge crossing services red and bold.
#include <fmt/format.h>

#include <map>
#include <set>

#include "core/analysis/relations.hpp"
#include "core/analysis/render.hpp"

namespace dbsplit::analysis {
namespace {

std::string dot_id(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

const char* kCrossStyle = "color=red, penwidth=2.5, fontcolor=red";

}  // namespace

std::string render_analysis_dot(const analysis::Analysis& a) {
  std::map<std::string, std::string> owner;
  for (const auto& t : a.tables) owner[t.table] = t.service;
  analysis::Relations relations(a.schema);

  std::string out = fmt::format(
      "digraph dbsplit {{\n  graph [rankdir=LR, fontname=\"Helvetica\", label={}, labelloc=t];\n"
      "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9];\n",
      dot_id("dbsplit analyze: " + a.database));
  int index = 0;
  for (const auto& s : a.services) {
    out += fmt::format(
        "  subgraph {} {{\n    label={};\n    style=\"rounded,filled\";\n"
        "    fillcolor=\"#eef3fb\";\n",
        dot_id("cluster_" + std::to_string(index++)), dot_id(s.name));
    for (const auto& t : s.tables) {
      if (relations.unit_of(t) != t) continue;  // partitions are drawn as their parent
      out += "    " + dot_id(t) + ";\n";
    }
    out += "  }\n";
  }

  for (const auto& fk : a.schema.foreign_keys) {
    std::string from = relations.unit_of(fk.table), to = relations.unit_of(fk.ref_table);
    if (!owner.count(from) || !owner.count(to) || from == to) continue;
    bool cross = owner[from] != owner[to];
    out += fmt::format("  {} -> {} [label={}{}];\n", dot_id(from), dot_id(to), dot_id("fk"),
                       cross ? std::string(", ") + kCrossStyle : "");
  }

  std::set<std::pair<std::string, std::string>> joins;
  for (const auto& s : a.workload.statements)
    for (const auto& [x, y] : s.analysis.joins)
      for (const auto& ux : relations.units(x))
        for (const auto& uy : relations.units(y))
          if (ux != uy) joins.insert({std::min(ux, uy), std::max(ux, uy)});
  for (const auto& [x, y] : joins) {
    bool cross = owner[x] != owner[y];
    out += fmt::format("  {} -> {} [dir=none, style=dashed, label={}{}];\n", dot_id(x), dot_id(y),
                       dot_id("join"), cross ? std::string(", ") + kCrossStyle : "");
  }
  return out + "}\n";
}

}  // namespace dbsplit::analysis
