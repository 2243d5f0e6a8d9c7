#pragma once
// `dbsplit consume PLAN --service NAME`: keeps the caches (and read models) the plan gives
// a holder service: fills those not filled yet from an exact snapshot, then applies their
// sources' events (docs/events.md "Consumers").
#include <atomic>
#include <string>

#include "core/events/consumer.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::events {

struct ConsumeOptions {
  std::string holder;
  std::string db_url;         // the holder's database
  std::string source_db_url;  // the database of the sources' tables (the shared one while
                              // the services still share it); "" = db_url
  std::string nats_url;
  int batch = 500;
  int ack_wait_seconds = 10;
};

// What fill_targets did to one cache or read model.
struct FilledTarget {
  std::string name;
  std::int64_t rows = 0;
  Lsn position = 0;
};

// Fills every cache of `holder` that is not registered with its current definition: its
// durable consumers are made (starting after the streams' current ends), then one temporary
// slot's snapshot of the source is copied into each, with the snapshot's position
// recorded. Throws RuntimeError when a source's capture slot is missing (its relay must
// have started first: otherwise changes made from the fill on would never be published),
// UsageError when the plan gives the service nothing to keep.
std::vector<FilledTarget> fill_targets(const plan::Plan& plan, const ConsumeOptions& options);

// fill_targets, then applies the events until `stop`.
void consume(const plan::Plan& plan, const ConsumeOptions& options, const std::atomic<bool>& stop,
             const ConsumerLog& log);

}  // namespace dbsplit::events
