#include "core/events/capture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/codegen/api_model.hpp"
#include "core/events/names.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? "," : "";
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The tables the publication holds now, "schema.table".
std::vector<std::string> published(pqxx::work& tx, const std::string& publication) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1 "
           "ORDER BY 1",
           publication))
    out.push_back(row[0].as<std::string>());
  return out;
}

}  // namespace

std::vector<std::string> captured_tables(const plan::Plan& plan, const std::string& service) {
  std::vector<std::string> out;
  const plan::Service* s = plan.find_service(service);
  if (s == nullptr) return out;
  for (const auto& t : s->tables) {
    const catalog::Table* table = plan.schema.find_table(t);
    if (table != nullptr && !table->partition_of.empty()) continue;
    out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> tables_without_replica_identity(pqxx::connection& db,
                                                         const std::vector<std::string>& tables) {
  std::vector<std::string> quoted;
  for (const auto& t : tables) quoted.push_back(pg::sql::table(t));
  pqxx::read_transaction tx(db);
  std::vector<std::string> out;
  for (const auto& row :
       tx.exec_params("SELECT n.nspname || '.' || c.relname FROM unnest($1::text[]) AS t(name) "
                      "JOIN pg_class c ON c.oid = to_regclass(t.name) "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS ("
                      "  SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)) "
                      "ORDER BY 1",
                      text_array(quoted)))
    out.push_back(row[0].as<std::string>());
  return out;
}

void set_replica_identity_full(pqxx::connection& db, const std::vector<std::string>& tables) {
  if (tables.empty()) return;
  pqxx::work tx(db);
  for (const auto& t : tables)
    tx.exec("ALTER TABLE " + pg::sql::table(t) + " REPLICA IDENTITY FULL");
  tx.commit();
}

CaptureSetup prepare_capture(pqxx::connection& db, const plan::Plan& plan,
                             const std::string& service) {
  CaptureSetup setup;
  setup.slot = capture_slot_name(service);
  setup.tables = captured_tables(plan, service);
  {
    pqxx::read_transaction tx(db);
    std::string level = tx.exec1("SHOW wal_level")[0].as<std::string>();
    if (level != "logical")
      throw RuntimeError(fmt::format(
          "the database runs with wal_level={}; change capture needs wal_level=logical (set it "
          "in postgresql.conf and restart the server), or relay only the outbox with "
          "--poll-outbox",
          level));
  }
  std::vector<std::string> missing = tables_without_replica_identity(db, setup.tables);
  if (!missing.empty()) {
    std::string fix;
    for (const auto& t : missing)
      fix += "ALTER TABLE " + pg::sql::table(t) + " REPLICA IDENTITY FULL; ";
    fix.pop_back();
    throw UsageError(fmt::format(
        "service {}'s tables {} have no primary key or replica identity: once published, "
        "UPDATE and DELETE on them would fail; the reads stage sets it, or run: {}",
        service, pg::sql::join(missing, ", "), fix));
  }
  std::string outbox = pg::qualified_name(codegen::kOutboxSchema, service);
  std::vector<std::string> wanted = setup.tables;
  pqxx::work tx(db);
  // One relay setting up at a time, so two do not both create the publication.
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", setup.slot);
  setup.outbox = !tx.exec_params1("SELECT to_regclass($1) IS NULL", outbox)[0].as<bool>();
  if (setup.outbox) wanted.push_back(std::string(codegen::kOutboxSchema) + "." + service);
  std::sort(wanted.begin(), wanted.end());
  std::string list = pg::sql::table_list(wanted);
  bool exists =
      tx.exec_params1("SELECT count(*) FROM pg_publication WHERE pubname = $1", setup.slot)[0]
          .as<int>() == 1;
  std::string name = pg::quote_ident(setup.slot);
  if (!exists) {
    tx.exec("CREATE PUBLICATION " + name + " FOR TABLE " + list +
            " WITH (publish_via_partition_root = true)");
    setup.publication_changed = true;
  } else if (published(tx, setup.slot) != wanted) {
    tx.exec("ALTER PUBLICATION " + name + " SET TABLE " + list);
    setup.publication_changed = true;
  }
  tx.commit();

  pqxx::work slot_tx(db);
  pqxx::result slot = slot_tx.exec_params(
      "SELECT database, database = current_database() FROM pg_replication_slots "
      "WHERE slot_name = $1",
      setup.slot);
  if (!slot.empty() && !slot[0][1].as<bool>(false))
    throw UsageError(fmt::format(
        "the replication slot {} already exists in this server for database {}: slot names are "
        "per server, so one server holds the capture of one database per service; drop it "
        "there (`dbsplit relay PLAN --service {} --db URL-of-{} --drop`) or capture from "
        "another server",
        setup.slot, slot[0][0].is_null() ? "(none)" : slot[0][0].as<std::string>(), service,
        slot[0][0].is_null() ? "it" : slot[0][0].as<std::string>()));
  if (slot.empty()) {
    try {
      slot_tx.exec_params("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", setup.slot);
      slot_tx.commit();
      setup.slot_created = true;
    } catch (const pqxx::sql_error& e) {
      std::string what = e.what();
      throw RuntimeError(
          fmt::format("cannot create the replication slot {}: {}; the user needs the REPLICATION "
                      "attribute, and the server free slots (max_replication_slots)",
                      setup.slot, what.substr(0, what.find('\n'))));
    }
  }
  return setup;
}

Dropped drop_capture(pqxx::connection& db, const std::string& service) {
  std::string slot = capture_slot_name(service);
  Dropped out = Dropped::nothing;
  pqxx::work tx(db);
  pqxx::result s = tx.exec_params(
      "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1", slot);
  if (!s.empty()) {
    if (s[0][0].as<bool>())
      throw RuntimeError(fmt::format(
          "the replication slot {} is in use (by process {}): stop service {}'s relay first, "
          "then drop it",
          slot, s[0][1].as<std::string>(), service));
    tx.exec_params("SELECT pg_drop_replication_slot($1)", slot);
    out = Dropped::something;
  }
  if (tx.exec_params1("SELECT count(*) FROM pg_publication WHERE pubname = $1", slot)[0]
          .as<int>()) {
    tx.exec("DROP PUBLICATION " + pg::quote_ident(slot));
    out = Dropped::something;
  }
  tx.commit();
  return out;
}

std::vector<SlotStatus> capture_slots(pqxx::connection& db) {
  pqxx::read_transaction tx(db);
  std::vector<SlotStatus> out;
  for (const auto& row :
       tx.exec("SELECT slot_name, active, "
               "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint, "
               "coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots "
               "WHERE slot_name LIKE 'dbsplit\\_capture\\_%' AND database = current_database() "
               "ORDER BY slot_name")) {
    SlotStatus s;
    s.slot = row[0].as<std::string>();
    s.service = s.slot.substr(std::string("dbsplit_capture_").size());
    s.active = row[1].as<bool>();
    s.retained_bytes = row[2].as<std::int64_t>();
    s.confirmed_lsn = row[3].as<std::string>();
    out.push_back(s);
  }
  return out;
}

std::string system_identifier(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT system_identifier::text FROM pg_control_system()")[0].as<std::string>();
}

}  // namespace dbsplit::events
