#pragma once
// `dbsplit relay --poll-outbox`: publishes a service's outbox rows by polling the table and
// marks them published only after the broker acknowledged them (docs/relay.md). The
// fallback for a database that allows no replication slot; capture (capture_relay.hpp)
// publishes the outbox and every row change without polling.
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "core/events/broker.hpp"

namespace dbsplit::events {

struct OutboxRelayOptions {
  std::string service;
  int batch = 100;  // rows per transaction
};

// What one relay_outbox_once call did.
struct OutboxBatch {
  std::size_t published = 0;   // rows marked published (0: nothing was pending)
  std::size_t duplicates = 0;  // of those, events the stream already held
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
};

// Throws RuntimeError when dbsplit_outbox.<service> does not exist in the database, saying
// how to create it; `db_label` names the database in the message (a redacted URL).
void require_outbox(pqxx::connection& db, const std::string& service, const std::string& db_label);

// One batch: locks up to options.batch unpublished rows in id order (skipping rows another
// relay holds), publishes them to the service's stream (message id = outbox id), and marks
// exactly the acknowledged ones in the same transaction. On a failed publish nothing is
// marked and RuntimeError is thrown. The stream must exist (JetStream::ensure_stream).
OutboxBatch relay_outbox_once(pqxx::connection& db, JetStream& broker,
                              const OutboxRelayOptions& options);

}  // namespace dbsplit::events
