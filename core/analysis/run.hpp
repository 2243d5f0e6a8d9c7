#pragma once
// One call for `dbsplit analyze` (and `dbsplit plan --db`): connect, introspect, resolve
// what functions and triggers touch, ingest the workload, analyse.
#include <map>
#include <string>
#include <vector>

#include "core/analysis/analyze.hpp"
#include "core/workload/ingest.hpp"

namespace dbsplit::analysis {

enum class UseStatStatements { yes, no };

struct AnalyzeDatabaseOptions {
  std::string db_url;                  // libpq URL or key=value string; never printed unredacted
  std::vector<std::string> log_files;  // PostgreSQL logs (stderr or csvlog)
  workload::LogOptions log;
  std::map<std::string, std::string> module_map;  // role or application_name → module
  UseStatStatements stat_statements = UseStatStatements::yes;
  std::vector<std::string> search_path = {"public"};
  std::vector<std::string> exclude_schemas;
  std::string pins_file;  // "" for none
  Thresholds thresholds;
};

// Throws RuntimeError for an unreachable database or missing pg_stat_statements, and
// UsageError for an unreadable log, a malformed pins file or pins naming unknown tables;
// every message names the input and what to do, with any password redacted.
Analysis analyze_database(const AnalyzeDatabaseOptions& options);

}  // namespace dbsplit::analysis
