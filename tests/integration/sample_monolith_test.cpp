// The sample shop monolith: loads deterministically with the documented row counts,
// its workload runs every module as its own role, and the hard cases it is built to
// contain (three-module transaction, cross-module view, trigger and sequence) work.
#include <catch2/catch.hpp>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

const std::vector<std::string> kModules = {"accounts", "billing",  "catalog",  "inventory",
                                           "orders",   "shipping", "reporting"};

std::string sample_script(const std::string& name) {
  return test::source_dir() + "/sample-monolith/" + name;
}

ProcessResult load_sample(const std::string& url) {
  return run_process({"bash", sample_script("load.sh"), url, "--scale", "1"});
}

ProcessResult run_workload(const std::string& url, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {"bash", sample_script("run-workload.sh"), url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv);
}

std::string database_name(const std::string& url) { return url.substr(url.rfind('/') + 1); }

long long count(pqxx::connection& conn, const std::string& sql) {
  pqxx::work tx(conn);
  return tx.exec1(sql)[0].as<long long>();
}

std::string text(pqxx::connection& conn, const std::string& sql) {
  pqxx::work tx(conn);
  return tx.exec1(sql)[0].as<std::string>();
}

// Number of pg_stat_statements calls per role of statements matching a LIKE pattern.
std::map<std::string, long long> calls_by_role(pqxx::connection& conn, const std::string& like) {
  pqxx::work tx(conn);
  std::map<std::string, long long> calls;
  for (const auto& row : tx.exec_params(
           "SELECT r.rolname, sum(s.calls)::bigint FROM pg_stat_statements s "
           "JOIN pg_roles r ON r.oid = s.userid "
           "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
           "AND s.query ILIKE $1 GROUP BY r.rolname",
           like)) {
    calls[row[0].as<std::string>()] = row[1].as<long long>();
  }
  return calls;
}

const char* kTables[] = {"users",           "addresses",     "legacy_coupons", "categories",
                         "products",        "price_history", "warehouses",     "stock",
                         "stock_movements", "orders",        "order_items",    "invoices",
                         "payments",        "carriers",      "shipments"};

}  // namespace

TEST_CASE("the sample loads at scale 1 with the documented row counts, identically twice") {
  std::string first = test::fresh_database("sample");
  std::string second = test::fresh_database("sample");
  auto loaded = load_sample(first);
  INFO(loaded.output);
  REQUIRE(loaded.exit_code == 0);
  REQUIRE(load_sample(second).exit_code == 0);

  const std::map<std::string, long long> documented = {
      {"users", 1000},    {"addresses", 1000},   {"legacy_coupons", 50},
      {"categories", 20}, {"products", 500},     {"price_history", 1500},
      {"warehouses", 5},  {"stock", 2500},       {"stock_movements", 2500},
      {"orders", 4000},   {"order_items", 8000}, {"invoices", 4000},
      {"payments", 2800}, {"carriers", 4},       {"shipments", 2400}};
  pqxx::connection a(first);
  pqxx::connection b(second);
  for (const char* table : kTables) {
    INFO(table);
    CHECK(count(a, std::string("SELECT count(*) FROM ") + table) == documented.at(table));
    std::string checksum =
        std::string("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ") + table + " t";
    CHECK(text(a, checksum) == text(b, checksum));
  }
  // price_history has no primary key; every other table has one.
  CHECK(count(a,
              "SELECT count(*) FROM pg_class c WHERE c.relkind = 'r' "
              "AND c.relnamespace = 'public'::regnamespace AND NOT EXISTS "
              "(SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')") == 1);
  CHECK(count(a,
              "SELECT count(*) FROM pg_constraint WHERE conrelid = 'price_history'::regclass "
              "AND contype = 'p'") == 0);
}

TEST_CASE("loading twice into one database keeps one copy of the data") {
  std::string url = test::fresh_database("sample");
  REQUIRE(load_sample(url).exit_code == 0);
  auto again = load_sample(url);
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  pqxx::connection conn(url);
  CHECK(count(conn, "SELECT count(*) FROM orders") == 4000);
  CHECK(count(conn,
              "SELECT count(*) FROM pg_roles WHERE rolname IN "
              "('accounts','catalog','inventory','orders','billing','shipping','reporting') "
              "AND rolcanlogin") == 7);
}

TEST_CASE("the workload runs every module as its own role and keeps the shop consistent") {
  std::string url = test::fresh_database("sample");
  REQUIRE(load_sample(url).exit_code == 0);
  auto run = run_workload(url, {"--transactions", "1000"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("total      1000 transactions (scale 1)") != std::string::npos);

  pqxx::connection conn(url);
  auto statements = calls_by_role(conn, "%");
  for (const auto& module : kModules) {
    INFO(module);
    CHECK(statements[module] > 0);
  }
  // reporting only reads.
  auto reporting_writes = calls_by_role(conn, "%insert%");
  auto reporting_updates = calls_by_role(conn, "%update%");
  CHECK(reporting_writes.count("reporting") == 0);
  CHECK(reporting_updates.count("reporting") == 0);

  // Every table but the legacy one is touched by some module's statements.
  for (const char* table : kTables) {
    INFO(table);
    pqxx::work tx(conn);
    long long touching =
        tx.exec_params1(
              "SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
              "WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
              "AND r.rolname <> 'postgres' AND s.query ~* ('\\m' || $1 || '\\M')",
              std::string(table))[0]
            .as<long long>();
    CHECK((touching == 0) == (std::string(table) == "legacy_coupons"));
  }

  // The owners stay the dominant writers of the tables another module writes too.
  auto stock_writes = calls_by_role(conn, "UPDATE stock %");
  CHECK(stock_writes["inventory"] > stock_writes["orders"]);
  CHECK(stock_writes["orders"] > 0);
  auto invoice_writes = calls_by_role(conn, "%UPDATE invoices %");
  auto invoice_inserts = calls_by_role(conn, "INSERT INTO invoices %");
  CHECK(invoice_writes["billing"] > invoice_inserts["orders"]);
  CHECK(invoice_inserts["orders"] > 0);
  auto user_writes = calls_by_role(conn, "UPDATE users %");
  CHECK(user_writes["accounts"] > user_writes["orders"]);
  CHECK(user_writes["orders"] > 0);
  // The fresh cross-module read of accounts is rare; the user lookups of shipping and
  // billing are frequent.
  auto open_order_checks = calls_by_role(conn, "SELECT count(*) AS open_orders FROM orders%");
  CHECK(open_order_checks["accounts"] >= 1);
  auto user_lookups = calls_by_role(conn, "SELECT name, email FROM users WHERE id = %");
  CHECK(user_lookups["billing"] == 120);  // every billing operation (12% of 1000)
  CHECK(user_lookups["shipping"] > 90);   // all but the rate updates of its 120
  CHECK(open_order_checks["accounts"] * 5 < user_lookups["billing"]);

  // place_order: new orders exist, each with an invoice of its total and its items.
  CHECK(count(conn, "SELECT count(*) FROM orders") > 4000);
  CHECK(count(conn,
              "SELECT count(*) FROM orders o WHERE NOT EXISTS "
              "(SELECT 1 FROM invoices i WHERE i.order_id = o.id "
              "AND i.amount_cents = o.total_cents)") == 0);
  CHECK(count(conn,
              "SELECT count(*) FROM orders o WHERE o.total_cents <> "
              "(SELECT sum(quantity * unit_price_cents) FROM order_items i "
              "WHERE i.order_id = o.id)") == 0);
  CHECK(count(conn, "SELECT min(quantity) FROM stock") >= 0);
  // Orders' counter on users matches the orders (every placed order bumped it).
  CHECK(count(conn,
              "SELECT count(*) FROM users u WHERE u.order_count <> "
              "(SELECT count(*) FROM orders o WHERE o.user_id = u.id)") == 0);
  // Both tables drew new numbers from the shared sequence, never the same one.
  CHECK(count(conn, "SELECT count(*) FROM invoices WHERE number > 108000") > 0);
  CHECK(count(conn,
              "SELECT count(*) FROM shipments "
              "WHERE substr(tracking_number, 4)::bigint > 108001") > 0);
  CHECK(count(conn,
              "SELECT count(*) FROM invoices i JOIN shipments s "
              "ON 'TRK' || i.number = s.tracking_number") == 0);
}

TEST_CASE("--log makes the server log every statement with role, application and vxid") {
  std::string url = test::fresh_database("sample");
  REQUIRE(load_sample(url).exit_code == 0);
  auto run = run_workload(url, {"--transactions", "50", "--log"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  pqxx::connection conn(url);
  CHECK(text(conn, "SHOW log_statement") == "all");
  CHECK(text(conn, "SHOW log_line_prefix") == "%m [%p] user=%u db=%d app=%a vxid=%v xid=%x: ");
  std::string log = read_file_or_empty(test::cluster().dir() + "/server.log");
  std::string db = database_name(url);
  for (const auto& module : kModules) {
    INFO(module);
    CHECK(log.find("user=" + module + " db=" + db + " app=" + module + " vxid=") !=
          std::string::npos);
  }
  CHECK(log.find("app=orders vxid=") != std::string::npos);
  CHECK(log.find("statement: INSERT INTO invoices (order_id, user_id, amount_cents)") !=
        std::string::npos);
}

TEST_CASE("the cross-module view, trigger and sequence of the sample work") {
  std::string url = test::fresh_database("sample");
  REQUIRE(load_sample(url).exit_code == 0);
  pqxx::connection conn(url);

  // The view joins orders with users.
  CHECK(text(conn, "SELECT user_name FROM order_summaries WHERE order_id = 13") ==
        text(conn, "SELECT u.name FROM users u JOIN orders o ON o.user_id = u.id WHERE o.id = 13"));

  // Order 13 is paid with a shipment ready; shipping marks the shipment shipped and the
  // trigger on shipments moves the order along.
  CHECK(text(conn, "SELECT status::text FROM orders WHERE id = 13") == "paid");
  {
    std::string shipping_url = url + "?user=shipping";
    pqxx::connection shipping(shipping_url);
    pqxx::work tx(shipping);
    CHECK(tx.exec1("SELECT current_user")[0].as<std::string>() == "shipping");
    tx.exec0("UPDATE shipments SET order_status = 'shipped' WHERE order_id = 13");
    tx.commit();
  }
  CHECK(text(conn, "SELECT status::text FROM orders WHERE id = 13") == "shipped");
  CHECK(text(conn, "SELECT status::text FROM order_summaries WHERE order_id = 13") == "shipped");

  // Both defaults draw from document_number_seq: one after the other, consecutive numbers.
  CHECK(count(conn,
              "SELECT count(*) FROM pg_depend d JOIN pg_attrdef a ON a.oid = d.objid "
              "WHERE d.classid = 'pg_attrdef'::regclass "
              "AND d.refobjid = 'document_number_seq'::regclass "
              "AND a.adrelid IN ('invoices'::regclass, 'shipments'::regclass)") == 2);
  test::exec_sql(
      url,
      "INSERT INTO orders (id, user_id, status, total_cents) VALUES (900001, 1, 'paid', 100);"
      "INSERT INTO invoices (order_id, user_id, amount_cents) VALUES (900001, 1, 100);"
      "INSERT INTO shipments (order_id, user_id, carrier_id) VALUES (900001, 1, 1);");
  long long invoice_number = count(conn, "SELECT number FROM invoices WHERE order_id = 900001");
  CHECK(invoice_number == 108002);
  CHECK(text(conn, "SELECT tracking_number FROM shipments WHERE order_id = 900001") ==
        "TRK" + std::to_string(invoice_number + 1));
}

TEST_CASE("the sample scripts reject bad arguments with their usage and exit code 2") {
  auto no_url = run_process({"bash", sample_script("load.sh")});
  CHECK(no_url.exit_code == 2);
  CHECK(no_url.output.find("usage: load.sh URL [--scale S]") != std::string::npos);
  auto bad_scale =
      run_process({"bash", sample_script("load.sh"), "postgresql://x@h/db", "--scale", "zero"});
  CHECK(bad_scale.exit_code == 2);
  CHECK(bad_scale.output.find("--scale wants a positive integer, got 'zero'") != std::string::npos);
  auto bad_n = run_workload("postgresql://x@h/db", {"--transactions", "-3"});
  CHECK(bad_n.exit_code == 2);
  CHECK(bad_n.output.find("usage: run-workload.sh URL [--transactions N] [--log] [--serial]") !=
        std::string::npos);
  auto unknown = run_workload("postgresql://x@h/db", {"--fast"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("unknown argument '--fast'") != std::string::npos);
}
