#include "core/events/consume.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>

#include "core/events/broker.hpp"
#include "core/events/cache.hpp"
#include "core/events/fill.hpp"
#include "core/events/names.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

std::string source_url(const ConsumeOptions& o) {
  return o.source_db_url.empty() ? o.db_url : o.source_db_url;
}

std::vector<CacheSpec> caches_or_fail(const plan::Plan& plan, const std::string& holder) {
  if (plan.find_service(holder) == nullptr) {
    std::string names;
    for (const auto& s : plan.services) names += (names.empty() ? "" : ", ") + s.name;
    throw UsageError("the plan has no service '" + holder + "'; its services: " + names);
  }
  std::vector<CacheSpec> caches = plan_caches(plan, holder);
  if (caches.empty())
    throw UsageError(
        fmt::format("the plan gives service {} no cache or read model to keep", holder));
  for (const auto& c : caches)
    if (c.source_service.empty())
      throw UsageError(fmt::format("the cache {} mirrors {}, which no service of the plan owns",
                                   c.name, c.source_table));
  return caches;
}

// The registered definition and filled version of each target of the holder.
struct Registered {
  std::string definition;
  Version filled;
};
std::map<std::string, Registered> registered(pqxx::connection& db, const std::string& holder) {
  std::map<std::string, Registered> out;
  pqxx::read_transaction tx(db);
  for (const auto& row : tx.exec_params(
           "SELECT name, definition, filled_epoch, filled_lsn::text FROM dbsplit_inbox.targets "
           "WHERE holder = $1",
           holder))
    out[row[0].as<std::string>()] = {row[1].as<std::string>(),
                                     {row[2].as<int>(), parse_lsn(row[3].as<std::string>()), -1}};
  return out;
}

std::vector<std::string> sources_of(const std::vector<CacheSpec>& caches) {
  std::set<std::string> out;
  for (const auto& c : caches) out.insert(c.source_service);
  return {out.begin(), out.end()};
}

void require_capture_slots(const std::string& url, const std::vector<std::string>& sources) {
  auto db = pg::connect(url, "--source-db");
  pqxx::read_transaction tx(*db);
  for (const auto& s : sources) {
    if (tx.exec_params1("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND "
                        "database = current_database()",
                        capture_slot_name(s))[0]
            .as<int>() == 0)
      throw RuntimeError(fmt::format(
          "service {} has no capture slot ({}) in {}: start its relay first (`dbsplit relay PLAN "
          "--service {} --db URL`), or the changes made from the fill on would never be "
          "published",
          s, capture_slot_name(s), pg::redact(url), s));
  }
}

}  // namespace

std::vector<FilledTarget> fill_targets(const plan::Plan& plan, const ConsumeOptions& o) {
  std::vector<CacheSpec> caches = caches_or_fail(plan, o.holder);
  auto holder_db = pg::connect(o.db_url, "--db");
  ensure_inbox(*holder_db, o.holder);
  std::map<std::string, Registered> done = registered(*holder_db, o.holder);
  std::vector<CacheSpec> todo;
  for (const auto& c : caches) {
    auto it = done.find(c.name);
    if (it == done.end() || it->second.definition != c.definition()) todo.push_back(c);
  }
  std::vector<FilledTarget> out;
  if (todo.empty()) return out;

  // The consumers first: from the streams' ends as they are now, which is before the
  // snapshot, so every event after the snapshot comes after their start.
  std::vector<std::string> sources = sources_of(todo);
  {
    JetStream broker(o.nats_url, {"dbsplit consume " + o.holder});
    for (const auto& s : sources) {
      std::string stream = broker.ensure_stream(s);
      if (!broker.has_consumer(stream, durable_name(o.holder)))
        broker.pull_consumer(stream, durable_name(o.holder), service_subjects(s),
                             broker.last_sequence(stream), o.batch, o.ack_wait_seconds);
    }
  }
  require_capture_slots(source_url(o), sources);

  SourceSnapshot snapshot(source_url(o), o.source_db_url.empty() ? "--db" : "--source-db");
  for (const auto& c : todo) {
    HolderTransaction h(o.db_url, "--db");
    for (const auto& sql : cache_table_ddl(c)) h.exec(sql);
    std::string table = pg::sql::table(c.name);
    h.exec("TRUNCATE " + table);
    int epoch = std::stoi(h.value(epoch_sql(o.holder, snapshot.system_id())));
    std::vector<std::string> cols;
    for (const auto& col : c.columns) cols.push_back(pg::quote_ident(col));
    std::string list = pg::sql::join(cols, ", ");
    std::string lsn = format_lsn(snapshot.position());
    std::int64_t rows =
        snapshot.copy_into("SELECT " + list + ", " + std::to_string(epoch) + ", '" + lsn +
                               "'::pg_lsn, -1 FROM " + pg::sql::table(c.source_table),
                           h,
                           "COPY " + table + " (" + list + ", " + kEpochColumn + ", " + kLsnColumn +
                               ", " + kPositionColumn + ") FROM STDIN");
    h.exec(
        "INSERT INTO dbsplit_inbox.targets (holder, name, definition, filled_epoch, "
        "filled_lsn, filled_rows) VALUES (" +
        pg::sql::literal(o.holder) + ", " + pg::sql::literal(c.name) + ", " +
        pg::sql::literal(c.definition()) + ", " + std::to_string(epoch) + ", '" + lsn + "', " +
        std::to_string(rows) +
        ") ON CONFLICT (holder, name) DO UPDATE SET definition = EXCLUDED.definition, "
        "filled_epoch = EXCLUDED.filled_epoch, filled_lsn = EXCLUDED.filled_lsn, "
        "filled_rows = EXCLUDED.filled_rows, filled_at = now()");
    h.commit();
    out.push_back({c.name, rows, snapshot.position()});
  }
  return out;
}

void consume(const plan::Plan& plan, const ConsumeOptions& o, const std::atomic<bool>& stop,
             const ConsumerLog& log) {
  for (const auto& f : fill_targets(plan, o))
    if (log.line)
      log.line(
          fmt::format("filled {} with {} rows as of {}", f.name, f.rows, format_lsn(f.position)));
  std::vector<CacheSpec> caches = caches_or_fail(plan, o.holder);
  auto holder_db = pg::connect(o.db_url, "--db");
  std::map<std::string, Registered> done = registered(*holder_db, o.holder);
  Epochs epochs(o.holder);
  std::vector<std::unique_ptr<CacheHandler>> owned;
  std::vector<EventHandler*> handlers;
  for (const auto& c : caches) {
    owned.push_back(std::make_unique<CacheHandler>(c, epochs, done.at(c.name).filled));
    handlers.push_back(owned.back().get());
  }
  ConsumerOptions options;
  options.holder = o.holder;
  options.db_url = o.db_url;
  options.nats_url = o.nats_url;
  options.sources = sources_of(caches);
  options.batch = o.batch;
  options.ack_wait_seconds = o.ack_wait_seconds;
  run_consumer(options, handlers, stop, log);
}

}  // namespace dbsplit::events
