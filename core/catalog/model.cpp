#include "core/catalog/model.hpp"

#include <algorithm>

namespace dbsplit::catalog {

const Column* Table::column(const std::string& column_name) const {
  for (const auto& c : columns)
    if (c.name == column_name) return &c;
  return nullptr;
}

const Table* Schema::find_table(const std::string& qualified) const {
  auto it =
      std::lower_bound(tables.begin(), tables.end(), qualified,
                       [](const Table& t, const std::string& q) { return t.qualified() < q; });
  if (it != tables.end() && it->qualified() == qualified) return &*it;
  for (const auto& t : tables)  // tolerate an unsorted vector
    if (t.qualified() == qualified) return &t;
  return nullptr;
}

}  // namespace dbsplit::catalog
