#pragma once
// The apply lock: a session-level advisory lock on the source database, held by
// `dbsplit apply` and `dbsplit rollback` for their whole run, so that a second run fails
// fast instead of interleaving its steps with the first one's.
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

namespace dbsplit::apply {

// The fixed key of the lock: "dbsplit" in ASCII.
inline constexpr int64_t kApplyLockKey = 0x00646273706c6974;

// Takes the lock in `conn`'s session (released when the connection closes). Throws
// RuntimeError naming the session holding it (backend pid, application_name, user, since
// when) when another session holds it.
void take_apply_lock(pqxx::connection& conn);

// Sets the session's application_name, which the lock's error shows to a second run.
void name_session(pqxx::connection& conn, const std::string& application_name);

}  // namespace dbsplit::apply
