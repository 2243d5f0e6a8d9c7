#pragma once
// What a SQL statement does to which tables, found with the real PostgreSQL parser
// (libpg_query). Never throws for SQL that does not parse: parsed=false instead.
#include <string>
#include <vector>

#include "core/catalog/model.hpp"
#include "core/workload/model.hpp"

namespace dbsplit::workload {

// Turns the names in a statement into "schema.table": qualified names as written;
// unqualified ones through the search_path, checked against the catalog when given
// (first schema of the path holding a relation of that name), else the path's first.
struct NameResolver {
  std::vector<std::string> search_path = {"public"};
  const catalog::Schema* schema = nullptr;
  std::string resolve(const std::string& schema_name, const std::string& relation) const;
};

StatementAnalysis analyze_statement(const std::string& sql, const NameResolver& resolver);

}  // namespace dbsplit::workload
