// `dbsplit relay` against a real PostgreSQL and a real nats-server with JetStream: what
// reaches the stream (subjects, message ids, headers, payloads, order), what is marked
// published, and that a crash between ack and mark leaves each event once in the stream.
#include <nats/nats.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/apply/service_process.hpp"
#include "core/codegen/ddl.hpp"
#include "core/util/process.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {
namespace {

struct StoredEvent {
  std::string subject, msg_id, aggregate_type, aggregate_id, event_type, payload;
  bool operator==(const StoredEvent& o) const {
    return subject == o.subject && msg_id == o.msg_id && aggregate_type == o.aggregate_type &&
           aggregate_id == o.aggregate_id && event_type == o.event_type && payload == o.payload;
  }
};

std::ostream& operator<<(std::ostream& out, const StoredEvent& e) {
  return out << "{" << e.subject << " id=" << e.msg_id << " " << e.aggregate_type << "/"
             << e.aggregate_id << " " << e.event_type << " " << e.payload << "}";
}

struct StreamContents {
  uint64_t msgs = 0;
  int64_t duplicate_window_ns = 0;
  bool file_storage = false;
  std::vector<std::string> subjects;
  std::vector<StoredEvent> events;
};

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) FAIL(what << ": " << natsStatus_GetText(s));
}

std::string header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  return natsMsgHeader_Get(msg, key, &value) == NATS_OK && value != nullptr ? value : "<none>";
}

// Reads the whole stream with an ephemeral JetStream consumer.
StreamContents read_stream(const std::string& url, const std::string& stream,
                           const std::string& subject) {
  StreamContents out;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  check(natsConnection_ConnectTo(&nc, url.c_str()), "connect");
  check(natsConnection_JetStream(&js, nc, nullptr), "jetstream");
  jsStreamInfo* info = nullptr;
  check(js_GetStreamInfo(&info, js, stream.c_str(), nullptr, nullptr), "stream info");
  out.msgs = info->State.Msgs;
  out.duplicate_window_ns = info->Config->Duplicates;
  out.file_storage = info->Config->Storage == js_FileStorage;
  for (int i = 0; i < info->Config->SubjectsLen; ++i)
    out.subjects.push_back(info->Config->Subjects[i]);
  jsStreamInfo_Destroy(info);

  natsSubscription* sub = nullptr;
  check(js_SubscribeSync(&sub, js, subject.c_str(), nullptr, nullptr, nullptr), "subscribe");
  for (uint64_t i = 0; i < out.msgs; ++i) {
    natsMsg* msg = nullptr;
    check(natsSubscription_NextMsg(&msg, sub, 10000), "next message");
    out.events.push_back(
        {natsMsg_GetSubject(msg), header(msg, "Nats-Msg-Id"), header(msg, "Dbsplit-Aggregate-Type"),
         header(msg, "Dbsplit-Aggregate-Id"), header(msg, "Dbsplit-Event-Type"),
         std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)))});
    natsMsg_Destroy(msg);
  }
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

std::string plan_file() { return source_dir() + "/plans/sample-monolith/plan.json"; }

// A database with the orders outbox holding three events, as serve writes them.
std::string outbox_database() {
  std::string url = fresh_database("relay");
  exec_sql(url, codegen::outbox_ddl("orders"));
  exec_sql(url,
           "INSERT INTO dbsplit_outbox.orders (aggregate_type, aggregate_id, event_type, payload) "
           "VALUES ('public.orders', '17', 'orders.orders.inserted', "
           "        '{\"id\": 17, \"status\": \"new\", \"total\": \"12.50\"}'),"
           "       ('public.order_items', '[17, 1]', 'orders.order_items.inserted', "
           "        '{\"order_id\": 17, \"line\": 1, \"qty\": 2}'),"
           "       ('public.orders', '17', 'orders.orders.updated', "
           "        '{\"id\": 17, \"status\": \"paid\", \"total\": \"12.50\"}')");
  return url;
}

const std::vector<StoredEvent>& expected_events() {
  static const std::vector<StoredEvent> events = {
      {"dbsplit.orders.orders.inserted", "1", "public.orders", "17", "orders.orders.inserted",
       R"({"id": 17, "total": "12.50", "status": "new"})"},
      {"dbsplit.orders.order_items.inserted", "2", "public.order_items", "[17, 1]",
       "orders.order_items.inserted", R"({"qty": 2, "line": 1, "order_id": 17})"},
      {"dbsplit.orders.orders.updated", "3", "public.orders", "17", "orders.orders.updated",
       R"({"id": 17, "total": "12.50", "status": "paid"})"}};
  return events;
}

ProcessResult relay(const std::string& db, const std::string& nats,
                    std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {std::getenv("DBSPLIT_BIN"),
                                   "relay",
                                   plan_file(),
                                   "--service",
                                   "orders",
                                   "--db",
                                   db,
                                   "--nats",
                                   nats,
                                   "--once",
                                   "--poll-outbox"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv);
}

// The log with timings (" in 1.2 ms") and ports taken out, so it can be compared exactly.
std::string stable(const std::string& log) {
  std::string out = std::regex_replace(log, std::regex(R"( in [0-9.]+ ms)"), "");
  return std::regex_replace(out, std::regex(R"(127\.0\.0\.1:[0-9]+)"), "HOST");
}

std::vector<std::string> published_at(const std::string& db) {
  pqxx::connection conn(db);
  pqxx::read_transaction tx(conn);
  std::vector<std::string> out;
  for (const auto& row :
       tx.exec("SELECT id, coalesce(published_at::text, 'null') FROM dbsplit_outbox.orders "
               "ORDER BY id"))
    out.push_back(row[0].as<std::string>() + ":" + row[1].as<std::string>());
  return out;
}

int64_t unpublished(const std::string& db) {
  pqxx::connection conn(db);
  pqxx::read_transaction tx(conn);
  return tx.exec1("SELECT count(*) FROM dbsplit_outbox.orders WHERE published_at IS NULL")[0]
      .as<int64_t>();
}

std::string with_password(const std::string& url) {
  return std::regex_replace(url, std::regex("postgresql://postgres@"),
                            "postgresql://postgres:s3cret@");
}

// A log file for a background relay (the test removes it).
std::string relay_log_path() {
  static int counter = 0;
  return "/tmp/dbsplit-relay-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
         ".log";
}

}  // namespace

TEST_CASE("relay --once publishes the pending events in order and marks them", "[relay]") {
  NatsServer nats;
  std::string db = outbox_database();

  ProcessResult run = relay(with_password(db), nats.url());
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::string dbname = db.substr(db.rfind('/') + 1);
  CHECK(stable(run.output) == "relaying dbsplit_outbox.orders of postgresql://postgres:***@HOST/" +
                                  dbname +
                                  " to stream DBSPLIT_ORDERS at nats://HOST\n"
                                  "published 3 events (ids 1..3) to DBSPLIT_ORDERS\n");
  CHECK(run.output.find("s3cret") == std::string::npos);

  StreamContents stream = read_stream(nats.url(), "DBSPLIT_ORDERS", "dbsplit.orders.>");
  CHECK(stream.msgs == 3);
  CHECK(stream.subjects == std::vector<std::string>{"dbsplit.orders.>"});
  CHECK(stream.file_storage);
  CHECK(stream.duplicate_window_ns == 120LL * 1000 * 1000 * 1000);
  CHECK(stream.events == expected_events());
  CHECK(unpublished(db) == 0);

  SECTION("a second run publishes nothing and marks nothing again") {
    auto marked = published_at(db);
    ProcessResult again = relay(db, nats.url());
    REQUIRE(again.exit_code == 0);
    CHECK(stable(again.output) == "relaying dbsplit_outbox.orders of postgresql://postgres@HOST/" +
                                      dbname + " to stream DBSPLIT_ORDERS at nats://HOST\n");
    CHECK(published_at(db) == marked);
    CHECK(read_stream(nats.url(), "DBSPLIT_ORDERS", "dbsplit.orders.>").msgs == 3);
  }

  SECTION("a crash between ack and mark: the rerun's duplicates are dropped by the stream") {
    exec_sql(db, "UPDATE dbsplit_outbox.orders SET published_at = NULL WHERE id >= 2");
    exec_sql(db,
             "INSERT INTO dbsplit_outbox.orders (aggregate_type, aggregate_id, event_type, "
             "payload) VALUES ('public.orders', '18', 'orders.orders.deleted', '{\"id\": 18}')");
    ProcessResult rerun = relay(db, nats.url());
    INFO(rerun.output);
    REQUIRE(rerun.exit_code == 0);
    CHECK(
        stable(rerun.output)
            .find("published 3 events (ids 2..4) to DBSPLIT_ORDERS (2 already in the stream)\n") !=
        std::string::npos);
    StreamContents after = read_stream(nats.url(), "DBSPLIT_ORDERS", "dbsplit.orders.>");
    CHECK(after.msgs == 4);
    std::vector<StoredEvent> expected = expected_events();
    expected.push_back({"dbsplit.orders.orders.deleted", "4", "public.orders", "18",
                        "orders.orders.deleted", R"({"id": 18})"});
    CHECK(after.events == expected);
    CHECK(unpublished(db) == 0);
  }
}

// Waits (up to a minute) until the outbox has no unpublished row; false if it never happens.
bool drained(const std::string& db) {
  for (int i = 0; i < 600; ++i) {
    if (unpublished(db) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_CASE("relay without --once publishes new events as they come and stops on SIGTERM",
          "[relay]") {
  NatsServer nats;
  std::string db = outbox_database();
  std::string log = relay_log_path();
  int pid = apply::spawn_detached(
      {std::getenv("DBSPLIT_BIN"), "relay", plan_file(), "--service", "orders", "--db", db,
       "--nats", nats.url(), "--poll-outbox", "--poll-ms", "20"},
      {}, log);
  REQUIRE(drained(db));
  exec_sql(db,
           "INSERT INTO dbsplit_outbox.orders (aggregate_type, aggregate_id, event_type, payload) "
           "VALUES ('public.orders', '18', 'orders.orders.deleted', '{\"id\": 18}')");
  REQUIRE(drained(db));
  kill(pid, SIGTERM);
  int exit_code = -1;
  while (!apply::child_exited(pid, exit_code))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(exit_code == 0);
  std::string output = stable(read_file_or_empty(log));
  std::remove(log.c_str());
  CHECK(output.find("published 3 events (ids 1..3) to DBSPLIT_ORDERS\n"
                    "published 1 event (ids 4..4) to DBSPLIT_ORDERS\n") != std::string::npos);
  StreamContents stream = read_stream(nats.url(), "DBSPLIT_ORDERS", "dbsplit.orders.>");
  CHECK(stream.msgs == 4);
  REQUIRE(stream.events.size() == 4);
  CHECK(stream.events[3].msg_id == "4");
  CHECK(stream.events[3].subject == "dbsplit.orders.orders.deleted");
}

TEST_CASE("relay publishes in batches of --batch, in id order", "[relay]") {
  NatsServer nats;
  std::string db = outbox_database();
  ProcessResult run = relay(db, nats.url(), {"--batch", "2"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(stable(run.output)
            .find("published 2 events (ids 1..2) to DBSPLIT_ORDERS\n"
                  "published 1 event (ids 3..3) to DBSPLIT_ORDERS\n") != std::string::npos);
  CHECK(read_stream(nats.url(), "DBSPLIT_ORDERS", "dbsplit.orders.>").events == expected_events());
  CHECK(unpublished(db) == 0);
}

TEST_CASE("relay with NATS down exits 1, says how to start it, marks nothing", "[relay]") {
  std::string db = outbox_database();
  std::string url;
  {
    NatsServer nats;
    url = "nats://relay:hunter2@127.0.0.1:" + std::to_string(nats.port());
  }  // stopped: nothing listens on the port now
  ProcessResult run = relay(db, url);
  CHECK(run.exit_code == 1);
  CHECK(stable(run.output) ==
        "dbsplit: error: cannot connect to NATS at nats://relay:***@HOST (--nats): No server "
        "available for connection; start a server with JetStream (`nats-server -js -sd DIR`) "
        "or pass the URL of a running one with --nats\n");
  CHECK(unpublished(db) == 3);
}

TEST_CASE("relay whose publishes the broker refuses exits 1 and marks nothing", "[relay]") {
  NatsServer nats;
  std::string db = outbox_database();
  // A stream of that name already exists but takes other subjects: no one answers the
  // publishes, so no event is acknowledged.
  {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    REQUIRE(natsConnection_ConnectTo(&nc, nats.url().c_str()) == NATS_OK);
    REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
    const char* subjects[] = {"elsewhere.>"};
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "DBSPLIT_ORDERS";
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    jsStreamInfo* info = nullptr;
    REQUIRE(js_AddStream(&info, js, &config, nullptr, nullptr) == NATS_OK);
    jsStreamInfo_Destroy(info);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  ProcessResult run = relay(db, nats.url());
  CHECK(run.exit_code == 1);
  CHECK(stable(run.output) ==
        "relaying dbsplit_outbox.orders of postgresql://postgres@HOST/" +
            db.substr(db.rfind('/') + 1) +
            " to stream DBSPLIT_ORDERS at nats://HOST\n"
            "dbsplit: error: publishing to stream DBSPLIT_ORDERS at nats://HOST failed: event 1 "
            "(dbsplit.orders.orders.inserted): No responders available for request; no "
            "event of the batch is marked published, the next run publishes them again (the "
            "stream drops duplicates)\n");
  CHECK(unpublished(db) == 3);
}

TEST_CASE("relay without the outbox table exits 1 and says how to create it", "[relay]") {
  NatsServer nats;
  std::string db = fresh_database("relay");
  ProcessResult run = relay(with_password(db), nats.url());
  CHECK(run.exit_code == 1);
  std::string dbname = db.substr(db.rfind('/') + 1);
  CHECK(stable(run.output) ==
        "dbsplit: error: the outbox table dbsplit_outbox.orders does not exist in "
        "postgresql://postgres:***@HOST/" +
            dbname +
            "; create it with `dbsplit serve PLAN --service orders --db URL --create-outbox` "
            "(shared database) or from DIR/orders/schema.sql of `dbsplit generate` (the "
            "service's own database)\n");
}

TEST_CASE("relay of a service the plan does not have is a usage error", "[relay]") {
  ProcessResult run = run_process({std::getenv("DBSPLIT_BIN"), "relay", plan_file(), "--service",
                                   "nope", "--db", "postgresql://x@127.0.0.1:1/x", "--once"});
  CHECK(run.exit_code == 2);
  CHECK(run.output ==
        "dbsplit: error: the plan has no service 'nope'; its services: accounts, billing, "
        "catalog, inventory, orders, shipping\n");
}

}  // namespace dbsplit::test
