#pragma once
// `dbsplit relay`: streams a service's capture slot (pgoutput) and publishes every row
// change of its tables, and every event its outbox receives, to the service's JetStream
// stream, in commit order, with message ids from (instance, commit LSN, position). The
// slot's confirmed position moves only past transactions whose every message the broker
// acknowledged, so a crash anywhere resends, never loses (docs/events.md).
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/events/lsn.hpp"

namespace dbsplit::events {

struct CaptureRelayOptions {
  std::string service;
  std::string db_url;    // the database holding the service's tables (with the password)
  std::string nats_url;  // with credentials
  // Idle slots still move: a logical message every so often gives the slot a position to
  // confirm even when the service's tables do not change (other databases' WAL does).
  int heartbeat_seconds = 10;
  // Stop once everything committed before the start is acknowledged (scripts, tests).
  enum class Once { no, yes } once = Once::no;
  // After a broken connection (database or broker) mid-run: reconnect and resume from the
  // slot, waiting this long at most between attempts.
  int max_retry_seconds = 5;
  // An acknowledgement awaited longer than this means the broker lost the message: the
  // session restarts from the slot.
  int ack_timeout_seconds = 30;
};

// What the relay did, reported about once a second while it publishes.
struct CaptureProgress {
  std::uint64_t events = 0;          // messages published since the last report
  std::uint64_t transactions = 0;    // transactions fully acknowledged since the last report
  std::uint64_t duplicates = 0;      // of the acknowledged, ids the stream already held
  std::uint64_t skipped_origin = 0;  // transactions a subscription applied, not published
  Lsn confirmed = 0;                 // the slot's confirmed position
  double seconds = 0;                // since the last report
};

struct CaptureRelayLog {
  std::function<void(const std::string&)> line;  // one line per meaningful event
  std::function<void(const CaptureProgress&)> progress;
};

// Runs until `stop` is set (then finishes the work in flight, confirms what was acknowledged
// and returns) or, with Once::yes, until caught up. Throws Error when the first connection
// fails (unreachable database or broker, missing slot: nothing started); later failures
// are logged and retried.
void run_capture_relay(const CaptureRelayOptions& options, const std::atomic<bool>& stop,
                       const CaptureRelayLog& log);

}  // namespace dbsplit::events
