#include "core/relay/relay.hpp"

#include <fmt/format.h>

#include "core/codegen/api_model.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::relay {
namespace {

std::string outbox_table(const std::string& service) {
  return pg::qualified_name(codegen::kOutboxSchema, service);
}

// A bigint[] literal of the ids, for `id = ANY($1)`.
std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

BatchResult relay_batch(pqxx::connection& db, Broker& broker, const RelayOptions& options) {
  std::string table = outbox_table(options.service);
  pqxx::work tx(db);
  // FOR UPDATE keeps two relays from publishing a row at the same time; SKIP LOCKED lets
  // each take rows the other does not hold instead of waiting.
  pqxx::result rows = tx.exec_params(
      "SELECT id, aggregate_type, aggregate_id, event_type, payload::text FROM " + table +
          " WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
      options.batch);
  BatchResult result;
  if (rows.empty()) {
    tx.commit();
    return result;
  }
  std::vector<OutboxEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows)
    events.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                      row[3].as<std::string>(), row[4].as<std::string>()});

  PublishResult published = broker.publish(events);  // throws: the transaction rolls back

  pqxx::result marked = tx.exec_params(
      "UPDATE " + table +
          " SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL "
          "RETURNING id",
      id_array(published.acked_ids));
  tx.commit();
  result.published = marked.size();
  result.duplicates = published.duplicates;
  result.first_id = events.front().id;
  result.last_id = events.back().id;
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

BatchResult relay_once(pqxx::connection& db, Broker& broker, const RelayOptions& options) {
  try {
    return relay_batch(db, broker, options);
  } catch (const pqxx::failure& e) {
    std::string what = e.what();
    throw RuntimeError(fmt::format("relaying the outbox of service {} failed in the database: {}",
                                   options.service, pg::redact(what.substr(0, what.find('\n')))));
  }
}

}  // namespace dbsplit::relay
