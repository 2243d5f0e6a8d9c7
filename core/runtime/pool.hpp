#pragma once
// A fixed-size pool of PostgreSQL connections for the request threads of `serve`.
// Connections are opened lazily, set to TimeZone=UTC and DateStyle=ISO, and dropped when
// they break, so the server recovers on its own once the database is back.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

namespace dbsplit::runtime {

// The database cannot be reached: answered with 503.
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, int size);

  // A connection held for one request; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> conn);
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    // The connection broke: close it instead of returning it.
    void discard() { conn_.reset(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // Waits while every connection is in use; throws DatabaseUnavailable when a new
  // connection cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<pqxx::connection> conn);
  std::string conninfo_;
  int size_;
  int open_ = 0;  // connections handed out or idle
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

}  // namespace dbsplit::runtime
