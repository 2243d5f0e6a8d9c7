#include "core/events/cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

std::string quoted_list(const std::vector<std::string>& columns, const std::string& prefix = "") {
  std::vector<std::string> q;
  for (const auto& c : columns) q.push_back(prefix + pg::quote_ident(c));
  return pg::sql::join(q, ", ");
}

std::string version_tuple(const std::string& alias) {
  return "(" + alias + "." + kEpochColumn + ", " + alias + "." + kLsnColumn + ", " + alias + "." +
         kPositionColumn + ")";
}

// The upsert of `columns` (key included), versioned; parameters: the columns in order, then
// epoch, LSN, position.
std::string upsert_sql(const std::string& table, const std::vector<std::string>& columns,
                       const std::vector<std::string>& key) {
  std::vector<std::string> params, sets;
  for (size_t i = 0; i < columns.size(); ++i) {
    params.push_back("$" + std::to_string(i + 1));
    if (std::find(key.begin(), key.end(), columns[i]) == key.end())
      sets.push_back(pg::quote_ident(columns[i]) + " = EXCLUDED." + pg::quote_ident(columns[i]));
  }
  size_t n = columns.size();
  for (const char* v : {kEpochColumn, kLsnColumn, kPositionColumn})
    sets.push_back(std::string(v) + " = EXCLUDED." + v);
  return "INSERT INTO " + table + " AS c (" + quoted_list(columns) + ", " + kEpochColumn + ", " +
         kLsnColumn + ", " + kPositionColumn + ") VALUES (" + pg::sql::join(params, ", ") + ", $" +
         std::to_string(n + 1) + "::integer, $" + std::to_string(n + 2) + "::pg_lsn, $" +
         std::to_string(n + 3) + "::bigint) ON CONFLICT (" + quoted_list(key) + ") DO UPDATE SET " +
         pg::sql::join(sets, ", ") + " WHERE " + version_tuple("c") + " < " +
         version_tuple("EXCLUDED");
}

// Deletes the row of a key (parameters: the key, then epoch, LSN, position) when older.
std::string delete_sql(const std::string& table, const std::vector<std::string>& key) {
  std::vector<std::string> terms;
  for (size_t i = 0; i < key.size(); ++i)
    terms.push_back("c." + pg::quote_ident(key[i]) + " = $" + std::to_string(i + 1));
  size_t n = key.size();
  return "DELETE FROM " + table + " AS c WHERE " + pg::sql::join(terms, " AND ") + " AND " +
         version_tuple("c") + " < ($" + std::to_string(n + 1) + "::integer, $" +
         std::to_string(n + 2) + "::pg_lsn, $" + std::to_string(n + 3) + "::bigint)";
}

using Values = std::map<std::string, std::optional<std::string>>;

void exec(pqxx::work& tx, const std::string& sql,
          const std::vector<std::optional<std::string>>& v) {
  std::vector<const char*> params;
  params.reserve(v.size());
  for (const auto& p : v) params.push_back(p ? p->c_str() : nullptr);
  tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

}  // namespace

std::string CacheSpec::definition() const {
  return "cache " + source_table + " (" + pg::sql::join(columns, ", ") + ") key (" +
         pg::sql::join(key, ", ") + ")";
}

std::vector<CacheSpec> plan_caches(const plan::Plan& plan, const std::string& holder) {
  std::vector<CacheSpec> out;
  std::set<std::string> seen;
  for (const auto& d : plan.dependencies) {
    if (!d.cache || d.cache->service != holder || !seen.insert(d.cache->name).second) continue;
    const plan::CacheTable& c = *d.cache;
    CacheSpec s;
    s.name = c.name;
    s.holder = holder;
    s.source_table = c.source_table;
    const plan::Service* owner = plan.owner_of(c.source_table);
    s.source_service = owner ? owner->name : "";
    s.columns = c.columns;
    s.key = c.key;
    const catalog::Table* table = plan.schema.find_table(c.source_table);
    for (const auto& col : c.columns) {
      const catalog::Column* column = table ? table->column(col) : nullptr;
      s.types.push_back(column ? column->type : "text");
    }
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> cache_table_ddl(const CacheSpec& c) {
  if (c.key.empty())
    throw UsageError(
        fmt::format("the cache {} of {} has no key: its source table {} needs a "
                    "primary key",
                    c.name, c.holder, c.source_table));
  std::vector<std::string> definitions;
  for (size_t i = 0; i < c.columns.size(); ++i) {
    bool key = std::find(c.key.begin(), c.key.end(), c.columns[i]) != c.key.end();
    definitions.push_back(pg::quote_ident(c.columns[i]) + " " + c.types[i] +
                          (key ? " NOT NULL" : ""));
  }
  definitions.push_back(std::string(kEpochColumn) + " integer NOT NULL DEFAULT 0");
  definitions.push_back(std::string(kLsnColumn) + " pg_lsn NOT NULL DEFAULT '0/0'");
  definitions.push_back(std::string(kPositionColumn) + " bigint NOT NULL DEFAULT -1");
  definitions.push_back("PRIMARY KEY (" + quoted_list(c.key) + ")");
  std::string schema = pg::quote_ident(pg::sql::split(c.name).first);
  std::string table = pg::sql::table(c.name);
  return {"CREATE SCHEMA IF NOT EXISTS " + schema,
          "CREATE TABLE IF NOT EXISTS " + table + " (" + pg::sql::join(definitions, ", ") + ")",
          "ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + kEpochColumn +
              " integer NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS " + kLsnColumn +
              " pg_lsn NOT NULL DEFAULT '0/0', ADD COLUMN IF NOT EXISTS " + kPositionColumn +
              " bigint NOT NULL DEFAULT -1"};
}

std::string epoch_sql(const std::string& holder, const std::string& system_id) {
  std::string h = pg::sql::literal(holder), s = pg::sql::literal(system_id);
  // The lock makes two new instances get different epochs.
  return "WITH l AS (SELECT pg_advisory_xact_lock(hashtext('dbsplit_inbox.sources'))) "
         "INSERT INTO dbsplit_inbox.sources (holder, system_identifier, epoch) SELECT " +
         h + ", " + s +
         ", coalesce((SELECT max(epoch) FROM dbsplit_inbox.sources WHERE holder = " + h +
         "), 0) + 1 FROM l ON CONFLICT (holder, system_identifier) DO UPDATE SET epoch = "
         "dbsplit_inbox.sources.epoch RETURNING epoch";
}

int Epochs::epoch_of(pqxx::transaction_base& tx, const std::string& system_id) {
  auto it = known_.find(system_id);
  if (it != known_.end()) return it->second;
  pqxx::result r = tx.exec_params(
      "SELECT epoch FROM dbsplit_inbox.sources WHERE holder = $1 AND system_identifier = $2",
      holder_, system_id);
  if (r.empty()) r = tx.exec(epoch_sql(holder_, system_id));
  int epoch = r[0][0].as<int>();
  known_[system_id] = epoch;
  return epoch;
}

CacheHandler::CacheHandler(CacheSpec cache, Epochs& epochs, Version filled)
    : cache_(std::move(cache)), epochs_(epochs), filled_(filled) {
  table_ = pg::sql::table(cache_.name);
  upsert_all_ = upsert_sql(table_, cache_.columns, cache_.key);
}

bool CacheHandler::wants(const ConsumedEvent& e) const {
  if (e.source != cache_.source_service) return false;
  const ChangeEvent* c = e.change();
  return c != nullptr && c->table == cache_.source_table;
}

void CacheHandler::apply(pqxx::work& tx, const ConsumedEvent& e) {
  const ChangeEvent& c = *e.change();
  if (c.position.source.empty()) return;
  Version v{epochs_.epoch_of(tx, c.position.source), c.position.commit_lsn,
            static_cast<std::int64_t>(c.position.position)};
  if (!(filled_ < v)) return;  // in the snapshot the cache was filled from
  std::vector<std::optional<std::string>> version = {std::to_string(v.epoch), format_lsn(v.lsn),
                                                     std::to_string(v.position)};
  auto key_values = [&](const Values& from) {
    std::vector<std::optional<std::string>> out;
    for (const auto& k : cache_.key) {
      auto it = from.find(k);
      if (it == from.end())
        throw UsageError(fmt::format("an event of {} lacks the key column {} the cache {} needs",
                                     cache_.source_table, k, cache_.name));
      out.push_back(it->second);
    }
    return out;
  };
  auto remove = [&](const Values& key) {
    std::vector<std::optional<std::string>> params = key_values(key);
    params.insert(params.end(), version.begin(), version.end());
    exec(tx, delete_sql(table_, cache_.key), params);
  };
  switch (c.op) {
    case ChangeEvent::Op::delete_:
      remove(c.key);
      return;
    case ChangeEvent::Op::truncate:
      exec(tx,
           "DELETE FROM " + table_ + " AS c WHERE " + version_tuple("c") +
               " < ($1::integer, $2::pg_lsn, $3::bigint)",
           version);
      return;
    case ChangeEvent::Op::insert:
    case ChangeEvent::Op::update:
      break;
  }
  // A changed key: the row under the old key goes.
  if (c.op == ChangeEvent::Op::update && !c.old.empty() && key_values(c.old) != key_values(c.row))
    remove(c.old);
  std::vector<std::string> columns;
  std::vector<std::optional<std::string>> params;
  for (const auto& col : cache_.columns) {
    auto it = c.row.find(col);
    if (it == c.row.end()) continue;  // an unchanged TOASTed value: keep the cached one
    columns.push_back(col);
    params.push_back(it->second);
  }
  params.insert(params.end(), version.begin(), version.end());
  exec(tx,
       columns.size() == cache_.columns.size() ? upsert_all_
                                               : upsert_sql(table_, columns, cache_.key),
       params);
}

}  // namespace dbsplit::events
