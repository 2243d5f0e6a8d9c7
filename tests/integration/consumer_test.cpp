// The consumer framework against real PostgreSQL and nats-server: events applied with their
// ids in the holder's inbox in one transaction, acknowledged after commit; a consumer killed
// with SIGKILL while events flow loses none and counts none twice; events delivered again
// are skipped by the inbox.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "core/apply/service_process.hpp"
#include "core/codegen/ddl.hpp"
#include "core/events/broker.hpp"
#include "core/util/process.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/stream_reader.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {
namespace {

std::string plan_file() { return source_dir() + "/plans/sample-monolith/plan.json"; }

std::string shop_database() {
  exec_sql(cluster().url(),
           "SELECT pg_drop_replication_slot(slot_name) FROM "
           "pg_replication_slots WHERE NOT active");
  std::string url = fresh_database("consumer");
  ProcessResult load =
      run_process({"bash", source_dir() + "/sample-monolith/load.sh", url, "--scale", "1"});
  if (load.exit_code != 0) FAIL("load.sh failed: " << load.output);
  return url;
}

std::string query(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  pqxx::result r = tx.exec(sql);
  tx.commit();
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

// A background process with its log; killed (SIGKILL) by the destructor if still running.
struct Background {
  int pid = 0;
  std::string log;
  Background(const std::vector<std::string>& argv, const std::string& name) {
    static int counter = 0;
    log = "/tmp/dbsplit-consumer-test-" + std::to_string(getpid()) + "-" + name + "-" +
          std::to_string(++counter) + ".log";
    pid = apply::spawn_detached(argv, {}, log);
  }
  void kill_hard() {
    if (pid == 0) return;
    kill(pid, SIGKILL);
    int code = 0;
    while (!apply::child_exited(pid, code))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid = 0;
  }
  int terminate() {
    kill(pid, SIGTERM);
    int code = -1;
    for (int i = 0; i < 600 && !apply::child_exited(pid, code); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pid = 0;
    return code;
  }
  std::string output() const { return read_file_or_empty(log); }
  ~Background() {
    kill_hard();
    std::remove(log.c_str());
  }
};

std::vector<std::string> relay_argv(const std::string& db, const std::string& nats) {
  return {std::getenv("DBSPLIT_BIN"),
          "relay",
          plan_file(),
          "--service",
          "orders",
          "--db",
          db,
          "--nats",
          nats};
}

std::vector<std::string> counter_argv(const std::string& db, const std::string& nats) {
  return {std::getenv("DBSPLIT_COUNTING_CONSUMER"),
          "--db",
          db,
          "--nats",
          nats,
          "--source",
          "orders",
          "--batch",
          "50"};
}

bool wait_for(const std::string& db, const std::string& sql, const std::string& expected,
              int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (query(db, sql) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE("a consumer killed while events flow applies each event exactly once", "[consumer]") {
  NatsServer nats;
  std::string db = shop_database();
  // The relay creates the slot; changes from then on are events.
  REQUIRE(run_process({std::getenv("DBSPLIT_BIN"), "relay", plan_file(), "--service", "orders",
                       "--db", db, "--nats", nats.url(), "--once"})
              .exit_code == 0);
  Background relay(relay_argv(db, nats.url()), "relay");
  auto counter = std::make_unique<Background>(counter_argv(db, nats.url()), "counter");

  const int changes = 600;
  std::thread writer([&] {
    pqxx::connection conn(db);
    for (int i = 0; i < changes; ++i) {
      pqxx::work tx(conn);
      tx.exec("UPDATE orders SET total_cents = total_cents + 1 WHERE id = " +
              std::to_string(1 + i % 50));
      tx.commit();
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  counter->kill_hard();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  counter = std::make_unique<Background>(counter_argv(db, nats.url()), "counter");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  counter->kill_hard();
  counter = std::make_unique<Background>(counter_argv(db, nats.url()), "counter");
  writer.join();

  INFO(relay.output());
  INFO(counter->output());
  CHECK(wait_for(db, "SELECT events FROM counter", std::to_string(changes), 60));
  CHECK(query(db, "SELECT count(*) FROM dbsplit_inbox.counter") == std::to_string(changes));
  CHECK(query(db, "SELECT count(DISTINCT event_id) FROM dbsplit_inbox.counter") ==
        std::to_string(changes));
  CHECK(query(db,
              "SELECT applied_events FROM dbsplit_inbox.positions WHERE holder = 'counter' "
              "AND source = 'orders'") == std::to_string(changes));
  CHECK(read_stream_events(nats.url(), "DBSPLIT_ORDERS").size() == static_cast<size_t>(changes));

  SECTION("events delivered again (the consumer made anew) are skipped by the inbox") {
    CHECK(counter->terminate() == 0);
    {
      events::JetStream js(nats.url(), {});
      js.delete_consumer("DBSPLIT_ORDERS", "dbsplit_counter");
    }
    Background again(counter_argv(db, nats.url()), "counter");
    // The new consumer starts at the beginning of the stream: all delivered again.
    bool drained = false;
    events::JetStream js(nats.url(), {});
    for (int i = 0; i < 300 && !drained; ++i) {
      std::uint64_t pending = 1, ack_pending = 1;
      drained = js.consumer_lag("DBSPLIT_ORDERS", "dbsplit_counter", pending, ack_pending) &&
                pending == 0 && ack_pending == 0;
      if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(again.output());
    CHECK(drained);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    CHECK(query(db, "SELECT events FROM counter") == std::to_string(changes));
    CHECK(query(db, "SELECT count(*) FROM dbsplit_inbox.counter") == std::to_string(changes));
  }
}

}  // namespace dbsplit::test
