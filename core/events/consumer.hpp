#pragma once
// The consumer framework: a holder service's durable JetStream consumers, one per source
// stream, whose events are applied to the holder's database exactly once in effect. Each
// fetched batch is applied in one transaction together with the batch's event ids in the
// holder's inbox (dbsplit_inbox.<holder>); an id already there is skipped; the messages are
// acknowledged only after the commit (docs/events.md "Consumers").
//
// To act on events, implement EventHandler and pass it to run_consumer: caches and read
// models do (targets.hpp); so can a service handling another's events, e.g. bumping
// users.order_count on orders.orders.inserted:
//
//   struct OrderCount : events::EventHandler {
//     bool wants(const events::ConsumedEvent& e) const override {
//       return e.event_type == "orders.orders.inserted";
//     }
//     void apply(pqxx::work& tx, const events::ConsumedEvent& e) override {
//       tx.exec_params("UPDATE users SET order_count = order_count + 1 WHERE id = $1",
//                      e.change()->row.at("user_id"));
//     }
//   };
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/change_event.hpp"

namespace dbsplit::events {

// One event as a handler sees it.
class ConsumedEvent {
 public:
  std::string id;      // the message id (Nats-Msg-Id)
  std::string source;  // the service whose stream it came from
  std::string subject;
  std::string event_type;   // "<service>.<table>.<change>" or an outbox event's type
  std::string commit_time;  // ISO 8601, "" when unknown
  std::uint64_t stream_sequence = 0;
  std::string data;
  // From the id of a captured event: instance, commit LSN, position (empty source for an
  // event published by the polling relay, whose id is the outbox id).
  EventPosition position;
  bool heartbeat = false;  // the relay's heartbeat: never passed to handlers

  // The row change it holds (parsed on first use); nullptr for an event that is not a
  // captured row change (an outbox event). Throws UsageError for a malformed payload.
  const ChangeEvent* change() const;

 private:
  mutable std::optional<ChangeEvent> change_;
  mutable bool parsed_ = false;
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // Whether apply() is to see the event.
  virtual bool wants(const ConsumedEvent& event) const = 0;
  // Applies the event in `tx`, the holder's transaction that also records its id in the
  // inbox. Throwing rolls the whole batch back; it is delivered again.
  virtual void apply(pqxx::work& tx, const ConsumedEvent& event) = 0;
  // Called once per batch before the first apply (prepare statements, load state).
  virtual void begin_batch(pqxx::work&) {}
};

struct ConsumerOptions {
  std::string holder;                // the service whose database the events change
  std::string db_url;                // the holder's database (with the password)
  std::string nats_url;              // with credentials
  std::vector<std::string> sources;  // services whose streams to consume
  int batch = 500;                   // events per fetch and per transaction
  int ack_wait_seconds = 10;         // an unacknowledged event is delivered again after this
  // Where a consumer that does not exist yet starts, per source: after this stream sequence
  // (0: the whole stream). A fill (fill.hpp) reads the stream's last sequence before its
  // snapshot and passes it here.
  std::function<std::uint64_t(const std::string& source)> start_after;
  int inbox_keep_hours = 24;  // inbox rows older than this are deleted
};

// What one applied batch did, for the log.
struct ConsumedBatch {
  std::string source;
  std::size_t events = 0;      // in the batch
  std::size_t duplicates = 0;  // already in the inbox: skipped
  std::size_t handled = 0;     // handler calls
  std::string last_id;
  double ms = 0;
};

struct ConsumerLog {
  std::function<void(const std::string&)> line;
  std::function<void(const ConsumedBatch&)> batch;
};

// Creates the inbox and the stream-position table in the holder's database when missing.
void ensure_inbox(pqxx::connection& db, const std::string& holder);

// Runs until `stop` (finishes the batch in flight, exits). One durable consumer
// dbsplit_<holder> per source stream, filtered to the source's subjects; batches applied
// one at a time in fetch order, so a stream's events apply in stream order. Throws Error
// when the first connection fails; later failures are logged and the consumers resume.
void run_consumer(const ConsumerOptions& options, const std::vector<EventHandler*>& handlers,
                  const std::atomic<bool>& stop, const ConsumerLog& log);

// A consumer's progress as `status` shows it.
struct ConsumerPosition {
  std::string holder, source;
  std::string last_event_id;
  std::uint64_t last_sequence = 0;
  std::string last_commit_time;  // of the last applied event
  std::string last_applied_at;
  std::int64_t applied_events = 0;
  double lag_seconds = 0;   // applied_at - commit_time of the last applied event
  std::string applied_lsn;  // everything the source committed before it is applied
};
// Every position recorded in the database (all holders); empty when there is no inbox.
std::vector<ConsumerPosition> consumer_positions(pqxx::connection& db);

// Holds `holder`'s consumer of `source` at a WAL position of instance `system_id`: it applies
// every event committed before `lsn` and nothing from there on until release_consumer, so
// its targets can be compared with a snapshot taken at `lsn` (verify.hpp). The consumer
// only notices once an event or heartbeat at or after `lsn` reaches it: emit a heartbeat.
void hold_consumer(pqxx::connection& db, const std::string& holder, const std::string& source,
                   const std::string& system_id, Lsn lsn);
// Whether the consumer now holds at the position given to hold_consumer.
bool consumer_held(pqxx::connection& db, const std::string& holder, const std::string& source);
void release_consumer(pqxx::connection& db, const std::string& holder, const std::string& source);

}  // namespace dbsplit::events
