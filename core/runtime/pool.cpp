#include "core/runtime/pool.hpp"

#include "core/pg/connection.hpp"

namespace dbsplit::runtime {

ConnectionPool::ConnectionPool(std::string conninfo, int size)
    : conninfo_(std::move(conninfo)), size_(size < 1 ? 1 : size) {}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> conn)
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
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    // Timestamps leave the server as ISO 8601 with their zone (row_to_json uses these).
    conn->set_variable("TimeZone", "'UTC'");
    conn->set_variable("DateStyle", "'ISO'");
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

void ConnectionPool::release(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (conn && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  available_.notify_one();
}

}  // namespace dbsplit::runtime
