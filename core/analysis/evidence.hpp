#pragma once
// The workload seen through the catalog: each statement's accesses mapped onto unit
// tables (views expanded, partitions folded into their parent) and the access matrix.
#include <set>
#include <string>
#include <vector>

#include "core/analysis/model.hpp"
#include "core/analysis/relations.hpp"

namespace dbsplit::analysis {

// Module name shown for statements no role, application or tag attributed.
inline constexpr const char* kUnattributed = "(unattributed)";

// What one statement does to one unit table.
struct UnitAccess {
  std::string table;
  bool read = false;
  bool write = false;
  bool lock = false;
  // "schema.table.column"; empty for accesses through a view (its columns are the view's).
  std::set<std::string> columns_read;
  std::set<std::string> columns_filtered;
  std::set<std::string> columns_written;
};

// The statement's accesses on unit tables, sorted by table; names the catalog does not
// know (system catalogs, excluded schemas) are left out.
std::vector<UnitAccess> unit_accesses(const workload::Statement& statement,
                                      const Relations& relations);

// The statement's module, or kUnattributed.
std::string module_of(const workload::Statement& statement);

// Module × table calls, sorted by module then table; only cells with an access.
std::vector<AccessCell> build_access_matrix(const workload::Workload& workload,
                                            const Relations& relations);

}  // namespace dbsplit::analysis
