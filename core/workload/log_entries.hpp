#pragma once
// Internal to log ingestion: the statements of a PostgreSQL log, one entry per logged
// statement (or per duration line that carries no statement text).
#include <string>
#include <vector>

namespace dbsplit::workload::detail {

struct LogEntry {
  std::string text;  // the statement as logged ("" for a duration-only line)
  std::string user;
  std::string database;
  std::string application_name;
  std::string session;  // %c / session_id, else the backend pid
  std::string vxid;
  std::string xid;
  double duration_ms = 0;
};

// Entries of a stderr-format log whose lines start with `line_prefix`. Continuation lines
// (starting with a tab) extend the statement of the line before.
std::vector<LogEntry> parse_stderr_log(const std::string& content, const std::string& line_prefix);

// Entries of a csvlog file (PostgreSQL 15 column order).
std::vector<LogEntry> parse_csv_log(const std::string& content);

// Whether a log's content looks like csvlog (a timestamp followed by a comma).
bool looks_like_csv(const std::string& content);

}  // namespace dbsplit::workload::detail
