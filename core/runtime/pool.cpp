#include "core/runtime/pool.hpp"

#include "core/pg/connection.hpp"

namespace dbsplit::runtime {

ConnectionPool::ConnectionPool(std::string conninfo, int size, size_t statements_per_connection)
    : conninfo_(std::move(conninfo)),
      size_(size < 1 ? 1 : size),
      statements_per_connection_(statements_per_connection) {}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<PooledConnection> conn)
    : pool_(&pool), conn_(std::move(conn)) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(std::move(conn_));
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    auto conn = std::make_unique<PooledConnection>(conninfo_, statements_per_connection_);
    // Timestamps leave the server as ISO 8601 with their zone (row_to_json uses these).
    conn->conn.set_variable("TimeZone", "'UTC'");
    conn->conn.set_variable("DateStyle", "'ISO'");
    return Lease(*this, std::move(conn));
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> relock(mutex_);
      --open_;
    }
    available_.notify_one();
    throw DatabaseUnavailable("cannot connect to " + pg::redact(conninfo_) + ": " + e.what());
  }
}

void ConnectionPool::release(std::unique_ptr<PooledConnection> conn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (conn && conn->conn.is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  available_.notify_one();
}

}  // namespace dbsplit::runtime
