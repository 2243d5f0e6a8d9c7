#pragma once
// The CI gate's one call: read the live schema (and log files) without changing anything,
// then check the plan against them.
#include <string>
#include <vector>

#include "core/plan/check.hpp"
#include "core/workload/ingest.hpp"

namespace dbsplit::plan {

struct CheckDatabaseOptions {
  std::string db;                 // connection URL of the database the plan splits
  std::vector<std::string> logs;  // PostgreSQL log files: the workload to check (optional)
  workload::LogOptions log;
  workload::AttributionOptions attribution;
  std::vector<std::string> search_path = {"public"};
};

struct CheckResult {
  std::vector<diagnostics::Diagnostic> findings;
  std::string live_fingerprint;
  size_t statements_checked = 0;
};

// Connects, switches the session to read-only, introspects (leaving out the schemas the
// plan's own steps create), reads the logs, and runs check_plan. Throws RuntimeError when
// the database cannot be read, UsageError when a log cannot.
CheckResult check_plan_against_database(const Plan& plan, const CheckDatabaseOptions& options);

}  // namespace dbsplit::plan
