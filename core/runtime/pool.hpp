#pragma once
// A fixed-size pool of PostgreSQL connections for the request threads of `serve`.
// Connections are opened lazily, set to TimeZone=UTC and DateStyle=ISO, and dropped when
// they break, so the server recovers on its own once the database is back. Each keeps
// the statements prepared on it (a replaced connection starts with none).
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/runtime/statement_cache.hpp"

namespace dbsplit::runtime {

// The database cannot be reached: answered with 503.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One open connection of the pool and the statements prepared on it.
struct PooledConnection {
  PooledConnection(const std::string& conninfo, size_t statement_capacity)
      : conn(conninfo), statements(statement_capacity) {}
  pqxx::connection conn;
  StatementCache statements;
};

class ConnectionPool {
 public:
  static constexpr size_t kStatementsPerConnection = 256;
  ConnectionPool(std::string conninfo, int size,
                 size_t statements_per_connection = kStatementsPerConnection);

  // A connection held for one request; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<PooledConnection> conn);
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return conn_->conn; }
    StatementCache& statements() { return conn_->statements; }
    // The connection broke: close it instead of returning it.
    void discard() { conn_.reset(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PooledConnection> conn_;
  };

  // Waits while every connection is in use; throws DatabaseUnavailable when a new
  // connection cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<PooledConnection> conn);
  std::string conninfo_;
  int size_;
  size_t statements_per_connection_;
  int open_ = 0;  // connections handed out or idle
  std::vector<std::unique_ptr<PooledConnection>> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

}  // namespace dbsplit::runtime
