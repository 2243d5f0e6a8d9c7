#include "core/analysis/relations.hpp"

#include <algorithm>
#include <set>

namespace dbsplit::analysis {
namespace {
const std::vector<std::string> kNone;
// Views over views nest; a cycle cannot exist in PostgreSQL, but a bad snapshot could.
constexpr int kMaxViewDepth = 32;
}  // namespace

Relations::Relations(const catalog::Schema& schema) {
  for (const auto& t : schema.tables) {
    if (!t.partition_of.empty()) parent_[t.qualified()] = t.partition_of;
  }
  for (const auto& v : schema.views) views_[v.qualified()] = v.depends_on;
  for (const auto& t : schema.tables) {
    std::string unit = unit_of(t.qualified());
    resolved_[t.qualified()] = {unit};
    if (unit == t.qualified()) unit_tables_.push_back(unit);
  }
  for (const auto& v : schema.views) resolved_[v.qualified()] = expand(v.qualified(), 0);
  std::sort(unit_tables_.begin(), unit_tables_.end());
}

std::string Relations::unit_of(const std::string& table) const {
  std::string current = table;
  for (int i = 0; i < kMaxViewDepth; ++i) {
    auto it = parent_.find(current);
    if (it == parent_.end()) break;
    current = it->second;
  }
  return current;
}

std::vector<std::string> Relations::expand(const std::string& relation, int depth) const {
  std::set<std::string> out;
  auto view = views_.find(relation);
  if (view == views_.end()) {
    auto it = resolved_.find(relation);
    if (it != resolved_.end()) out.insert(it->second.begin(), it->second.end());
  } else if (depth < kMaxViewDepth) {
    for (const auto& dep : view->second) {
      for (const auto& unit : expand(dep, depth + 1)) out.insert(unit);
    }
  }
  return {out.begin(), out.end()};
}

const std::vector<std::string>& Relations::units(const std::string& relation) const {
  auto it = resolved_.find(relation);
  return it == resolved_.end() ? kNone : it->second;
}

}  // namespace dbsplit::analysis
