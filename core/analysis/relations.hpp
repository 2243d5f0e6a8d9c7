#pragma once
// Maps the relation names a workload mentions to the tables that own data: a partition
// stands for its parent (the unit of ownership), a view for the tables it reads.
#include <map>
#include <string>
#include <vector>

#include "core/catalog/model.hpp"

namespace dbsplit::analysis {

class Relations {
 public:
  explicit Relations(const catalog::Schema& schema);

  // The unit tables behind a relation name, sorted; empty when it names nothing known.
  const std::vector<std::string>& units(const std::string& relation) const;
  // True when the name is a view (its reads become reads of its tables).
  bool is_view(const std::string& relation) const { return views_.count(relation) > 0; }
  // The unit a table belongs to: its partition parent (transitively) or itself.
  std::string unit_of(const std::string& table) const;
  // Every unit table (tables that are not partitions), sorted.
  const std::vector<std::string>& unit_tables() const { return unit_tables_; }

 private:
  std::map<std::string, std::string> parent_;                 // partition → parent
  std::map<std::string, std::vector<std::string>> views_;     // view → depends_on
  std::map<std::string, std::vector<std::string>> resolved_;  // name → units
  std::vector<std::string> unit_tables_;
  std::vector<std::string> expand(const std::string& relation, int depth) const;
};

}  // namespace dbsplit::analysis
