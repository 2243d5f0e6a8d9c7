// The workload recorded by pg_stat_statements in the analysed database.
#include <algorithm>

#include "core/util/error.hpp"
#include "core/workload/ingest.hpp"
#include "core/workload/statement_set.hpp"

namespace dbsplit::workload {

namespace {

std::string not_available(const std::string& database) {
  return "pg_stat_statements is not available in database " + database +
         ": add pg_stat_statements to shared_preload_libraries, restart, and run CREATE "
         "EXTENSION pg_stat_statements; or analyse a log file with --log FILE";
}

}  // namespace

Workload read_pg_stat_statements(pqxx::connection& conn, const AttributionOptions& attribution,
                                 const NameResolver& resolver) {
  std::string database = conn.dbname() ? conn.dbname() : "";
  pqxx::result rows;
  try {
    pqxx::read_transaction tx(conn);
    pqxx::result ext = tx.exec(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_stat_statements'");
    if (ext.empty()) throw RuntimeError(not_available(database));
    // Only the current database's rows: the view shows every database of the cluster.
    // Only top-level statements: with pg_stat_statements.track = all, statements run by
    // triggers and functions appear too, under the role that fired them; those accesses
    // belong to the function (found from the catalog), not to the module.
    rows = tx.exec(
        "SELECT coalesce(r.rolname, s.userid::text), s.query, s.calls, s.rows, "
        "s.total_exec_time FROM " +
        tx.quote_name(ext[0][0].c_str()) +
        ".pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid "
        "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND s.toplevel "
        "ORDER BY s.calls DESC, s.query");
  } catch (const pqxx::sql_error& e) {
    // Created but not loaded: "pg_stat_statements must be loaded via shared_preload_libraries"
    throw RuntimeError(not_available(database) + " (server said: " + e.what() + ")");
  } catch (const pqxx::failure& e) {
    throw RuntimeError("reading pg_stat_statements of database " + database +
                       " failed: " + e.what());
  }

  Workload workload;
  workload.sources.push_back("pg_stat_statements");
  detail::StatementSet set(workload, resolver, detail::Normalize::no);
  const auto& ignored = attribution.ignore_roles;
  for (const auto& row : rows) {
    std::string role = row[0].c_str();
    if (std::find(ignored.begin(), ignored.end(), role) != ignored.end()) continue;
    std::string query = row[1].is_null() ? "" : row[1].c_str();  // null: not visible to us
    if (query.empty()) continue;
    uint64_t fp = 0;
    const detail::Shape* shape = set.shape(query, fp);
    if (!shape) {
      workload.unparsed.push_back(query);
      continue;
    }
    if (shape->utility) continue;
    set.add(fp, *shape, attribute_module(query, role, "", attribution), role, "",
            row[2].as<int64_t>(), row[3].as<int64_t>(), row[4].as<double>());
  }
  return workload;
}

}  // namespace dbsplit::workload
