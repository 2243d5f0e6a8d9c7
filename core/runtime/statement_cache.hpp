#pragma once
// The statements prepared on one pooled connection, keyed by their SQL text, so the
// server parses and plans each distinct statement once per connection instead of once
// per request. Bounded: list statements vary with the filters a request names.
#include <cstddef>
#include <list>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <vector>

namespace dbsplit::runtime {

class StatementCache {
 public:
  explicit StatementCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The name under which `sql` is prepared on `conn` (defined now, sent to the server on
  // first execution). Deallocates forgotten statements and, beyond capacity, the least
  // recently used one; throws what pqxx throws for the DEALLOCATE.
  const std::string& name_for(pqxx::connection_base& conn, const std::string& sql);

  // Drops the statement of `sql` so its next use prepares it again (after the server
  // refused its cached plan). Its DEALLOCATE waits for the next name_for: the
  // transaction that saw the error may be aborted and refuse any command.
  void forget(const std::string& sql);

 private:
  struct Entry {
    std::string name;
    std::list<const std::string*>::iterator use;  // position in recent_
  };
  size_t capacity_;
  size_t next_id_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::list<const std::string*> recent_;  // SQL texts (keys of entries_), most recent first
  std::vector<std::string> stale_;        // names still to deallocate
};

}  // namespace dbsplit::runtime
