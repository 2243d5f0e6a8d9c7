#include "core/runtime/executor.hpp"

#include <vector>

namespace dbsplit::runtime {
namespace {

// SQLSTATE 0A000 with this message: a prepared statement's result columns changed
// (e.g. SELECT * after ALTER TABLE); the server replans everything else by itself.
bool plan_changed(const pqxx::sql_error& e) {
  return e.sqlstate() == "0A000" &&
         std::string(e.what()).find("cached plan must not change result type") != std::string::npos;
}

pqxx::result exec_prepared(pqxx::transaction_base& tx, ConnectionPool::Lease& lease,
                           const Statement& st) {
  std::vector<const char*> params;
  params.reserve(st.params.size());
  for (const auto& p : st.params) params.push_back(p ? p->c_str() : nullptr);
  const std::string& name = lease.statements().name_for(*lease, st.sql);
  return tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(params));
}

}  // namespace

pqxx::result execute_in(pqxx::transaction_base& tx, ConnectionPool::Lease& lease,
                        const Statement& st) {
  try {
    return exec_prepared(tx, lease, st);
  } catch (const pqxx::feature_not_supported& e) {
    if (plan_changed(e)) lease.statements().forget(st.sql);
    throw;
  }
}

pqxx::result execute(ConnectionPool& pool, const Statement& st) {
  auto lease = pool.acquire();
  try {
    for (int attempt = 0;; ++attempt) {
      try {
        // One statement is its own transaction (a write and its outbox insert are one
        // statement), so autocommit saves the BEGIN and COMMIT round trips.
        pqxx::nontransaction tx(*lease);
        return exec_prepared(tx, lease, st);
      } catch (const pqxx::feature_not_supported& e) {
        if (attempt > 0 || !plan_changed(e)) throw;
        lease.statements().forget(st.sql);
      }
    }
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

pqxx::result execute_rolled_back(ConnectionPool& pool, const Statement& st) {
  auto lease = pool.acquire();
  try {
    pqxx::work tx(*lease);
    pqxx::result result = execute_in(tx, lease, st);
    tx.abort();
    return result;
  } catch (const pqxx::broken_connection&) {
    lease.discard();
    throw;
  }
}

}  // namespace dbsplit::runtime
