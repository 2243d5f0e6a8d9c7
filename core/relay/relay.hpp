#pragma once
// `dbsplit relay`: publishes a service's outbox rows to its JetStream stream and marks them
// published only after the broker acknowledged them (docs/relay.md).
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "core/relay/broker.hpp"

namespace dbsplit::relay {

struct RelayOptions {
  std::string service;
  int batch = 100;  // rows per transaction
};

// What one relay_once call did.
struct BatchResult {
  std::size_t published = 0;   // rows marked published (0: nothing was pending)
  std::size_t duplicates = 0;  // of those, events the stream already held
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
};

// Throws RuntimeError when dbsplit_outbox.<service> does not exist in the database, saying
// how to create it; `db_label` names the database in the message (a redacted URL).
void require_outbox(pqxx::connection& db, const std::string& service, const std::string& db_label);

// One batch: locks up to options.batch unpublished rows in id order (skipping rows another
// relay holds), publishes them, and marks exactly the acknowledged ones in the same
// transaction. On a failed publish nothing is marked and RuntimeError is thrown.
BatchResult relay_once(pqxx::connection& db, Broker& broker, const RelayOptions& options);

}  // namespace dbsplit::relay
