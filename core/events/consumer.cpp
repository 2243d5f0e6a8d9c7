#include "core/events/consumer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "core/events/broker.hpp"
#include "core/events/names.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kInboxSchema = "dbsplit_inbox";

std::string inbox_table(const std::string& holder) {
  return pg::qualified_name(kInboxSchema, holder);
}
std::string positions_table() { return pg::qualified_name(kInboxSchema, "positions"); }
std::string holds_table() { return pg::qualified_name(kInboxSchema, "holds"); }

// A text[] literal.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The parts of a running session the lanes share.
struct Shared {
  Shared(const ConsumerOptions& o, const std::vector<EventHandler*>& h, const std::atomic<bool>& s,
         const ConsumerLog& l)
      : options(o), handlers(h), stop(s), log(l) {}
  const ConsumerOptions& options;
  const std::vector<EventHandler*>& handlers;
  const std::atomic<bool>& stop;
  const ConsumerLog& log;
  std::mutex apply_mutex;  // one batch applies at a time, across all lanes
  pqxx::connection* db = nullptr;
  std::mutex failure_mutex;
  std::string failure;
  std::atomic<bool> failed{false};
  Clock::time_point last_prune = Clock::now();

  void fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (failure.empty()) failure = what;
    failed = true;
  }
};

ConsumedEvent to_event(const std::string& source, const ReceivedMessage& m) {
  ConsumedEvent e;
  e.source = source;
  e.id = m.header("Nats-Msg-Id");
  e.subject = std::string(m.subject());
  e.event_type = m.header(kEventTypeHeader);
  e.commit_time = m.header(kCommitTimeHeader);
  e.stream_sequence = m.stream_sequence();
  e.data = std::string(m.data());
  if (!parse_event_id(e.id, e.position)) e.position = EventPosition{};
  e.heartbeat = e.event_type == source + "." + kHeartbeatEvent;
  return e;
}

// A hold on the lane (hold_consumer), if any.
struct Hold {
  bool active = false;
  std::string system_id;
  Lsn lsn = 0;
  // Whether the event is at or past the hold's position.
  bool reached_by(const ConsumedEvent& e) const {
    return active && e.position.source == system_id && e.position.commit_lsn >= lsn;
  }
};

Hold read_hold(pqxx::connection& db, const std::string& holder, const std::string& source) {
  pqxx::read_transaction tx(db);
  pqxx::result r = tx.exec_params("SELECT system_identifier, lsn::text FROM " + holds_table() +
                                      " WHERE holder = $1 AND source = $2",
                                  holder, source);
  Hold h;
  if (r.empty()) return h;
  h.active = true;
  h.system_id = r[0][0].as<std::string>();
  h.lsn = parse_lsn(r[0][1].as<std::string>());
  return h;
}

// Applies events in one transaction with their inbox rows; returns what it did.
ConsumedBatch apply_batch(Shared& shared, const std::string& source,
                          const std::vector<ConsumedEvent>& events) {
  auto start = Clock::now();
  const std::string& holder = shared.options.holder;
  ConsumedBatch out;
  out.source = source;
  out.events = events.size();
  out.last_id = events.back().id;
  std::vector<std::string> ids, sequences;
  for (const auto& e : events) {
    if (e.heartbeat) continue;
    ids.push_back(e.id);
    sequences.push_back(std::to_string(e.stream_sequence));
  }
  pqxx::work tx(*shared.db);
  std::unordered_set<std::string> new_ids;
  if (!ids.empty()) {
    pqxx::result fresh = tx.exec_params(
        "INSERT INTO " + inbox_table(holder) +
            " (event_id, source, stream_sequence) SELECT id, $3, seq FROM unnest($1::text[], "
            "$2::bigint[]) AS u(id, seq) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        text_array(ids), text_array(sequences), source);
    for (const auto& row : fresh) new_ids.insert(row[0].as<std::string>());
  }
  out.duplicates = ids.size() - new_ids.size();
  if (!new_ids.empty()) {
    for (EventHandler* h : shared.handlers) h->begin_batch(tx);
    for (const auto& e : events) {
      if (e.heartbeat || new_ids.count(e.id) == 0) continue;
      for (EventHandler* h : shared.handlers)
        if (h->wants(e)) {
          h->apply(tx, e);
          ++out.handled;
        }
    }
  }
  const ConsumedEvent& last = events.back();
  std::string commit_time = last.commit_time;
  std::string applied_lsn =
      last.position.source.empty() ? "" : format_lsn(last.position.commit_lsn);
  tx.exec_params(
      "INSERT INTO " + positions_table() +
          " AS p (holder, source, last_event_id, last_sequence, last_commit_time, "
          "last_applied_at, applied_events, system_identifier, applied_lsn) VALUES ($1, $2, $3, "
          "$4, nullif($5, '')::timestamptz, clock_timestamp(), $6, nullif($7, ''), "
          "nullif($8, '')::pg_lsn) ON CONFLICT (holder, source) DO UPDATE SET "
          "last_event_id = EXCLUDED.last_event_id, last_sequence = EXCLUDED.last_sequence, "
          "last_commit_time = coalesce(EXCLUDED.last_commit_time, p.last_commit_time), "
          "last_applied_at = EXCLUDED.last_applied_at, "
          "applied_events = p.applied_events + EXCLUDED.applied_events, "
          "system_identifier = coalesce(EXCLUDED.system_identifier, p.system_identifier), "
          "applied_lsn = coalesce(EXCLUDED.applied_lsn, p.applied_lsn)",
      holder, source, last.id, static_cast<std::int64_t>(last.stream_sequence), commit_time,
      static_cast<std::int64_t>(new_ids.size()), last.position.source, applied_lsn);
  tx.commit();
  out.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return out;
}

void prune_inbox(Shared& shared) {
  if (Clock::now() - shared.last_prune < std::chrono::minutes(10)) return;
  shared.last_prune = Clock::now();
  pqxx::work tx(*shared.db);
  tx.exec_params("DELETE FROM " + inbox_table(shared.options.holder) +
                     " WHERE applied_at < now() - make_interval(hours => $1)",
                 shared.options.inbox_keep_hours);
  tx.commit();
}

void set_held(Shared& shared, const std::string& source, bool held) {
  pqxx::work tx(*shared.db);
  tx.exec_params("UPDATE " + holds_table() + " SET held = $3 WHERE holder = $1 AND source = $2",
                 shared.options.holder, source, held);
  tx.commit();
}

// Applies `events` (a prefix of a fetched batch) and acknowledges them; the lock is held.
void apply_and_ack(Shared& shared, const std::string& source, std::vector<ConsumedEvent>& events,
                   std::vector<ReceivedMessage>& messages, std::size_t count) {
  if (count == 0) return;
  std::vector<ConsumedEvent> part(events.begin(), events.begin() + static_cast<long>(count));
  ConsumedBatch done;
  try {
    done = apply_batch(shared, source, part);
    prune_inbox(shared);
  } catch (const pqxx::failure& e) {
    for (auto& m : messages) m.nak();
    throw RuntimeError(fmt::format("applying events of {} up to {} failed: {}", source,
                                   part.back().id, pg::redact(first_line(e.what()))));
  } catch (const Error& e) {
    for (auto& m : messages) m.nak();
    throw RuntimeError(
        fmt::format("applying events of {} up to {} failed: {}", source, part.back().id, e.what()));
  }
  for (std::size_t i = 0; i < count; ++i) messages[i].ack();
  if (shared.log.batch) shared.log.batch(done);
}

// One source stream: fetch a batch, apply it (holding the apply lock), acknowledge it.
// The consumer delivers at most one batch unacknowledged (MaxAckPending = batch), so a
// batch delivered again (after a crash or a failed apply) comes before any newer event.
void run_lane(Shared& shared, PullConsumer& consumer, const std::string& source) {
  try {
    while (!shared.stop && !shared.failed) {
      std::vector<ReceivedMessage> messages = consumer.fetch(shared.options.batch, 500);
      if (messages.empty()) continue;
      std::vector<ConsumedEvent> events;
      events.reserve(messages.size());
      for (const auto& m : messages) events.push_back(to_event(source, m));
      std::unique_lock<std::mutex> lock(shared.apply_mutex);
      if (shared.failed) return;
      Hold hold = read_hold(*shared.db, shared.options.holder, source);
      std::size_t before = 0;
      while (before < events.size() && !hold.reached_by(events[before])) ++before;
      apply_and_ack(shared, source, events, messages, before);
      if (before == events.size()) continue;
      // At the hold's position: give the rest back (delivered again first) and wait.
      for (std::size_t i = before; i < messages.size(); ++i) messages[i].nak();
      set_held(shared, source, true);
      lock.unlock();
      if (shared.log.line)
        shared.log.line(
            fmt::format("holding {} at {} for a comparison", source, format_lsn(hold.lsn)));
      while (!shared.stop && !shared.failed &&
             read_hold(*shared.db, shared.options.holder, source).active)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (const Error& e) {
    shared.fail(e.what());
  } catch (const pqxx::failure& e) {
    shared.fail(pg::redact(first_line(e.what())));
  } catch (const std::exception& e) {
    shared.fail(e.what());
  }
}

void run_session(const ConsumerOptions& o, const std::vector<EventHandler*>& handlers,
                 const std::atomic<bool>& stop, const ConsumerLog& log, bool& started) {
  JetStream::Options js_options;
  js_options.client_name = "dbsplit consume " + o.holder;
  JetStream broker(o.nats_url, js_options);
  auto db = pg::connect(o.db_url, "--db");
  ensure_inbox(*db, o.holder);
  std::vector<std::unique_ptr<PullConsumer>> consumers;
  for (const auto& source : o.sources) {
    std::string stream = broker.ensure_stream(source);
    std::uint64_t start_after = o.start_after ? o.start_after(source) : 0;
    consumers.push_back(broker.pull_consumer(stream, durable_name(o.holder),
                                             service_subjects(source), start_after, o.batch,
                                             o.ack_wait_seconds));
    if (log.line && !started)
      log.line(fmt::format("consuming stream {} as {} into {} of {}", stream,
                           durable_name(o.holder), o.holder, pg::redact(o.db_url)));
  }
  started = true;
  Shared shared{o, handlers, stop, log};
  shared.db = db.get();
  std::vector<std::thread> lanes;
  for (size_t i = 0; i < consumers.size(); ++i)
    lanes.emplace_back(
        [&shared, &consumers, &o, i] { run_lane(shared, *consumers[i], o.sources[i]); });
  for (auto& t : lanes) t.join();
  if (shared.failed) throw RuntimeError(shared.failure);
}

}  // namespace

const ChangeEvent* ConsumedEvent::change() const {
  if (!parsed_) {
    parsed_ = true;
    // Captured row changes carry their table in the payload; outbox events do not.
    if (data.rfind("{\"op\":", 0) == 0) change_ = parse_change_event(data);
  }
  return change_ ? &*change_ : nullptr;
}

void ensure_inbox(pqxx::connection& db, const std::string& holder) {
  pqxx::work tx(db);
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('dbsplit_inbox'))");
  tx.exec(std::string("CREATE SCHEMA IF NOT EXISTS ") + kInboxSchema);
  tx.exec("CREATE TABLE IF NOT EXISTS " + inbox_table(holder) +
          " (event_id text PRIMARY KEY, source text NOT NULL, stream_sequence bigint NOT NULL, "
          "applied_at timestamptz NOT NULL DEFAULT clock_timestamp())");
  tx.exec("CREATE TABLE IF NOT EXISTS " + positions_table() +
          " (holder text NOT NULL, source text NOT NULL, last_event_id text NOT NULL, "
          "last_sequence bigint NOT NULL, last_commit_time timestamptz, last_applied_at "
          "timestamptz NOT NULL, applied_events bigint NOT NULL, system_identifier text, "
          "applied_lsn pg_lsn, PRIMARY KEY (holder, source))");
  tx.exec("CREATE TABLE IF NOT EXISTS " + pg::qualified_name(kInboxSchema, "sources") +
          " (holder text NOT NULL, system_identifier text NOT NULL, epoch integer NOT NULL, "
          "first_seen timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (holder, "
          "system_identifier))");
  tx.exec("CREATE TABLE IF NOT EXISTS " + pg::qualified_name(kInboxSchema, "targets") +
          " (holder text NOT NULL, name text NOT NULL, definition text NOT NULL, "
          "filled_epoch integer NOT NULL, filled_lsn pg_lsn NOT NULL, filled_rows bigint NOT "
          "NULL, filled_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (holder, name))");
  tx.exec("CREATE TABLE IF NOT EXISTS " + holds_table() +
          " (holder text NOT NULL, source text NOT NULL, system_identifier text NOT NULL, "
          "lsn pg_lsn NOT NULL, held boolean NOT NULL DEFAULT false, "
          "PRIMARY KEY (holder, source))");
  tx.commit();
}

void run_consumer(const ConsumerOptions& options, const std::vector<EventHandler*>& handlers,
                  const std::atomic<bool>& stop, const ConsumerLog& log) {
  if (options.sources.empty())
    throw UsageError(fmt::format("service {} consumes no other service's events", options.holder));
  bool started = false;
  int wait_ms = 250;
  while (!stop) {
    try {
      run_session(options, handlers, stop, log, started);
      if (stop) return;
    } catch (const Error& e) {
      if (!started) throw;
      if (log.line)
        log.line(fmt::format("consumer interrupted: {}; resuming in {:.1f} s", e.what(),
                             wait_ms / 1000.0));
    } catch (const pqxx::failure& e) {
      if (!started) throw RuntimeError(pg::redact(first_line(e.what())));
      if (log.line)
        log.line(fmt::format("consumer interrupted: {}; resuming in {:.1f} s",
                             pg::redact(first_line(e.what())), wait_ms / 1000.0));
    }
    for (int slept = 0; slept < wait_ms && !stop; slept += 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wait_ms = std::min(wait_ms * 2, 5000);
  }
}

std::vector<ConsumerPosition> consumer_positions(pqxx::connection& db) {
  std::vector<ConsumerPosition> out;
  pqxx::read_transaction tx(db);
  if (tx.exec_params1("SELECT to_regclass($1) IS NULL", positions_table())[0].as<bool>())
    return out;
  for (const auto& row : tx.exec(
           "SELECT holder, source, last_event_id, last_sequence, coalesce(last_commit_time::text, "
           "''), last_applied_at::text, applied_events, coalesce(extract(epoch FROM "
           "last_applied_at - last_commit_time), 0)::float8, coalesce(applied_lsn::text, '') "
           "FROM " +
           positions_table() + " ORDER BY holder, source")) {
    ConsumerPosition p;
    p.holder = row[0].as<std::string>();
    p.source = row[1].as<std::string>();
    p.last_event_id = row[2].as<std::string>();
    p.last_sequence = row[3].as<std::uint64_t>();
    p.last_commit_time = row[4].as<std::string>();
    p.last_applied_at = row[5].as<std::string>();
    p.applied_events = row[6].as<std::int64_t>();
    p.lag_seconds = row[7].as<double>();
    p.applied_lsn = row[8].as<std::string>();
    out.push_back(p);
  }
  return out;
}

void hold_consumer(pqxx::connection& db, const std::string& holder, const std::string& source,
                   const std::string& system_id, Lsn lsn) {
  ensure_inbox(db, holder);
  pqxx::work tx(db);
  tx.exec_params("INSERT INTO " + holds_table() +
                     " (holder, source, system_identifier, lsn) VALUES ($1, $2, $3, $4::pg_lsn) "
                     "ON CONFLICT (holder, source) DO UPDATE SET system_identifier = "
                     "EXCLUDED.system_identifier, lsn = EXCLUDED.lsn, held = false",
                 holder, source, system_id, format_lsn(lsn));
  tx.commit();
}

bool consumer_held(pqxx::connection& db, const std::string& holder, const std::string& source) {
  pqxx::read_transaction tx(db);
  pqxx::result r = tx.exec_params(
      "SELECT held FROM " + holds_table() + " WHERE holder = $1 AND source = $2", holder, source);
  return !r.empty() && r[0][0].as<bool>();
}

void release_consumer(pqxx::connection& db, const std::string& holder, const std::string& source) {
  pqxx::work tx(db);
  tx.exec_params("DELETE FROM " + holds_table() + " WHERE holder = $1 AND source = $2", holder,
                 source);
  tx.commit();
}

}  // namespace dbsplit::events
