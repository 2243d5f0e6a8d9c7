#include "core/apply/lock.hpp"

#include <fmt/format.h>

#include "core/util/error.hpp"

namespace dbsplit::apply {

void name_session(pqxx::connection& conn, const std::string& application_name) {
  pqxx::nontransaction tx(conn);
  tx.exec_params("SELECT set_config('application_name', $1, false)", application_name);
}

void take_apply_lock(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  std::string database = tx.exec1("SELECT current_database()")[0].c_str();
  if (tx.exec_params1("SELECT pg_try_advisory_lock($1::bigint)", kApplyLockKey)[0].as<bool>())
    return;
  // A bigint advisory key shows in pg_locks as classid (high half) and objid (low half).
  pqxx::result holder = tx.exec_params(
      "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),"
      " to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ')"
      " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
      " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
      " AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid",
      kApplyLockKey);
  if (holder.empty())
    throw RuntimeError(fmt::format(
        "another session holds the apply lock of database {} (it ended just now or is not "
        "visible to this user); run the command again",
        database));
  const auto& h = holder[0];
  throw RuntimeError(fmt::format(
      "another dbsplit holds the apply lock of database {}: backend pid {}, application_name "
      "'{}', user {}, connected since {}; wait for it to finish (`dbsplit status` shows its "
      "progress), or, if it hangs, stop it (SELECT pg_terminate_backend({}))",
      database, h[0].c_str(), h[1].c_str(), h[2].c_str(), h[3].c_str(), h[0].c_str()));
}

}  // namespace dbsplit::apply
