#pragma once
// Caches (event replication): a holder's table with the columns it reads of another
// service's table plus the key, kept by that table's change events. Every row carries the
// version of the event that wrote it (dbsplit_epoch, dbsplit_lsn, dbsplit_position): the
// source instance's epoch in the holder (sources.hpp), the commit LSN and the position;
// an event older than the row does not change it (docs/events.md "Caches").
#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/events/consumer.hpp"
#include "core/events/lsn.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::events {

// The version columns of every cache and read-model row.
inline constexpr const char* kEpochColumn = "dbsplit_epoch";
inline constexpr const char* kLsnColumn = "dbsplit_lsn";
inline constexpr const char* kPositionColumn = "dbsplit_position";

struct CacheSpec {
  std::string name;                  // "schema.table" in the holder's database
  std::string holder;                // the service holding it
  std::string source_service;        // the owner of the source table
  std::string source_table;          // "schema.table"
  std::vector<std::string> columns;  // cached columns, key included, in plan order
  std::vector<std::string> types;    // their types (from the plan's schema)
  std::vector<std::string> key;
  // A text that changes when the cache's shape does: a registered cache with another
  // definition is filled again.
  std::string definition() const;
};

// The caches the plan gives `holder`, each once.
std::vector<CacheSpec> plan_caches(const plan::Plan& plan, const std::string& holder);

// The statements that create the cache table when missing (the planned columns, the key,
// the version columns) and add the version columns to a table the plan's SQL step made
// without them. Throws UsageError for a cache without a key.
std::vector<std::string> cache_table_ddl(const CacheSpec& cache);

// The SQL that returns the holder's epoch of instance `system_id`, assigning the next one
// when the instance is new (run it in the transaction that uses the epoch).
std::string epoch_sql(const std::string& holder, const std::string& system_id);

// A version: (epoch, LSN, position). Rows filled from a snapshot at LSN L have (epoch, L, -1).
struct Version {
  int epoch = 0;
  Lsn lsn = 0;
  std::int64_t position = 0;
  bool operator<(const Version& o) const {
    return epoch != o.epoch ? epoch < o.epoch : lsn != o.lsn ? lsn < o.lsn : position < o.position;
  }
};

// The holder's epoch numbers of source instances: dbsplit_inbox.sources, in the order
// instances were first seen. A service moved to its own instance (database stage) gets the
// next epoch, so its events order after the old instance's.
class Epochs {
 public:
  explicit Epochs(std::string holder) : holder_(std::move(holder)) {}
  int epoch_of(pqxx::transaction_base& tx, const std::string& system_id);
  void forget() { known_.clear(); }

 private:
  std::string holder_;
  std::map<std::string, int> known_;
};

// Applies a source table's events to one cache.
class CacheHandler : public EventHandler {
 public:
  CacheHandler(CacheSpec cache, Epochs& epochs, Version filled);
  bool wants(const ConsumedEvent& event) const override;
  void apply(pqxx::work& tx, const ConsumedEvent& event) override;
  void begin_batch(pqxx::work&) override { epochs_.forget(); }
  const CacheSpec& spec() const { return cache_; }

 private:
  CacheSpec cache_;
  Epochs& epochs_;
  Version filled_;
  std::string table_;       // quoted
  std::string upsert_all_;  // the upsert of every cached column (prepared text)
};

}  // namespace dbsplit::events
