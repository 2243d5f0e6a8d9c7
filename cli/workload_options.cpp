#include "cli/workload_options.hpp"

#include "core/util/error.hpp"

namespace dbsplit::cli {

workload::LogFormat parse_log_format(const std::string& name) {
  if (name == "auto") return workload::LogFormat::automatic;
  if (name == "stderr") return workload::LogFormat::stderr_text;
  if (name == "csv") return workload::LogFormat::csv;
  throw UsageError("--log-format '" + name + "': use auto, stderr or csv");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    size_t first = item.find_first_not_of(' ');
    if (first != std::string::npos)
      out.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
    start = comma + 1;
  }
  return out;
}

std::map<std::string, std::string> parse_module_map(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& entry : entries) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size())
      throw UsageError("--module-map '" + entry +
                       "': expected ROLE_OR_APP=MODULE, e.g. svc_orders=orders");
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

void apply_workload_flags(const WorkloadFlags& flags, analysis::AnalyzeDatabaseOptions& options) {
  options.log.format = parse_log_format(flags.log_format);
  if (!flags.log_prefix.empty()) options.log.line_prefix = flags.log_prefix;
  options.module_map = parse_module_map(flags.module_map);
  options.stat_statements =
      flags.no_stats ? analysis::UseStatStatements::no : analysis::UseStatStatements::yes;
  options.search_path = split_list(flags.search_path);
  if (!flags.reporting_modules.empty())
    options.thresholds.reporting_modules = flags.reporting_modules;
}

}  // namespace dbsplit::cli
