#include "core/events/verify.hpp"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "core/events/consumer.hpp"
#include "core/events/fill.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

using Row = std::vector<std::optional<std::string>>;

std::string show(const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "NULL"; }

std::string key_text(const Row& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) out += (i ? ", " : "") + (key[i] ? *key[i] : "NULL");
  return out + ")";
}

// Releases the hold however the comparison ends.
struct HoldGuard {
  pqxx::connection& db;
  std::string holder, source;
  ~HoldGuard() {
    try {
      release_consumer(db, holder, source);
    } catch (...) {
      // The next hold replaces it; a stale hold only pauses the consumer at a passed position.
    }
  }
};

// key columns first, then the others; every value as text.
std::string select_list(const CacheSpec& c) {
  std::vector<std::string> items;
  for (const auto& k : c.key) items.push_back(pg::quote_ident(k) + "::text");
  for (const auto& col : c.columns)
    if (std::find(c.key.begin(), c.key.end(), col) == c.key.end())
      items.push_back(pg::quote_ident(col) + "::text");
  return pg::sql::join(items, ", ");
}

std::vector<std::string> value_columns(const CacheSpec& c) {
  std::vector<std::string> out;
  for (const auto& col : c.columns)
    if (std::find(c.key.begin(), c.key.end(), col) == c.key.end()) out.push_back(col);
  return out;
}

std::map<Row, Row> by_key(const std::vector<Row>& rows, size_t key_size) {
  std::map<Row, Row> out;
  for (const auto& r : rows)
    out.emplace(Row(r.begin(), r.begin() + static_cast<long>(key_size)),
                Row(r.begin() + static_cast<long>(key_size), r.end()));
  return out;
}

}  // namespace

TargetCheck check_cache(const CacheSpec& c, const CheckOptions& o) {
  std::string source_url = o.source_db_url.empty() ? o.holder_db_url : o.source_db_url;
  TargetCheck out;
  out.target = c.name;
  out.holder = c.holder;
  out.source = c.source_table;
  auto holder = pg::connect(o.holder_db_url, "--db");
  SourceSnapshot snapshot(source_url, o.source_db_url.empty() ? "--db" : "--source-db");
  out.position = snapshot.position();
  hold_consumer(*holder, c.holder, c.source_service, snapshot.system_id(), snapshot.position());
  HoldGuard guard{*holder, c.holder, c.source_service};
  {
    // A heartbeat after the position: the relay publishes it, and the consumer, meeting it,
    // knows it has applied everything before the position.
    auto source = pg::connect(source_url, "--source-db");
    pqxx::nontransaction tx(*source);
    tx.exec_params("SELECT pg_logical_emit_message(false, 'dbsplit_heartbeat', $1)",
                   c.source_service);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  while (!consumer_held(*holder, c.holder, c.source_service)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw RuntimeError(fmt::format(
          "the consumer of {} did not reach {} of {} within {} s to compare {}: is `dbsplit "
          "consume PLAN --service {}` running, and the relay of {}?",
          c.holder, format_lsn(snapshot.position()), c.source_service, o.timeout_seconds, c.name,
          c.holder, c.source_service));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<Row> source_rows =
      snapshot.rows("SELECT " + select_list(c) + " FROM " + pg::sql::table(c.source_table));
  std::vector<Row> target_rows;
  {
    pqxx::read_transaction tx(*holder);
    for (const auto& row :
         tx.exec("SELECT " + select_list(c) + " FROM " + pg::sql::table(c.name))) {
      Row r;
      for (const auto& f : row)
        r.push_back(f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()));
      target_rows.push_back(std::move(r));
    }
  }
  out.source_rows = static_cast<std::int64_t>(source_rows.size());
  out.target_rows = static_cast<std::int64_t>(target_rows.size());
  std::map<Row, Row> src = by_key(source_rows, c.key.size());
  std::map<Row, Row> dst = by_key(target_rows, c.key.size());
  std::vector<std::string> names = value_columns(c);
  auto note = [&](const Row& key, const std::string& what) {
    ++out.difference_count;
    if (static_cast<int>(out.differences.size()) < o.max_listed)
      out.differences.push_back({key_text(key), what});
  };
  for (const auto& [key, values] : src) {
    auto it = dst.find(key);
    if (it == dst.end()) {
      note(key, "missing from the cache");
      continue;
    }
    std::string what;
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] != it->second[i])
        what += (what.empty() ? "" : "; ") + names[i] + ": cache " + show(it->second[i]) +
                ", source " + show(values[i]);
    if (!what.empty()) note(key, what);
  }
  for (const auto& [key, values] : dst)
    if (src.find(key) == src.end()) note(key, "not in the source");
  return out;
}

}  // namespace dbsplit::events
