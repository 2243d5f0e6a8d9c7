#pragma once
// NATS JetStream as dbsplit uses it: one connection, the services' streams, asynchronous
// publishing with message ids (acknowledgements reported per message), and durable pull
// consumers. The only file that talks to cnats (docs/events.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbsplit::events {

// Names of the headers every event carries besides Nats-Msg-Id.
inline constexpr const char* kAggregateTypeHeader = "Dbsplit-Aggregate-Type";
inline constexpr const char* kAggregateIdHeader = "Dbsplit-Aggregate-Id";
inline constexpr const char* kEventTypeHeader = "Dbsplit-Event-Type";
// Captured events: the instance, commit LSN and position their id is made of, and the commit
// time (ISO 8601, UTC), so a consumer can version and time an event without its payload.
inline constexpr const char* kSourceHeader = "Dbsplit-Source";
inline constexpr const char* kLsnHeader = "Dbsplit-Lsn";
inline constexpr const char* kPositionHeader = "Dbsplit-Position";
inline constexpr const char* kCommitTimeHeader = "Dbsplit-Commit-Time";

// The stream's duplicate window: a message id seen within it is stored once.
inline constexpr std::int64_t kDuplicateWindowSeconds = 120;

struct OutgoingMessage {
  std::string subject;
  std::string id;  // Nats-Msg-Id
  std::vector<std::pair<const char*, std::string>> headers;
  std::string data;
};

// The broker's answer to one asynchronous publish, on cnats' thread.
struct PublishAck {
  std::string_view id;     // the message's Nats-Msg-Id
  bool ok = false;         // stored (or already held: duplicate)
  bool duplicate = false;  // the stream held this id already
  std::uint64_t sequence = 0;
  std::string error;  // when !ok
};
using AckHandler = std::function<void(const PublishAck&)>;

// A message fetched from a pull consumer. Acknowledge it only after its effect committed.
class ReceivedMessage {
 public:
  ReceivedMessage(void* msg) : msg_(msg) {}
  ReceivedMessage(ReceivedMessage&& o) noexcept : msg_(o.msg_) { o.msg_ = nullptr; }
  ReceivedMessage& operator=(ReceivedMessage&& o) noexcept;
  ReceivedMessage(const ReceivedMessage&) = delete;
  ~ReceivedMessage();

  std::string_view subject() const;
  std::string_view data() const;
  // The header's value, or "" when absent.
  std::string header(const char* name) const;
  std::uint64_t stream_sequence() const;
  // Acknowledges (no wait for the server's confirmation). Throws RuntimeError when it
  // cannot be sent.
  void ack();
  // Asks for it to be delivered again at once (an apply that failed). Best effort: when it
  // cannot be sent, the event comes again after the consumer's acknowledgement wait.
  void nak();

 private:
  void* msg_;
};

// A durable pull consumer bound to one stream, filtered to one subject.
class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;
  // Up to `batch` messages, waiting at most `timeout_ms` for the first; empty on timeout.
  // Throws RuntimeError when the server cannot be asked.
  std::vector<ReceivedMessage> fetch(int batch, int timeout_ms);

 private:
  friend class JetStream;
  PullConsumer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A connection to a NATS server with JetStream.
class JetStream {
 public:
  struct Options {
    std::string client_name = "dbsplit";
    // Asynchronous publishes in flight before publish() waits for acknowledgements.
    std::int64_t max_pending = 16384;
    // Reconnect attempts when the connection drops (-1: forever).
    int max_reconnects = 60;
  };
  // Throws RuntimeError naming the URL (password redacted) and how to start a server when
  // it is unreachable or has no JetStream.
  JetStream(const std::string& url, const Options& options);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  const std::string& url() const;  // redacted

  // Creates the service's stream when missing (file storage, subjects dbsplit.<service>.>,
  // duplicate window 2 minutes); returns its name. An existing stream is used as it is.
  std::string ensure_stream(const std::string& service);
  // The stream's last sequence number (0 when empty).
  std::uint64_t last_sequence(const std::string& stream);

  // Called once per published message when the broker answers (or the publish fails).
  // Set before the first publish.
  void on_ack(AckHandler handler);
  // Sends one message; waits while max_pending messages await their acknowledgement.
  // Throws RuntimeError when it cannot be sent.
  void publish(const OutgoingMessage& message);
  // Waits until every acknowledgement arrived; false after timeout_ms.
  bool wait_for_acks(int timeout_ms);

  // Binds to the durable pull consumer `durable` of `stream` (filter `filter_subject`),
  // creating it when missing to start after stream sequence `start_after` (0: from the
  // start). Unacknowledged messages are redelivered after ack_wait_seconds; at most
  // max_ack_pending are delivered unacknowledged, so a redelivery never overtakes newer ones.
  std::unique_ptr<PullConsumer> pull_consumer(const std::string& stream, const std::string& durable,
                                              const std::string& filter_subject,
                                              std::uint64_t start_after, int max_ack_pending,
                                              int ack_wait_seconds);
  // Whether the durable consumer exists.
  bool has_consumer(const std::string& stream, const std::string& durable);
  // Deletes it; nothing when it does not exist.
  void delete_consumer(const std::string& stream, const std::string& durable);
  // The consumer's pending (undelivered) and acknowledgement-pending counts; false when
  // it does not exist.
  bool consumer_lag(const std::string& stream, const std::string& durable, std::uint64_t& pending,
                    std::uint64_t& ack_pending);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsplit::events
