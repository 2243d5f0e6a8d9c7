// `dbsplit relay` capturing a service's changes from the WAL, against a real PostgreSQL and a
// real nats-server: what reaches the stream (every change whoever made it, in commit order,
// ids from instance/commit LSN/position, payloads), what is left out (other services'
// tables, changes a subscription applied), resends dropped as duplicates, the slot's
// lifecycle and heartbeats.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/apply/service_process.hpp"
#include "core/codegen/ddl.hpp"
#include "core/util/process.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/stream_reader.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {
namespace {

std::string plan_file() { return source_dir() + "/plans/sample-monolith/plan.json"; }

// The sample shop (scale 1) with the orders outbox.
std::string shop_database() {
  // Slot names are per cluster: the previous test's slots (other databases) go first.
  exec_sql(cluster().url(),
           "SELECT pg_drop_replication_slot(slot_name) FROM "
           "pg_replication_slots WHERE NOT active");
  std::string url = fresh_database("capture");
  ProcessResult load =
      run_process({"bash", source_dir() + "/sample-monolith/load.sh", url, "--scale", "1"});
  if (load.exit_code != 0) FAIL("load.sh failed: " << load.output);
  exec_sql(url, codegen::outbox_ddl("orders"));
  return url;
}

ProcessResult relay(const std::string& db, const std::string& nats,
                    std::vector<std::string> extra = {"--once"}) {
  std::vector<std::string> argv = {std::getenv("DBSPLIT_BIN"),
                                   "relay",
                                   plan_file(),
                                   "--service",
                                   "orders",
                                   "--db",
                                   db,
                                   "--nats",
                                   nats};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv);
}

std::string query(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  pqxx::result r = tx.exec(sql);
  tx.commit();
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

std::string stable(const std::string& log) {
  std::string out = std::regex_replace(log, std::regex(R"(127\.0\.0\.1:[0-9]+)"), "HOST");
  out = std::regex_replace(out, std::regex(R"(instance [0-9]+)"), "instance ID");
  return std::regex_replace(out, std::regex(R"([0-9A-F]+/[0-9A-F]+)"), "LSN");
}

// A relay running in the background with a 1 s heartbeat, its output in `log`.
int apply_spawn(const std::string& db, const std::string& nats, const std::string& log) {
  return apply::spawn_detached({std::getenv("DBSPLIT_BIN"), "relay", plan_file(), "--service",
                                "orders", "--db", db, "--nats", nats, "--heartbeat-s", "1"},
                               {}, log);
}

int wait_exit(int pid) {
  int code = -1;
  for (int i = 0; i < 600 && !apply::child_exited(pid, code); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return code;
}

std::vector<std::string> subjects(const std::vector<StreamMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.subject);
  return out;
}

}  // namespace

TEST_CASE("relay publishes every change of the service's tables in commit order", "[capture]") {
  NatsServer nats;
  std::string db = shop_database();
  std::string sysid = query(db, "SELECT system_identifier::text FROM pg_control_system()");

  ProcessResult first = relay(db, nats.url());
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  std::string dbname = db.substr(db.rfind('/') + 1);
  CHECK(stable(first.output) ==
        "publication dbsplit_capture_orders holds public.order_items, public.orders and the "
        "outbox dbsplit_outbox.orders\n"
        "created the replication slot dbsplit_capture_orders; changes from now on are "
        "published\n"
        "streaming slot dbsplit_capture_orders of postgresql://postgres@HOST/" +
            dbname + " (instance ID) to stream DBSPLIT_ORDERS at nats://HOST\n");
  CHECK(read_stream_events(nats.url(), "DBSPLIT_ORDERS").empty());

  // One transaction inserting an order with a line; the owning module's plain SQL.
  std::string order =
      query(db,
            "WITH o AS (INSERT INTO orders (user_id, status, total_cents, created_at, updated_at) "
            "VALUES (1, 'pending', 1500, '2024-01-02 03:04:05+00', '2024-01-02 03:04:05+00') "
            "RETURNING id), i AS (INSERT INTO order_items SELECT id, 1, 7, 3, 500 FROM o) "
            "SELECT id::text FROM o");
  // Another service's table: not in this stream.
  exec_sql(db, "UPDATE users SET name = 'Renamed' WHERE id = 1");
  // A trigger of shipping's table changes an order: captured too.
  exec_sql(db, "INSERT INTO shipments (order_id, user_id, carrier_id, order_status) VALUES (" +
                   order +
                   ", 1, 1, 'pending'); UPDATE shipments SET order_status = 'shipped' "
                   "WHERE order_id = " +
                   order);
  exec_sql(db,
           "INSERT INTO dbsplit_outbox.orders (aggregate_type, aggregate_id, event_type, payload) "
           "VALUES ('public.orders', '" +
               order + "', 'orders.order_placed', '{\"id\": " + order + "}')");
  // A change applied by a subscription (it carries a replication origin): published where
  // it was written, not here.
  {
    pqxx::connection conn(db);
    pqxx::nontransaction tx(conn);
    tx.exec(
        "SELECT pg_replication_origin_create('dbsplit_test_origin') "
        "WHERE pg_replication_origin_oid('dbsplit_test_origin') IS NULL");
    tx.exec("SELECT pg_replication_origin_session_setup('dbsplit_test_origin')");
    tx.exec("UPDATE orders SET total_cents = 9999 WHERE id = " + order);
    tx.exec("SELECT pg_replication_origin_session_reset()");
  }
  exec_sql(db, "BEGIN; DELETE FROM order_items WHERE order_id = " + order +
                   "; DELETE FROM shipments WHERE order_id = " + order +
                   "; DELETE FROM orders WHERE id = " + order + "; COMMIT;");

  ProcessResult second = relay(db, nats.url());
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK(stable(second.output)
            .find("published 6 events to DBSPLIT_ORDERS, confirmed LSN (5 "
                  "transactions, 1 replicated transaction not republished)") != std::string::npos);

  std::vector<StreamMessage> stream = read_stream_events(nats.url(), "DBSPLIT_ORDERS");
  REQUIRE(subjects(stream) == std::vector<std::string>{
                                  "dbsplit.orders.orders.inserted",
                                  "dbsplit.orders.order_items.inserted",
                                  "dbsplit.orders.orders.updated",
                                  "dbsplit.orders.order_placed",
                                  "dbsplit.orders.order_items.deleted",
                                  "dbsplit.orders.orders.deleted",
                              });
  // Ids: instance, commit LSN, position in the transaction.
  std::regex id_shape(sysid + R"(-([0-9A-F]+/[0-9A-F]+)-([0-9]+))");
  std::vector<std::string> lsns, positions;
  for (const auto& m : stream) {
    std::smatch match;
    REQUIRE(std::regex_match(m.id, match, id_shape));
    lsns.push_back(match[1]);
    positions.push_back(match[2]);
  }
  CHECK(positions == std::vector<std::string>{"0", "1", "0", "0", "0", "1"});
  CHECK(lsns[0] == lsns[1]);
  CHECK(lsns[4] == lsns[5]);
  CHECK(std::set<std::string>(lsns.begin(), lsns.end()).size() == 4);

  nlohmann::json inserted = nlohmann::json::parse(stream[0].data);
  CHECK(inserted["op"] == "insert");
  CHECK(inserted["table"] == "public.orders");
  CHECK(inserted["key"] == nlohmann::json{{"id", std::stoll(order)}});
  CHECK(inserted["row"] == nlohmann::json{{"id", std::stoll(order)},
                                          {"user_id", 1},
                                          {"status", "pending"},
                                          {"total_cents", 1500},
                                          {"created_at", "2024-01-02 03:04:05+00"},
                                          {"updated_at", "2024-01-02 03:04:05+00"}});
  CHECK(inserted["source"] == sysid);
  CHECK(inserted["lsn"] == lsns[0]);
  CHECK(inserted["position"] == 0);
  CHECK(!inserted.contains("old"));
  CHECK(stream[0].headers.at("Dbsplit-Aggregate-Type") == "public.orders");
  CHECK(stream[0].headers.at("Dbsplit-Aggregate-Id") == order);
  CHECK(stream[0].headers.at("Dbsplit-Event-Type") == "orders.orders.inserted");
  CHECK(stream[0].headers.at("Dbsplit-Commit-Time") == inserted["commit_time"]);

  CHECK(stream[1].headers.at("Dbsplit-Aggregate-Id") == "[" + order + ", 1]");
  nlohmann::json updated = nlohmann::json::parse(stream[2].data);
  CHECK(updated["row"]["status"] == "shipped");
  nlohmann::json outbox = nlohmann::json::parse(stream[3].data);
  CHECK(outbox == nlohmann::json{{"id", std::stoll(order)}});
  CHECK(stream[3].headers.at("Dbsplit-Event-Type") == "orders.order_placed");
  nlohmann::json deleted = nlohmann::json::parse(stream[5].data);
  CHECK(deleted["op"] == "delete");
  CHECK(deleted["key"] == nlohmann::json{{"id", std::stoll(order)}});
  CHECK(!deleted.contains("row"));

  // The slot confirmed everything: nothing is sent again.
  ProcessResult third = relay(db, nats.url());
  REQUIRE(third.exit_code == 0);
  CHECK(third.output.find("published") == std::string::npos);
  CHECK(read_stream_events(nats.url(), "DBSPLIT_ORDERS").size() == 6);

  SECTION("a resend from an older slot position is dropped by the stream as duplicates") {
    // Rewind: a copy of the slot made before the changes would resend them all.
    exec_sql(db, "INSERT INTO orders (user_id, status, total_cents) VALUES (2, 'pending', 1)");
    exec_sql(db, "SELECT pg_copy_logical_replication_slot('dbsplit_capture_orders', 'rewound')");
    REQUIRE(relay(db, nats.url()).exit_code == 0);
    REQUIRE(read_stream_events(nats.url(), "DBSPLIT_ORDERS").size() == 7);
    exec_sql(db, "SELECT pg_drop_replication_slot('dbsplit_capture_orders')");
    exec_sql(db,
             "SELECT pg_copy_logical_replication_slot('rewound', 'dbsplit_capture_orders'); "
             "SELECT pg_drop_replication_slot('rewound')");
    ProcessResult resend = relay(db, nats.url());
    INFO(resend.output);
    REQUIRE(resend.exit_code == 0);
    CHECK(resend.output.find("published 1 event to DBSPLIT_ORDERS") != std::string::npos);
    CHECK(resend.output.find("1 already in the stream") != std::string::npos);
    CHECK(read_stream_events(nats.url(), "DBSPLIT_ORDERS").size() == 7);
  }

  SECTION("--drop drops the slot and the publication") {
    ProcessResult drop = relay(db, nats.url(), {"--drop"});
    CHECK(drop.exit_code == 0);
    CHECK(stable(drop.output) ==
          "dropped the slot and publication dbsplit_capture_orders of postgresql://postgres@HOST/" +
              dbname + "\n");
    CHECK(query(db,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") ==
          "0");
    CHECK(query(db, "SELECT count(*) FROM pg_publication") == "0");
    ProcessResult again = relay(db, nats.url(), {"--drop"});
    CHECK(again.exit_code == 0);
    CHECK(stable(again.output) ==
          "no slot or publication dbsplit_capture_orders in postgresql://postgres@HOST/" + dbname +
              ": nothing to drop\n");
  }
}

TEST_CASE("relay refuses a service with a table that has no replica identity", "[capture]") {
  NatsServer nats;
  std::string db = shop_database();
  ProcessResult run = run_process({std::getenv("DBSPLIT_BIN"), "relay", plan_file(), "--service",
                                   "catalog", "--db", db, "--nats", nats.url(), "--once"});
  CHECK(run.exit_code == 2);
  CHECK(run.output ==
        "dbsplit: error: service catalog's tables public.price_history have no primary key or "
        "replica identity: once published, UPDATE and DELETE on them would fail; the reads "
        "stage sets it, or run: ALTER TABLE public.price_history REPLICA IDENTITY FULL;\n");
  CHECK(
      query(db, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") ==
      "0");
  CHECK(query(db, "SELECT count(*) FROM pg_publication") == "0");
}

TEST_CASE("an idle relay's slot keeps moving with the WAL other services write", "[capture]") {
  NatsServer nats;
  std::string db = shop_database();
  REQUIRE(relay(db, nats.url()).exit_code == 0);
  std::string log = "/tmp/dbsplit-capture-test-" + std::to_string(getpid()) + ".log";
  int pid = apply_spawn(db, nats.url(), log);
  std::string before = query(db, "SELECT confirmed_flush_lsn::text FROM pg_replication_slots");
  for (int i = 0; i < 20; ++i) exec_sql(db, "UPDATE users SET name = name || 'x' WHERE id = 1");
  std::string target = query(db, "SELECT pg_current_wal_lsn()::text");
  bool moved = false;
  for (int i = 0; i < 100 && !moved; ++i) {
    moved = query(db, "SELECT confirmed_flush_lsn >= '" + target +
                          "'::pg_lsn FROM pg_replication_slots") == "t";
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGTERM);
  int code = wait_exit(pid);
  std::string output = read_file_or_empty(log);
  std::remove(log.c_str());
  INFO(output);
  CHECK(moved);
  CHECK(code == 0);
  CHECK(read_stream_events(nats.url(), "DBSPLIT_ORDERS").empty());
}

}  // namespace dbsplit::test
