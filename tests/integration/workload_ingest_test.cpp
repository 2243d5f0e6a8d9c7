// pg_stat_statements and server-log ingestion against a real PostgreSQL 15 cluster.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "core/util/error.hpp"
#include "core/workload/ingest.hpp"
#include "tests/support/test_cluster.hpp"

using dbsplit::workload::AttributionOptions;
using dbsplit::workload::NameResolver;
using dbsplit::workload::Statement;
using dbsplit::workload::Workload;
using Strings = std::set<std::string>;

namespace {

std::string database_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// The URL of `database` for a login role (trust authentication, no password).
std::string url_as(const std::string& role, const std::string& database,
                   const std::string& application_name = "") {
  std::string url = "postgresql://" + role +
                    "@127.0.0.1:" + std::to_string(dbsplit::test::cluster().port()) + "/" +
                    database;
  return application_name.empty() ? url : url + "?application_name=" + application_name;
}

void run_as(const std::string& url, const std::vector<std::string>& statements) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  for (const auto& s : statements) tx.exec(s);
}

const Statement* find(const Workload& w, const std::string& module, const std::string& text) {
  for (const auto& s : w.statements)
    if (s.module == module && s.text == text) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("pg_stat_statements rows are attributed to the role that ran them", "[ingest]") {
  std::string url = dbsplit::test::fresh_database("pgss");
  std::string db = database_of(url);
  dbsplit::test::exec_sql(url,
                          "CREATE ROLE pgss_orders LOGIN; CREATE ROLE pgss_catalog LOGIN;"
                          "CREATE TABLE products (id int PRIMARY KEY, name text);"
                          "CREATE TABLE orders (id serial PRIMARY KEY, product_id int, qty int);"
                          "INSERT INTO products VALUES (1, 'pen'), (2, 'ink');"
                          "GRANT SELECT ON products, orders TO pgss_catalog;"
                          "GRANT SELECT, INSERT ON orders TO pgss_orders;"
                          "GRANT USAGE ON SEQUENCE orders_id_seq TO pgss_orders;"
                          "SELECT pg_stat_statements_reset();");
  run_as(url_as("pgss_orders", db),
         {"INSERT INTO orders (product_id, qty) VALUES (1, 2)",
          "INSERT INTO orders (product_id, qty) VALUES (2, 5)",
          "INSERT INTO orders (product_id, qty) VALUES (1, 1)", "SET work_mem = '8MB'"});
  run_as(url_as("pgss_catalog", db),
         {"SELECT name FROM products WHERE id = 1", "SELECT name FROM products WHERE id = 2",
          "/* module='reporting' */ SELECT count(*) FROM orders o JOIN products p ON "
          "p.id = o.product_id"});

  pqxx::connection conn(url);
  AttributionOptions attribution;
  attribution.module_map = {{"pgss_orders", "orders"}};
  Workload w = dbsplit::workload::read_pg_stat_statements(conn, attribution, NameResolver{});

  CHECK(w.sources == std::vector<std::string>{"pg_stat_statements"});
  const Statement* insert =
      find(w, "orders", "INSERT INTO orders (product_id, qty) VALUES ($1, $2)");
  REQUIRE(insert);
  CHECK(insert->calls == 3);
  CHECK(insert->rows == 3);
  CHECK(insert->role == "pgss_orders");
  REQUIRE(insert->analysis.accesses.size() == 1);
  CHECK(insert->analysis.accesses[0].write);
  const Statement* select = find(w, "pgss_catalog", "SELECT name FROM products WHERE id = $1");
  REQUIRE(select);
  CHECK(select->calls == 2);
  const Statement* report =
      find(w, "reporting",
           "/* module='reporting' */ SELECT count(*) FROM orders o JOIN products p ON p.id = "
           "o.product_id");
  REQUIRE(report);
  CHECK(report->analysis.joins ==
        std::set<std::pair<std::string, std::string>>{{"public.orders", "public.products"}});
  // Setup ran as postgres (ignored); SET is a utility statement; nothing else is there.
  CHECK(w.statements.size() == 3);
  for (const auto& s : w.statements) CHECK(s.role != "postgres");
}

TEST_CASE("a database without pg_stat_statements gives the documented error", "[ingest]") {
  std::string url = dbsplit::test::fresh_database("nopgss");
  dbsplit::test::exec_sql(url, "DROP EXTENSION pg_stat_statements");
  pqxx::connection conn(url);
  try {
    dbsplit::workload::read_pg_stat_statements(conn, AttributionOptions{}, NameResolver{});
    FAIL("no error");
  } catch (const dbsplit::RuntimeError& e) {
    CHECK(std::string(e.what()) ==
          "pg_stat_statements is not available in database " + database_of(url) +
              ": add pg_stat_statements to shared_preload_libraries, restart, and run CREATE "
              "EXTENSION pg_stat_statements; or analyse a log file with --log FILE");
  }
}

TEST_CASE("a real server log gives a transaction's written tables", "[ingest]") {
  std::string url = dbsplit::test::fresh_database("logs");
  std::string db = database_of(url);
  dbsplit::test::exec_sql(url,
                          "CREATE ROLE log_shipper LOGIN;"
                          "CREATE TABLE orders (id int PRIMARY KEY, status text);"
                          "CREATE TABLE shipments (id serial PRIMARY KEY, order_id int);"
                          "INSERT INTO orders VALUES (1, 'paid');"
                          "GRANT SELECT, UPDATE ON orders TO log_shipper;"
                          "GRANT INSERT ON shipments TO log_shipper;"
                          "GRANT USAGE ON SEQUENCE shipments_id_seq TO log_shipper;");
  std::string prefix = dbsplit::workload::LogOptions{}.line_prefix;
  dbsplit::test::exec_sql(url, "ALTER SYSTEM SET log_statement = 'all'");
  dbsplit::test::exec_sql(url, "ALTER SYSTEM SET log_line_prefix = '" + prefix + "'");
  dbsplit::test::exec_sql(url, "SELECT pg_reload_conf()");
  // The postmaster applies the reload asynchronously; new sessions show when it has.
  std::string shipper = url_as("log_shipper", db, "shipping");
  for (int attempt = 0; attempt < 200; ++attempt) {
    pqxx::connection conn(shipper);
    pqxx::nontransaction tx(conn);
    if (tx.exec1("SHOW log_statement")[0].as<std::string>() == "all") break;
  }
  {
    pqxx::connection conn(shipper);
    pqxx::work tx(conn);
    tx.exec("INSERT INTO shipments (order_id) VALUES (1)");
    tx.exec("UPDATE orders SET status = 'shipped' WHERE id = 1");
    tx.commit();
    pqxx::nontransaction autocommit(conn);
    autocommit.exec("SELECT status FROM orders WHERE id = 1");
  }

  dbsplit::workload::LogOptions options;
  options.database = db;
  Workload w = dbsplit::workload::read_log_file(dbsplit::test::cluster().dir() + "/server.log",
                                                options, AttributionOptions{}, NameResolver{});
  REQUIRE(w.transactions.size() == 1);
  CHECK(w.transactions[0].module == "shipping");
  CHECK(w.transactions[0].tables_written == Strings{"public.orders", "public.shipments"});
  CHECK(w.transactions[0].statements.front() == "BEGIN");
  CHECK(w.transactions[0].statements.back() == "COMMIT");
  const Statement* update = find(w, "shipping", "UPDATE orders SET status = $1 WHERE id = $2");
  REQUIRE(update);
  CHECK(update->calls == 1);
  CHECK(update->role == "log_shipper");
  CHECK(find(w, "shipping", "SELECT status FROM orders WHERE id = $1"));
}

TEST_CASE("statements a trigger runs are not the module's own statements", "[ingest]") {
  std::string url = dbsplit::test::fresh_database("trig");
  std::string db = database_of(url);
  dbsplit::test::exec_sql(
      url,
      "DO $$ BEGIN CREATE ROLE trig_shipping LOGIN; EXCEPTION WHEN duplicate_object THEN "
      "NULL; END $$;"
      "CREATE TABLE orders (id int PRIMARY KEY, status text);"
      "CREATE TABLE shipments (id int PRIMARY KEY, order_id int, state text);"
      "INSERT INTO orders VALUES (1, 'paid'); INSERT INTO shipments VALUES (1, 1, 'ready');"
      "CREATE FUNCTION sync_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "UPDATE orders SET status = NEW.state WHERE id = NEW.order_id; RETURN NEW; END $$;"
      "CREATE TRIGGER sync AFTER UPDATE ON shipments FOR EACH ROW EXECUTE FUNCTION sync_status();"
      "GRANT SELECT, UPDATE ON orders, shipments TO trig_shipping;"
      "SELECT pg_stat_statements_reset();");
  run_as(url_as("trig_shipping", db), {"UPDATE shipments SET state = 'shipped' WHERE id = 1"});

  pqxx::connection conn(url);
  Workload w =
      dbsplit::workload::read_pg_stat_statements(conn, AttributionOptions{}, NameResolver{});
  // The test cluster tracks nested statements (track = all); the trigger's UPDATE of
  // orders must not make trig_shipping a writer of orders.
  REQUIRE(w.statements.size() == 1);
  CHECK(w.statements[0].module == "trig_shipping");
  REQUIRE(w.statements[0].analysis.accesses.size() == 1);
  CHECK(w.statements[0].analysis.accesses[0].table == "public.shipments");
}
