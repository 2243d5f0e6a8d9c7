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

// Tables read, written and locked, join pairs and columns of every statement in `sql`.
// Joins: tables combined in one FROM/USING (comma or JOIN, including the tables behind a
// FROM subquery or CTE), a DML target with its FROM/USING/MERGE source, and a subquery's
// tables with the outer tables it correlates with or that `x IN (subquery)` tests.
// Written targets are not marked read; a view is reported under its own name.
StatementAnalysis analyze_statement(const std::string& sql, const NameResolver& resolver);

// True when a parsed analysis holds no data statement (only SET, BEGIN, COMMIT, DDL ...).
bool is_utility(const StatementAnalysis& analysis);

}  // namespace dbsplit::workload
