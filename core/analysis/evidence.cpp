#include "core/analysis/evidence.hpp"

#include <map>

namespace dbsplit::analysis {

std::string module_of(const workload::Statement& statement) {
  return statement.module.empty() ? std::string(kUnattributed) : statement.module;
}

std::vector<UnitAccess> unit_accesses(const workload::Statement& statement,
                                      const Relations& relations) {
  std::map<std::string, UnitAccess> by_table;
  for (const auto& access : statement.analysis.accesses) {
    const auto& units = relations.units(access.table);
    bool through_view = relations.is_view(access.table);
    for (const auto& unit : units) {
      UnitAccess& out = by_table[unit];
      out.table = unit;
      out.read = out.read || access.read;
      out.write = out.write || access.write;
      out.lock = out.lock || access.lock;
      if (through_view) continue;
      for (const auto& c : access.columns_read) out.columns_read.insert(unit + "." + c);
      for (const auto& c : access.columns_filtered) out.columns_filtered.insert(unit + "." + c);
      for (const auto& c : access.columns_written) out.columns_written.insert(unit + "." + c);
    }
  }
  std::vector<UnitAccess> out;
  for (auto& [table, access] : by_table) out.push_back(std::move(access));
  return out;
}

std::vector<AccessCell> build_access_matrix(const workload::Workload& workload,
                                            const Relations& relations) {
  std::map<std::pair<std::string, std::string>, AccessCell> cells;
  for (const auto& statement : workload.statements) {
    std::string module = module_of(statement);
    for (const auto& access : unit_accesses(statement, relations)) {
      AccessCell& cell = cells[{module, access.table}];
      cell.module = module;
      cell.table = access.table;
      if (access.read) cell.read_calls += statement.calls;
      if (access.write) cell.write_calls += statement.calls;
      if (access.lock) cell.lock_calls += statement.calls;
    }
  }
  std::vector<AccessCell> out;
  for (auto& [key, cell] : cells) out.push_back(std::move(cell));
  return out;
}

}  // namespace dbsplit::analysis
