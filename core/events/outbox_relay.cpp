#include "core/events/outbox_relay.hpp"

#include <fmt/format.h>

#include <mutex>

#include "core/codegen/api_model.hpp"
#include "core/events/names.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

constexpr int kAckWaitMs = 30000;

std::string outbox_table(const std::string& service) {
  return pg::qualified_name(codegen::kOutboxSchema, service);
}

// A bigint[] literal of the ids, for `id = ANY($1)`.
std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

// The acknowledgements of the batch in flight, filled on cnats' thread.
struct Acks {
  std::mutex mutex;
  std::vector<std::int64_t> ids;
  std::size_t duplicates = 0;
  std::string first_error;
};

OutboxBatch relay_batch(pqxx::connection& db, JetStream& broker,
                        const OutboxRelayOptions& options) {
  std::string table = outbox_table(options.service);
  pqxx::work tx(db);
  // FOR UPDATE keeps two relays from publishing a row at the same time; SKIP LOCKED lets
  // each take rows the other does not hold instead of waiting.
  pqxx::result rows = tx.exec_params(
      "SELECT id, aggregate_type, aggregate_id, event_type, payload::text FROM " + table +
          " WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
      options.batch);
  OutboxBatch result;
  if (rows.empty()) {
    tx.commit();
    return result;
  }
  Acks acks;
  broker.on_ack([&acks](const PublishAck& a) {
    std::lock_guard<std::mutex> lock(acks.mutex);
    if (a.ok) {
      acks.ids.push_back(std::strtoll(std::string(a.id).c_str(), nullptr, 10));
      if (a.duplicate) ++acks.duplicates;
    } else if (acks.first_error.empty()) {
      acks.first_error = a.error;
    }
  });
  std::string stream = stream_name(options.service);
  std::string send_error;
  for (const auto& row : rows) {
    OutgoingMessage m;
    std::string event_type = row[3].as<std::string>();
    m.subject = subject_for(options.service, event_type);
    m.id = row[0].as<std::string>();
    m.headers = {{kAggregateTypeHeader, row[1].as<std::string>()},
                 {kAggregateIdHeader, row[2].as<std::string>()},
                 {kEventTypeHeader, event_type}};
    m.data = row[4].as<std::string>();
    try {
      broker.publish(m);
    } catch (const Error& e) {
      send_error = e.what();
      break;
    }
  }
  // Wait for the acknowledgements of what was sent, also after a failed send, so no
  // acknowledgement of this batch lands in the next one.
  bool complete = broker.wait_for_acks(kAckWaitMs);
  broker.on_ack(nullptr);
  if (!complete && send_error.empty())
    send_error = fmt::format("acknowledgements did not arrive within {} s", kAckWaitMs / 1000);
  std::string error = !send_error.empty() ? send_error : acks.first_error;
  if (error.empty() && acks.ids.size() != rows.size())
    error = fmt::format("{} of {} events acknowledged", acks.ids.size(), rows.size());
  if (!error.empty())
    throw RuntimeError(fmt::format(
        "publishing to stream {} at {} failed: {}; no event of the batch is marked published, "
        "the next run publishes them again (the stream drops duplicates)",
        stream, broker.url(), error));

  pqxx::result marked = tx.exec_params(
      "UPDATE " + table +
          " SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL "
          "RETURNING id",
      id_array(acks.ids));
  tx.commit();
  result.published = marked.size();
  result.duplicates = acks.duplicates;
  result.first_id = rows.front()[0].as<std::int64_t>();
  result.last_id = rows.back()[0].as<std::int64_t>();
  return result;
}

}  // namespace

void require_outbox(pqxx::connection& db, const std::string& service, const std::string& db_label) {
  pqxx::read_transaction tx(db);
  if (tx.exec_params1("SELECT to_regclass($1) IS NULL", outbox_table(service))[0].as<bool>())
    throw RuntimeError(fmt::format(
        "the outbox table {}.{} does not exist in {}; create it with `dbsplit serve PLAN "
        "--service {} --db URL --create-outbox` (shared database) or from "
        "DIR/{}/schema.sql of `dbsplit generate` (the service's own database)",
        codegen::kOutboxSchema, service, db_label, service, service));
}

OutboxBatch relay_outbox_once(pqxx::connection& db, JetStream& broker,
                              const OutboxRelayOptions& options) {
  try {
    return relay_batch(db, broker, options);
  } catch (const pqxx::failure& e) {
    std::string what = e.what();
    throw RuntimeError(fmt::format("relaying the outbox of service {} failed in the database: {}",
                                   options.service, pg::redact(what.substr(0, what.find('\n')))));
  }
}

}  // namespace dbsplit::events
