#pragma once
// The replication objects of a service's change capture (DESIGN section 9): the publication
// dbsplit_capture_<service> of its owned tables and its outbox, and the logical slot of the
// same name the relay reads. Made by the relay's start, dropped by its stop or rollback.
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/plan/model.hpp"

namespace dbsplit::events {

// The tables a service's capture publishes: its owned tables (partitioned parents, not
// their partitions), sorted.
std::vector<std::string> captured_tables(const plan::Plan& plan, const std::string& service);

// Of `tables`, those UPDATE and DELETE would fail on once published: no primary key and no
// replica identity (REPLICA IDENTITY DEFAULT without a key, or NOTHING).
std::vector<std::string> tables_without_replica_identity(pqxx::connection& db,
                                                         const std::vector<std::string>& tables);

// Sets REPLICA IDENTITY FULL on each table (the old row identifies it).
void set_replica_identity_full(pqxx::connection& db, const std::vector<std::string>& tables);

struct CaptureSetup {
  std::string slot;  // == publication
  std::vector<std::string> tables;
  bool outbox = false;  // dbsplit_outbox.<service> is published too
  bool slot_created = false;
  bool publication_changed = false;
};

// Creates or updates the publication to hold exactly the service's tables (and its outbox
// when it exists), then creates the slot when missing; in that order, because the slot
// decodes with the catalog as of each change and must find the publication. Throws
// UsageError listing tables without a replica identity (and the statement that fixes them),
// RuntimeError when the server lacks wal_level=logical or free slots.
CaptureSetup prepare_capture(pqxx::connection& db, const plan::Plan& plan,
                             const std::string& service);

// Drops the slot and the publication; nothing for what does not exist. Throws RuntimeError
// when a relay still reads the slot (stop it first).
enum class Dropped { nothing, something };
Dropped drop_capture(pqxx::connection& db, const std::string& service);

// A capture slot as `status` shows it.
struct SlotStatus {
  std::string slot;
  std::string service;
  bool active = false;
  std::int64_t retained_bytes = 0;  // WAL the server keeps for it
  std::string confirmed_lsn;
};
std::vector<SlotStatus> capture_slots(pqxx::connection& db);

// The instance's system identifier (decimal text), as events name their source.
std::string system_identifier(pqxx::transaction_base& tx);

}  // namespace dbsplit::events
