#pragma once
// The workload model: statements observed against the database, attributed to the
// module that ran them, and what each statement does to which table.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dbsplit::workload {

enum class AccessKind { read, write, lock };

// What one statement does to one table.
struct TableAccess {
  std::string table;  // "schema.table", resolved against the search_path and catalog
  bool read = false;
  bool write = false;                      // INSERT/UPDATE/DELETE/MERGE/COPY FROM, also as CTE
  bool lock = false;                       // SELECT ... FOR UPDATE/SHARE
  std::set<std::string> columns_read;      // columns selected/returned, when they can be known
  std::set<std::string> columns_filtered;  // columns compared in WHERE/JOIN ... ON (e.g. id = $1)
  std::set<std::string> columns_written;   // INSERT column list / UPDATE SET targets
};

// The result of parsing one SQL statement with libpg_query.
struct StatementAnalysis {
  bool parsed = false;
  std::string parse_error;            // when !parsed
  std::vector<TableAccess> accesses;  // sorted by table
  // Pairs of tables the statement joins (or combines in one FROM), each pair sorted.
  std::set<std::pair<std::string, std::string>> joins;
  // The parse node of each statement, e.g. "SelectStmt", "TransactionStmt".
  std::vector<std::string> statement_kinds;
};

// One normalised statement with its statistics, as ingested.
struct Statement {
  std::string text;    // normalised SQL
  std::string module;  // attributed module ("" when unknown)
  std::string role;
  std::string application_name;
  int64_t calls = 0;
  int64_t rows = 0;
  double total_time_ms = 0;
  StatementAnalysis analysis;
};

// One transaction seen in a log: the tables it wrote, by module.
struct Transaction {
  std::string id;  // transaction id (or session+sequence when no xid)
  std::string module;
  std::set<std::string> tables_written;
  std::vector<std::string> statements;  // texts in order
};

struct Workload {
  std::vector<Statement> statements;
  std::vector<Transaction> transactions;
  std::vector<std::string> unparsed;  // statement texts that did not parse
  std::vector<std::string> sources;   // where it came from, e.g. "pg_stat_statements"
};

}  // namespace dbsplit::workload
