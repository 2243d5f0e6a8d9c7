#include "core/events/capture_relay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/codegen/api_model.hpp"
#include "core/events/broker.hpp"
#include "core/events/change_event.hpp"
#include "core/events/names.hpp"
#include "core/events/pgoutput.hpp"
#include "core/events/replication.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kHeartbeatPrefix = "dbsplit_heartbeat";

// Transactions published and not yet fully acknowledged, in commit order. The relay adds
// to it; cnats' thread counts acknowledgements; the relay pops the acknowledged prefix and
// confirms its end to the slot.
class AckTracker {
 public:
  void open(Lsn commit) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (txns_.empty()) last_progress_ = Clock::now();
    txns_.push_back({commit});
  }
  void published() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++txns_.back().published;
  }
  void close(Lsn end) {
    std::lock_guard<std::mutex> lock(mutex_);
    txns_.back().end = end;
    txns_.back().closed = true;
  }

  void ack(const PublishAck& a) {
    EventPosition p;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!a.ok) {
      if (error_.empty()) error_ = a.error;
      return;
    }
    if (!parse_event_id(a.id, p)) return;
    auto it = std::lower_bound(txns_.begin(), txns_.end(), p.commit_lsn,
                               [](const Txn& t, Lsn lsn) { return t.commit < lsn; });
    if (it == txns_.end() || it->commit != p.commit_lsn) return;  // of an abandoned session
    ++it->acked;
    if (a.duplicate) ++duplicates_;
    last_progress_ = Clock::now();
  }

  // Pops the fully acknowledged transactions at the front; returns the end of the last one
  // (0: none) and how many.
  Lsn pop_done(std::uint64_t& count) {
    std::lock_guard<std::mutex> lock(mutex_);
    Lsn end = 0;
    while (!txns_.empty() && txns_.front().closed &&
           txns_.front().acked >= txns_.front().published) {
      end = txns_.front().end;
      txns_.pop_front();
      ++count;
    }
    return end;
  }

  bool empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    return txns_.empty();
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }
  std::uint64_t take_duplicates() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(duplicates_, 0);
  }
  // Seconds the oldest unacknowledged transaction has waited without any acknowledgement.
  double stalled_seconds() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (txns_.empty()) return 0;
    return std::chrono::duration<double>(Clock::now() - last_progress_).count();
  }

 private:
  struct Txn {
    Lsn commit = 0;
    Lsn end = 0;
    std::uint32_t published = 0;
    std::uint32_t acked = 0;
    bool closed = false;
  };
  std::mutex mutex_;
  std::deque<Txn> txns_;
  std::string error_;
  std::uint64_t duplicates_ = 0;
  Clock::time_point last_progress_ = Clock::now();
};

// Subjects and names of one relation, computed once.
struct RelationNames {
  std::string qualified;
  bool outbox = false;
  std::string subject_prefix;  // "dbsplit.<service>.<table>."
  std::string event_prefix;    // "<service>.<table>."
};

class Session : public PgOutputHandler {
 public:
  Session(const CaptureRelayOptions& options, const CaptureRelayLog& log)
      : o_(options), log_(log) {}
  ~Session() override {
    // No acknowledgement may reach the tracker once it is gone.
    if (broker_) broker_->on_ack(nullptr);
  }

  // Connects to the broker and the database and starts streaming; throws Error.
  void connect() {
    JetStream::Options js_options;
    js_options.client_name = "dbsplit relay " + o_.service;
    broker_ = std::make_unique<JetStream>(o_.nats_url, js_options);
    stream_ = broker_->ensure_stream(o_.service);
    broker_->on_ack([this](const PublishAck& a) { tracker_.ack(a); });
    sql_ = pg::connect(o_.db_url, "--db");
    std::string slot = capture_slot_name(o_.service);
    {
      pqxx::read_transaction tx(*sql_);
      if (tx.exec_params1("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", slot)[0]
              .as<int>() == 0)
        throw RuntimeError(fmt::format(
            "the replication slot {} does not exist in {}; `dbsplit relay` creates it at its "
            "start (it was dropped meanwhile: run the relay again)",
            slot, pg::redact(o_.db_url)));
    }
    repl_ = std::make_unique<ReplicationConnection>(o_.db_url, "--db");
    source_ = repl_->identify().system_id;
    outbox_ = std::string(codegen::kOutboxSchema) + "." + o_.service;
    if (o_.once == CaptureRelayOptions::Once::yes) target_ = heartbeat();
    repl_->start(slot, slot, 0);
    log_line(fmt::format("streaming slot {} of {} (instance {}) to stream {} at {}", slot,
                         pg::redact(o_.db_url), source_, stream_, broker_->url()));
  }

  // Streams until stopped or (once) caught up; throws Error when a connection breaks.
  void run(const std::atomic<bool>& stop) {
    auto last_status = Clock::now();
    auto last_heartbeat = Clock::now();
    auto last_report = Clock::now();
    bool status_due = false;
    while (true) {
      // Take everything that is there, then do the bookkeeping.
      for (int n = 0; n < 10000; ++n) {
        ReplicationConnection::Message m = repl_->next(n == 0 ? 50 : 0);
        if (m.kind == ReplicationConnection::Message::Kind::none) break;
        if (m.kind == ReplicationConnection::Message::Kind::data) {
          decoder_.decode(m.data, m.size, *this);
        } else {
          if (!in_txn_) safe_lsn_ = std::max(safe_lsn_, m.wal_end);
          status_due = status_due || m.reply_requested;
        }
      }
      std::string error = tracker_.error();
      if (!error.empty())
        throw RuntimeError(fmt::format("publishing to stream {} at {} failed: {}", stream_,
                                       broker_->url(), error));
      if (tracker_.stalled_seconds() > o_.ack_timeout_seconds)
        throw RuntimeError(fmt::format("no acknowledgement from stream {} at {} for {} s", stream_,
                                       broker_->url(), o_.ack_timeout_seconds));
      Lsn done = tracker_.pop_done(acked_txns_);
      confirmed_ = std::max(confirmed_, done);
      if (!in_txn_ && tracker_.empty()) confirmed_ = std::max(confirmed_, safe_lsn_);

      auto now = Clock::now();
      if (confirmed_ > sent_ || status_due || now - last_status > std::chrono::seconds(10)) {
        repl_->send_status(confirmed_);
        sent_ = confirmed_;
        status_due = false;
        last_status = now;
      }
      if (now - last_heartbeat > std::chrono::seconds(o_.heartbeat_seconds)) {
        heartbeat();
        last_heartbeat = now;
      }
      if (now - last_report > std::chrono::seconds(1)) {
        report(now - last_report);
        last_report = now;
      }
      bool finished = target_ != 0 && confirmed_ >= target_;
      if (stop || finished) {
        if (!finished) drain();
        report(Clock::now() - last_report);
        return;
      }
    }
  }

  // PgOutputHandler
  void begin(Lsn commit_lsn, std::int64_t commit_time, std::uint32_t) override {
    in_txn_ = true;
    skip_ = false;
    position_ = 0;
    commit_lsn_ = commit_lsn;
    commit_time_ = format_commit_time(commit_time);
    tracker_.open(commit_lsn);
  }
  void origin(std::string_view) override {
    // Applied by a subscription: published where it was first written.
    skip_ = true;
    ++skipped_origin_;
  }
  void change(const RowChange& c) override {
    if (skip_) return;
    const RelationNames& names = names_of(*c.relation);
    OutgoingMessage& m = message_;
    EventPosition p{source_, commit_lsn_, position_++};
    m.id = event_id(p);
    m.data.clear();
    if (names.outbox) {
      if (c.kind != ChangeKind::insert) {
        --position_;
        return;  // marking or pruning outbox rows is no event
      }
      publish_outbox_row(c);
      return;
    }
    m.subject = names.subject_prefix + change_name(c.kind);
    write_change_payload(m.data, c, p, commit_time_);
    m.headers = {{kAggregateTypeHeader, c.relation->qualified},
                 {kAggregateIdHeader, aggregate_id(c)},
                 {kEventTypeHeader, names.event_prefix + change_name(c.kind)},
                 {kCommitTimeHeader, commit_time_}};
    send();
  }
  void truncate(const std::vector<const Relation*>& relations) override {
    if (skip_) return;
    for (const Relation* r : relations) {
      const RelationNames& names = names_of(*r);
      if (names.outbox) continue;
      EventPosition p{source_, commit_lsn_, position_++};
      message_.id = event_id(p);
      message_.subject = names.subject_prefix + "truncated";
      message_.data.clear();
      write_truncate_payload(message_.data, *r, p, commit_time_);
      message_.headers = {{kAggregateTypeHeader, r->qualified},
                          {kAggregateIdHeader, ""},
                          {kEventTypeHeader, names.event_prefix + "truncated"},
                          {kCommitTimeHeader, commit_time_}};
      send();
    }
  }
  void commit(Lsn, Lsn end_lsn, std::int64_t) override {
    tracker_.close(end_lsn);
    in_txn_ = false;
  }
  void message(bool transactional, Lsn lsn, std::string_view prefix, std::string_view) override {
    if (transactional || prefix != kHeartbeatPrefix || in_txn_) return;
    // Everything committed before a heartbeat was decoded before it.
    safe_lsn_ = std::max(safe_lsn_, lsn);
    // In the stream it tells consumers how far they are even when nothing changes.
    EventPosition p{source_, lsn, 0};
    message_.id = event_id(p);
    message_.subject = subject_for(o_.service, std::string(kHeartbeatEvent));
    message_.data.clear();
    message_.data +=
        "{\"heartbeat\":true,\"source\":\"" + source_ + "\",\"lsn\":\"" + format_lsn(lsn) + "\"}";
    message_.headers = {{kEventTypeHeader, o_.service + "." + kHeartbeatEvent}};
    broker_->publish(message_);
  }

 private:
  const CaptureRelayOptions& o_;
  const CaptureRelayLog& log_;
  std::unique_ptr<JetStream> broker_;
  std::unique_ptr<pqxx::connection> sql_;
  std::unique_ptr<ReplicationConnection> repl_;
  std::string stream_, source_, outbox_;
  PgOutputDecoder decoder_;
  AckTracker tracker_;
  std::unordered_map<std::uint32_t, RelationNames> names_;
  OutgoingMessage message_;
  bool in_txn_ = false, skip_ = false;
  Lsn commit_lsn_ = 0;
  std::uint32_t position_ = 0;
  std::string commit_time_;
  Lsn safe_lsn_ = 0, confirmed_ = 0, sent_ = 0, target_ = 0;
  std::uint64_t published_ = 0, acked_txns_ = 0, skipped_origin_ = 0;

  void log_line(const std::string& line) {
    if (log_.line) log_.line(line);
  }

  const RelationNames& names_of(const Relation& r) {
    RelationNames& n = names_[r.id];
    if (n.qualified == r.qualified) return n;
    n.qualified = r.qualified;
    n.outbox = r.qualified == outbox_;
    n.event_prefix = o_.service + "." + r.name + ".";
    n.subject_prefix = subject_for(o_.service, n.event_prefix + "x");
    n.subject_prefix.pop_back();  // keep the trailing '.'
    return n;
  }

  // An outbox row: the event it holds, as `dbsplit relay --poll-outbox` would publish it.
  void publish_outbox_row(const RowChange& c) {
    std::string aggregate_type, aggregate, event_type;
    const Relation& rel = *c.relation;
    for (std::size_t i = 0; i < rel.columns.size() && i < c.row.size(); ++i) {
      const std::string& col = rel.columns[i].name;
      std::string value(c.row[i].text);
      if (col == "aggregate_type") aggregate_type = value;
      if (col == "aggregate_id") aggregate = value;
      if (col == "event_type") event_type = value;
      if (col == "payload") message_.data = value;
    }
    message_.subject = subject_for(o_.service, event_type);
    message_.headers = {{kAggregateTypeHeader, aggregate_type},
                        {kAggregateIdHeader, aggregate},
                        {kEventTypeHeader, event_type},
                        {kCommitTimeHeader, commit_time_}};
    send();
  }

  void send() {
    tracker_.published();
    broker_->publish(message_);
    ++published_;
  }

  Lsn heartbeat() {
    try {
      pqxx::nontransaction tx(*sql_);
      return parse_lsn(tx.exec_params1("SELECT pg_logical_emit_message(false, $1, $2)::text",
                                       kHeartbeatPrefix, o_.service)[0]
                           .as<std::string>());
    } catch (const pqxx::failure& e) {
      std::string what = e.what();
      throw RuntimeError("the relay's heartbeat failed: " +
                         pg::redact(what.substr(0, what.find('\n'))));
    }
  }

  // On stop: wait (bounded) for the acknowledgements in flight and confirm them.
  void drain() {
    auto deadline = Clock::now() + std::chrono::seconds(o_.ack_timeout_seconds);
    while (!tracker_.empty() && Clock::now() < deadline && tracker_.error().empty()) {
      confirmed_ = std::max(confirmed_, tracker_.pop_done(acked_txns_));
      if (in_txn_) break;  // a transaction half received is sent again by the next run
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    confirmed_ = std::max(confirmed_, tracker_.pop_done(acked_txns_));
    if (confirmed_ > sent_) repl_->send_status(confirmed_);
    sent_ = confirmed_;
  }

  void report(Clock::duration took) {
    if (published_ == 0 && acked_txns_ == 0 && skipped_origin_ == 0) return;
    CaptureProgress p;
    p.events = std::exchange(published_, 0);
    p.transactions = std::exchange(acked_txns_, 0);
    p.duplicates = tracker_.take_duplicates();
    p.skipped_origin = std::exchange(skipped_origin_, 0);
    p.confirmed = confirmed_;
    p.seconds = std::chrono::duration<double>(took).count();
    if (log_.progress) log_.progress(p);
  }
};

}  // namespace

void run_capture_relay(const CaptureRelayOptions& options, const std::atomic<bool>& stop,
                       const CaptureRelayLog& log) {
  bool started = false;
  int wait_ms = 250;
  while (!stop) {
    try {
      Session session(options, log);
      session.connect();
      started = true;
      wait_ms = 250;
      session.run(stop);
      return;
    } catch (const Error& e) {
      if (!started) throw;
      if (log.line)
        log.line(fmt::format("relay interrupted: {}; resuming from the slot in {:.1f} s", e.what(),
                             wait_ms / 1000.0));
    } catch (const pqxx::failure& e) {
      if (!started) throw RuntimeError(pg::redact(e.what()));
      if (log.line)
        log.line(fmt::format("relay interrupted: {}; resuming from the slot in {:.1f} s",
                             pg::redact(e.what()), wait_ms / 1000.0));
    }
    for (int slept = 0; slept < wait_ms && !stop; slept += 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wait_ms = std::min(wait_ms * 2, options.max_retry_seconds * 1000);
  }
}

}  // namespace dbsplit::events
