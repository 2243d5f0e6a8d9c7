#pragma once
// Cross-service dependencies and findings, once every table has its owner.
#include <map>
#include <string>
#include <vector>

#include "core/analysis/model.hpp"
#include "core/analysis/relations.hpp"

namespace dbsplit::analysis {

// Unit table → service, with partitions and views resolved through Relations.
class Owners {
 public:
  Owners(const std::vector<TableAssignment>& assignments, const Relations& relations)
      : relations_(relations) {
    for (const auto& a : assignments) service_[a.table] = a.service;
  }
  // "" when the table is unknown to the catalog.
  std::string of(const std::string& table) const {
    auto it = service_.find(relations_.unit_of(table));
    return it == service_.end() ? std::string() : it->second;
  }

 private:
  std::map<std::string, std::string> service_;
  const Relations& relations_;
};

struct Outcome {
  std::vector<Dependency> dependencies;
  std::vector<diagnostics::Diagnostic> findings;
};

// Reads, writes, joins and transactions of the workload that cross services (DS101,
// DS103, DS104, DS112, DS113, DS114) with the pattern the seed rule advises.
void add_workload_findings(const workload::Workload& workload, const Relations& relations,
                           const Owners& owners, const std::vector<AccessCell>& matrix,
                           const std::vector<TableAssignment>& assignments,
                           const Thresholds& thresholds, Outcome& out);

// Foreign keys, views, triggers, functions, sequences and types spanning services;
// tables that block logical replication or that nothing touches (DS102, DS105..DS111).
void add_schema_findings(const catalog::Schema& schema, const Relations& relations,
                         const Owners& owners, const std::vector<AccessCell>& matrix,
                         const workload::Workload& workload, const Thresholds& thresholds,
                         Outcome& out);

// "a, b and c"
std::string join_words(const std::vector<std::string>& words);
// "1 call", "7 calls"
std::string calls_text(int64_t calls);

}  // namespace dbsplit::analysis
