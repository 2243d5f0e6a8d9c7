#pragma once
// The broker side of the relay: a NATS connection with JetStream, the service's stream,
// and publishing a batch of outbox events with the outbox id as message id (docs/relay.md).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dbsplit::relay {

// One row of dbsplit_outbox.<service>, as it goes to the broker.
struct OutboxEvent {
  std::int64_t id = 0;
  std::string aggregate_type;
  std::string aggregate_id;
  std::string event_type;
  std::string payload;  // JSON text
};

// What the broker acknowledged for a batch: every event, some as duplicates it already held.
struct PublishResult {
  std::vector<std::int64_t> acked_ids;
  std::size_t duplicates = 0;
};

// The stream of a service: DBSPLIT_<SERVICE>, upper case, characters a stream name may not
// hold replaced by '_'.
std::string stream_name(const std::string& service);

// The subject of an event: dbsplit.<service>.<event_type> (the service said once when the
// event type starts with it, as serve's "<service>.<table>.<change>" do), each part made a
// valid NATS subject token (no space, '*', '>'; never empty).
std::string subject_for(const std::string& service, const std::string& event_type);

// The NATS URL (or comma-separated list) with passwords and tokens replaced by "***".
std::string redact_nats_url(const std::string& url);

// Names of the headers each message carries besides Nats-Msg-Id.
inline constexpr const char* kAggregateTypeHeader = "Dbsplit-Aggregate-Type";
inline constexpr const char* kAggregateIdHeader = "Dbsplit-Aggregate-Id";
inline constexpr const char* kEventTypeHeader = "Dbsplit-Event-Type";

// A connection to a NATS server with JetStream, bound to one service's stream.
class Broker {
 public:
  // Connects to `url` and creates the service's stream when missing (file storage,
  // subjects dbsplit.<service>.>, duplicate window 2 minutes). Throws RuntimeError naming
  // the URL (password redacted) and how to start a server when it is unreachable or has
  // no JetStream.
  Broker(const std::string& url, const std::string& service);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Publishes the events in order, each with message id = outbox id, and waits for every
  // acknowledgement. Throws RuntimeError when any publish fails or is not acknowledged.
  PublishResult publish(const std::vector<OutboxEvent>& events);

  const std::string& stream() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsplit::relay
