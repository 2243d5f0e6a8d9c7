#pragma once
// Parsing of the workload options that analyze, plan and plan check share.
#include <map>
#include <string>
#include <vector>

#include "core/workload/ingest.hpp"

namespace dbsplit::cli {

// --log-format auto|stderr|csv; throws UsageError for anything else.
workload::LogFormat parse_log_format(const std::string& name);

// "a, b,c" → {"a", "b", "c"}: items trimmed, empty ones dropped (--search-path).
std::vector<std::string> split_list(const std::string& text);

// --module-map ROLE_OR_APP=MODULE entries; throws UsageError naming a malformed one.
std::map<std::string, std::string> parse_module_map(const std::vector<std::string>& entries);

}  // namespace dbsplit::cli
