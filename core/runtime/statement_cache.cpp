#include "core/runtime/statement_cache.hpp"

namespace dbsplit::runtime {

const std::string& StatementCache::name_for(pqxx::connection_base& conn, const std::string& sql) {
  while (!stale_.empty()) {
    std::string name = std::move(stale_.back());
    stale_.pop_back();
    conn.unprepare(name);
  }
  if (auto it = entries_.find(sql); it != entries_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.use);
    return it->second.name;
  }
  if (entries_.size() >= capacity_) {
    std::string oldest = *recent_.back();
    forget(oldest);
    conn.unprepare(stale_.back());
    stale_.pop_back();
  }
  // Names are never reused on a connection, so a statement is never redefined.
  std::string name = "dbsplit_" + std::to_string(next_id_++);
  conn.prepare(name, sql);
  auto it = entries_.emplace(sql, Entry{std::move(name), {}}).first;
  recent_.push_front(&it->first);
  it->second.use = recent_.begin();
  return it->second.name;
}

void StatementCache::forget(const std::string& sql) {
  auto it = entries_.find(sql);
  if (it == entries_.end()) return;
  stale_.push_back(std::move(it->second.name));
  recent_.erase(it->second.use);
  entries_.erase(it);
}

}  // namespace dbsplit::runtime
