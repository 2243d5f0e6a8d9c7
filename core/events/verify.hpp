#pragma once
// Comparing caches (and read models) with their sources at a common position: a snapshot
// of the source at position P (a temporary slot's), the holder's consumer held so that it
// has applied exactly the events committed before P, then every row compared by key
// (docs/events.md "Verification").
#include <cstdint>
#include <string>
#include <vector>

#include "core/events/cache.hpp"
#include "core/events/lsn.hpp"

namespace dbsplit::events {

struct RowDifference {
  std::string key;   // the key's values, "(17)" or "(17, 1)"
  std::string what;  // "missing from the cache", "not in the source",
                     // "name: cache 'Bob', source 'Robert'"
};

struct TargetCheck {
  std::string target;  // the cache or read model
  std::string holder;
  std::string source;  // the source table (or tables)
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;
  Lsn position = 0;                        // where both were compared
  std::vector<RowDifference> differences;  // sorted by key; capped at `max_listed`
  std::int64_t difference_count = 0;
};

struct CheckOptions {
  std::string holder_db_url;
  std::string source_db_url;  // "" = holder_db_url
  int timeout_seconds = 60;   // for the consumer to reach the position
  int max_listed = 100;
};

// Throws RuntimeError when the holder's consumer does not reach the position in time (it is
// not running, or the source's relay is not), naming both.
TargetCheck check_cache(const CacheSpec& cache, const CheckOptions& options);

}  // namespace dbsplit::events
