#pragma once
// Parsing of the workload options that analyze, plan and plan check share.
#include <map>
#include <string>
#include <vector>

#include "core/analysis/run.hpp"
#include "core/workload/ingest.hpp"

namespace dbsplit::cli {

// --log-format auto|stderr|csv; throws UsageError for anything else.
workload::LogFormat parse_log_format(const std::string& name);

// "a, b,c" → {"a", "b", "c"}: items trimmed, empty ones dropped (--search-path).
std::vector<std::string> split_list(const std::string& text);

// --module-map ROLE_OR_APP=MODULE entries; throws UsageError naming a malformed one.
std::map<std::string, std::string> parse_module_map(const std::vector<std::string>& entries);

// The workload flags of `analyze` and `plan --db`, as given on the command line.
struct WorkloadFlags {
  std::string log_format = "auto";
  std::string log_prefix;
  std::vector<std::string> module_map;
  bool no_stats = false;
  std::string search_path = "public";
  std::vector<std::string> reporting_modules;
};

// Parses the flags into `options`; throws UsageError naming a malformed one.
void apply_workload_flags(const WorkloadFlags& flags, analysis::AnalyzeDatabaseOptions& options);

}  // namespace dbsplit::cli
