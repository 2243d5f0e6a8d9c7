#pragma once
// `dbsplit plan check`: findings about a plan against the live schema (drift, DS2xx),
// against its own rules (DS3xx), and against a workload (cross-service statements the
// plan has no pattern for, DS2xx). Codes are documented in docs/diagnostics.md.
#include <string>
#include <vector>

#include "core/catalog/model.hpp"
#include "core/plan/model.hpp"
#include "core/diagnostics/diagnostic.hpp"
#include "core/workload/model.hpp"

namespace dbsplit::plan {

// Rule violations in the plan itself: tables with no or two owners, steps without
// verification or rollback, stages out of order, duplicate step ids, pattern members missing.
std::vector<diagnostics::Diagnostic> check_rules(const Plan& plan);

// What changed between the plan's schema snapshot and `live`, with exactly what changed.
std::vector<diagnostics::Diagnostic> check_drift(const Plan& plan, const catalog::Schema& live);

// Statements of a service's modules that touch another service's table with no planned
// dependency covering that table.
std::vector<diagnostics::Diagnostic> check_workload(const Plan& plan,
                                               const workload::Workload& workload);

// All three, sorted by severity (errors first), then code, then objects.
std::vector<diagnostics::Diagnostic> check_plan(const Plan& plan, const catalog::Schema& live,
                                           const workload::Workload* workload);

}  // namespace dbsplit::plan
