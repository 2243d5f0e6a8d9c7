#pragma once
// Getting a workload: from pg_stat_statements of the analysed database, and from
// PostgreSQL log files (stderr or csvlog) so that one transaction's statements can be
// grouped. Every statement is attributed to a module and analysed with the parser.
#include <map>
#include <pqxx/pqxx>
#include <string>

#include "core/workload/model.hpp"
#include "core/workload/sql_analyzer.hpp"

namespace dbsplit::workload {

// Which module ran a statement: a sqlcommenter tag (/* module='x' */) wins; then the
// module map applied to the application name, then to the role; else the application
// name, else the role itself.
struct AttributionOptions {
  std::map<std::string, std::string> module_map;         // role or application_name → module
  std::vector<std::string> ignore_roles = {"postgres"};  // superuser/admin noise
};
std::string attribute_module(const std::string& sql, const std::string& role,
                             const std::string& application_name,
                             const AttributionOptions& options);

// pg_stat_statements rows of the connected database. Throws RuntimeError saying how to
// enable the extension when it is missing.
Workload read_pg_stat_statements(pqxx::connection& conn, const AttributionOptions& attribution,
                                 const NameResolver& resolver);

enum class LogFormat { automatic, stderr_text, csv };
struct LogOptions {
  LogFormat format = LogFormat::automatic;
  // log_line_prefix of stderr logs; %u role, %a application, %x xid, %v vxid, %c session.
  std::string line_prefix = "%m [%p] user=%u db=%d app=%a vxid=%v xid=%x: ";
  // Only statements of this database (needs %d in the prefix, or csvlog); "" for all.
  std::string database;
};
// Statements (log_statement=all or log_min_duration_statement=0) of a log file, grouped
// into transactions by vxid (BEGIN..COMMIT blocks and single autocommit statements; only
// transactions that write are kept). Statements of ignored roles are skipped.
// Throws UsageError naming the file when it cannot be read.
Workload read_log_file(const std::string& path, const LogOptions& log,
                       const AttributionOptions& attribution, const NameResolver& resolver);

// Adds `from` into `into`, summing statistics of identical (module, text) statements.
void merge(Workload& into, Workload from);

}  // namespace dbsplit::workload
