#pragma once
// Runs the API's statements on pooled connections as prepared statements: each distinct
// SQL text is parsed and planned once per connection, then only bound and executed.
#include <pqxx/pqxx>

#include "core/runtime/pool.hpp"
#include "core/runtime/statements.hpp"

namespace dbsplit::runtime {

// Runs one statement as its own transaction (autocommit) on a pooled connection. When
// the server refuses the cached plan because the table changed under it ("cached plan
// must not change result type"), prepares it again and retries once. Throws
// DatabaseUnavailable when no connection can be opened and what pqxx throws otherwise;
// a broken connection is closed instead of returned to the pool.
pqxx::result execute(ConnectionPool& pool, const Statement& st);

// Runs one statement in a transaction that is rolled back, as `execute` does otherwise:
// the dry run of a command, whose writes and outbox events vanish with it. No retry.
pqxx::result execute_rolled_back(ConnectionPool& pool, const Statement& st);

// Runs one statement inside `tx`, open on `lease`'s connection, as a prepared statement.
// No retry (the transaction is aborted by any error), but a refused cached plan is
// forgotten so the next use prepares it again.
pqxx::result execute_in(pqxx::transaction_base& tx, ConnectionPool::Lease& lease,
                        const Statement& st);

}  // namespace dbsplit::runtime
