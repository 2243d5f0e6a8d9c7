#pragma once
// `verify contracts` for the plan's write endpoints (commands): on sampled arguments, the
// replaced statement runs directly in a transaction that is rolled back, and the command
// runs with dry_run=true; both must touch the same rows, or fail the same way. No data is
// kept (sequences do advance: nextval is not transactional).
#include <pqxx/pqxx>

#include "core/plan/model.hpp"
#include "core/runtime/contracts.hpp"

namespace dbsplit::runtime {

// Checks the command of one write endpoint of the plan; appends its DS403-DS406
// diagnostics to `report` (docs/diagnostics.md). Throws pqxx errors of the live database.
void check_command_contract(const plan::Plan& plan, const plan::Dependency& d,
                            const ContractOptions& options, pqxx::connection& conn,
                            ContractReport& report);

}  // namespace dbsplit::runtime
