#pragma once
// serve's asynchronous database connections: libpq in non-blocking pipeline mode
// (PostgreSQL 14+ libpq) on the serve loop, instead of a thread blocked per query. A
// statement is sent as Prepare (first use on the connection) + Bind/Execute + Sync, so
// each runs as its own transaction and an error ends with its Sync; statements queued
// behind it on the same connection are unaffected. Several statements can be on the
// wire of one connection at once; their answers come back in order.
#include <libpq-fe.h>

#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/net/event_loop.hpp"
#include "core/runtime/statements.hpp"

namespace dbsplit::runtime {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// Why a statement has no result: the server's error, or the database out of reach.
struct DbError {
  enum class Kind { server, unavailable } kind = Kind::server;
  std::string sqlstate;  // server errors: "23505"
  std::string message;   // as libpq prints it: "ERROR:  duplicate key ...\nDETAIL:  ..."
};

struct DbOutcome {
  PgResult result;               // rows (or command status) on success
  std::optional<DbError> error;  // set instead on failure
};

class PipelinePool {
 public:
  static constexpr size_t kStatementsPerConnection = 256;
  // Up to `size` connections to `conninfo`, opened when needed, each with TimeZone=UTC
  // and DateStyle=ISO (added to the connection's options, so a role set there stays).
  PipelinePool(net::EventLoop& loop, std::string conninfo, int size,
               size_t statements_per_connection = kStatementsPerConnection);
  ~PipelinePool();
  PipelinePool(const PipelinePool&) = delete;
  PipelinePool& operator=(const PipelinePool&) = delete;

  // Runs `st` as its own transaction on the least busy connection; `done` runs on the
  // loop thread. A statement the server refuses because it was prepared before a schema
  // change (or lost its prepared form) is prepared again and retried once.
  void run(const Statement& st, std::function<void(DbOutcome)> done);

  // Connections that are open (the rest being opened or not yet needed).
  size_t open_connections() const;

 private:
  class Conn;
  struct Job {
    std::string sql;
    std::vector<std::optional<std::string>> params;
    std::function<void(DbOutcome)> done;
    int attempt = 0;
  };
  void submit(Job job);
  void connect();
  void on_ready(Conn& conn);
  void on_connect_failed(const std::string& message);
  void finish(Job job, DbOutcome outcome);
  bool reap();

  net::EventLoop& loop_;
  std::string conninfo_;
  std::vector<std::string> keywords_, values_;  // conninfo parsed, options extended
  size_t size_;
  size_t statements_per_connection_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::deque<Job> waiting_;  // for a connection being opened
};

}  // namespace dbsplit::runtime
