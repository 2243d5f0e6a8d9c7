#pragma once
// The tables that functions (PL/pgSQL and SQL) and the triggers calling them touch,
// found by parsing their bodies with libpg_query's PL/pgSQL parser.
#include <string>
#include <vector>

#include "core/catalog/model.hpp"
#include "core/workload/sql_analyzer.hpp"

namespace dbsplit::workload {

// The SQL statements embedded in a PL/pgSQL function's CREATE FUNCTION text or body.
std::vector<std::string> plpgsql_statements(const std::string& create_function_sql);

// Fills Function::reads/writes and Trigger::touches for every function and trigger.
// A body that does not parse leaves that function empty; never throws.
void resolve_function_accesses(catalog::Schema& schema, const NameResolver& resolver);

}  // namespace dbsplit::workload
