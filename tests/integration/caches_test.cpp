// Caches kept by change events, against real PostgreSQL and nats-server: a cache filled
// while the workload writes ends equal to its source (no gap between the snapshot and the
// events); `dbsplit verify events` compares at a common position and lists differing rows
// by key (exit 3).
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/apply/service_process.hpp"
#include "core/util/process.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {
namespace {

std::string plan_file() { return source_dir() + "/plans/sample-monolith/plan.json"; }

std::string shop_database() {
  exec_sql(cluster().url(),
           "SELECT pg_drop_replication_slot(slot_name) FROM "
           "pg_replication_slots WHERE NOT active");
  std::string url = fresh_database("caches");
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

struct Background {
  int pid = 0;
  std::string log;
  Background(const std::vector<std::string>& argv, const std::string& name) {
    static int counter = 0;
    log = "/tmp/dbsplit-caches-test-" + std::to_string(getpid()) + "-" + name + "-" +
          std::to_string(++counter) + ".log";
    pid = apply::spawn_detached(argv, {}, log);
  }
  int terminate() {
    if (pid == 0) return 0;
    kill(pid, SIGTERM);
    int code = -1;
    for (int i = 0; i < 600 && !apply::child_exited(pid, code); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pid = 0;
    return code;
  }
  std::string output() const { return read_file_or_empty(log); }
  ~Background() {
    if (pid != 0) {
      kill(pid, SIGKILL);
      int code = 0;
      while (!apply::child_exited(pid, code))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::remove(log.c_str());
  }
};

std::vector<std::string> dbsplit(std::vector<std::string> args) {
  args.insert(args.begin(), {std::getenv("DBSPLIT_BIN")});
  return args;
}

// Users renamed, added and removed, one transaction each, until stopped.
void write_users(const std::string& db, std::atomic<bool>& stop, std::atomic<int>& changes) {
  pqxx::connection conn(db);
  for (int i = 0; !stop; ++i) {
    pqxx::work tx(conn);
    switch (i % 3) {
      case 0:
        tx.exec("UPDATE users SET name = 'User " + std::to_string(i) + "', email = 'u" +
                std::to_string(i) + "@example.com' WHERE id = " + std::to_string(1 + i % 200));
        break;
      case 1:
        tx.exec("INSERT INTO users (email, name) VALUES ('new" + std::to_string(i) +
                "@example.com', 'New " + std::to_string(i) + "')");
        break;
      default:
        tx.exec(
            "DELETE FROM users WHERE id = (SELECT max(id) FROM users WHERE email LIKE "
            "'new%' AND id NOT IN (SELECT user_id FROM orders) AND id NOT IN (SELECT "
            "user_id FROM addresses))");
    }
    tx.commit();
    ++changes;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

TEST_CASE("a cache filled while the source changes ends equal to it", "[caches]") {
  NatsServer nats;
  std::string db = shop_database();
  REQUIRE(run_process(dbsplit({"relay", plan_file(), "--service", "accounts", "--db", db, "--nats",
                               nats.url(), "--once"}))
              .exit_code == 0);
  Background relay(
      dbsplit({"relay", plan_file(), "--service", "accounts", "--db", db, "--nats", nats.url()}),
      "relay");
  std::atomic<bool> stop{false};
  std::atomic<int> changes{0};
  std::thread writer([&] { write_users(db, stop, changes); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // billing caches users (id, name, email); filled while the writer runs.
  Background consumer(dbsplit({"consume", plan_file(), "--service", "billing", "--db", db, "--nats",
                               nats.url(), "--batch", "100"}),
                      "consume");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  writer.join();
  INFO(relay.output());
  INFO(consumer.output());
  CHECK(changes > 100);

  ProcessResult verify =
      run_process(dbsplit({"verify", "events", plan_file(), "--db", db, "--service", "billing"}));
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  CHECK(std::regex_search(
      verify.output,
      std::regex("cache svc_billing.users_cache of billing \\(from public.users\\) at "
                 "[0-9A-F]+/[0-9A-F]+: ([0-9]+) rows, source \\1 rows, equal\n")));
  CHECK(query(db,
              "SELECT count(*) FROM (SELECT id, name, email FROM users EXCEPT SELECT id, "
              "name, email FROM svc_billing.users_cache) d") == "0");
  CHECK(query(db,
              "SELECT (SELECT count(*) FROM users) = (SELECT count(*) FROM "
              "svc_billing.users_cache)") == "t");
  CHECK(consumer.output().find("filled svc_billing.users_cache with ") != std::string::npos);

  SECTION("a cache row that differs from its source is listed by key, exit 3") {
    CHECK(consumer.terminate() == 0);
    exec_sql(db,
             "UPDATE svc_billing.users_cache SET name = 'Tampered' WHERE id = 5; "
             "DELETE FROM svc_billing.users_cache WHERE id = 6");
    std::string name5 = query(db, "SELECT name FROM users WHERE id = 5");
    Background again(
        dbsplit({"consume", plan_file(), "--service", "billing", "--db", db, "--nats", nats.url()}),
        "consume");
    ProcessResult differs =
        run_process(dbsplit({"verify", "events", plan_file(), "--db", db, "--service", "billing"}));
    INFO(again.output());
    CHECK(differs.exit_code == 3);
    CHECK(differs.output.find("2 differences\n  (5): name: cache 'Tampered', source '" + name5 +
                              "'\n  (6): missing from the cache\n") != std::string::npos);
  }

  SECTION("without a running consumer the comparison says what to start, exit 1") {
    CHECK(consumer.terminate() == 0);
    ProcessResult stuck = run_process(dbsplit(
        {"verify", "events", plan_file(), "--db", db, "--service", "billing", "--timeout-s", "2"}));
    CHECK(stuck.exit_code == 1);
    CHECK(std::regex_search(
        stuck.output,
        std::regex("dbsplit: error: the consumer of billing did not reach [0-9A-F]+/[0-9A-F]+ "
                   "of accounts within 2 s to compare svc_billing.users_cache: is `dbsplit "
                   "consume PLAN --service billing` running, and the relay of accounts\\?\n")));
  }
}

TEST_CASE("consume refuses to fill before the source's relay made its slot", "[caches]") {
  NatsServer nats;
  std::string db = shop_database();
  ProcessResult run = run_process(dbsplit({"consume", plan_file(), "--service", "billing", "--db",
                                           db, "--nats", nats.url(), "--fill-only"}));
  CHECK(run.exit_code == 1);
  CHECK(std::regex_match(
      run.output,
      std::regex(
          "dbsplit: error: service accounts has no capture slot \\(dbsplit_capture_accounts\\) "
          "in postgresql://postgres@127.0.0.1:[0-9]+/caches_[0-9_]+: start its relay first "
          "\\(`dbsplit relay PLAN --service accounts --db URL`\\), or the changes made from "
          "the fill on would never be published\n")));
  ProcessResult nothing = run_process(
      dbsplit({"consume", plan_file(), "--service", "catalog", "--db", db, "--nats", nats.url()}));
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.output ==
        "dbsplit: error: the plan gives service catalog no cache or read model to keep\n");
}

}  // namespace dbsplit::test
