// dbsplit generate, serve and verify contracts on the sample shop: the generated files
// (validated, deterministic, DDL that loads), the generated client driving the orders
// service with outbox rows checked, bad input and injection, 503 without a database,
// SIGTERM, and the contract check with and without a broken endpoint.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/codegen/api_model.hpp"
#include "core/codegen/generate.hpp"
#include "core/pg/local_instance.hpp"
#include "tests/integration/serve_fixture.hpp"

using namespace dbsplit;
namespace fs = std::filesystem;

namespace {

struct Sample {
  std::string url;
  plan::Plan plan;
  std::string plan_path;
  std::string dir;
};

// One loaded sample per test process (loading takes seconds); tests leave it as they found it.
Sample& sample() {
  static Sample s = [] {
    Sample out;
    out.url = test::load_sample_database();
    out.plan = test::sample_plan(out.url);
    out.dir = fs::temp_directory_path() / ("dbsplit-serve-test-" + std::to_string(getpid()));
    fs::create_directories(out.dir);
    out.plan_path = out.dir + "/plan.json";
    plan::write_plan_file(out.plan, out.plan_path);
    test::exec_sql(out.url, "CREATE SCHEMA IF NOT EXISTS dbsplit_outbox");
    return out;
  }();
  return s;
}

std::string bin() { return std::getenv("DBSPLIT_BIN"); }

long long scalar(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  return tx.exec1(sql)[0].as<long long>();
}

using test::Served;

// Generates `service`'s client from the plan at plan_path with `dbsplit generate` and
// compiles serve_client/<service>_main.cpp against it; returns the executable, or "" after
// reporting the compiler's output.
std::string compile_client(const std::string& plan_path, const std::string& service) {
  std::string gen = sample().dir + "/client-gen-" + service;
  auto generated = run_process({bin(), "generate", plan_path, "-o", gen, "--service", service});
  INFO(generated.output);
  CHECK(generated.exit_code == 0);
  std::string exe = sample().dir + "/" + service + "_client";
  auto compiled =
      run_process({"c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", gen + "/" + service,
                   test::source_dir() + "/tests/integration/serve_client/" + service + "_main.cpp",
                   gen + "/" + service + "/client.cpp", "-o", exe, "-lcpp-httplib", "-pthread"});
  INFO(compiled.output);
  CHECK(compiled.exit_code == 0);
  return compiled.exit_code == 0 ? exe : "";
}

}  // namespace

TEST_CASE("generate writes each service's OpenAPI, client and DDL, byte-identical twice") {
  auto& s = sample();
  auto first = codegen::generate(s.plan, {s.dir + "/gen1", ""});
  auto second = run_process({bin(), "generate", s.plan_path, "-o", s.dir + "/gen2"});
  REQUIRE(second.exit_code == 0);
  REQUIRE(first.size() == 24);  // 6 services × 4 files
  for (const auto& path : first) {
    std::string other = s.dir + "/gen2" + path.substr((s.dir + "/gen1").size());
    INFO(path);
    REQUIRE(read_file_or_empty(path) == read_file_or_empty(other));
    REQUIRE(second.output.find(other) != std::string::npos);
  }
  std::string orders = read_file_or_empty(s.dir + "/gen1/orders/openapi.json");
  CHECK(orders.find("\"/orders/{id}\"") != std::string::npos);
  CHECK(orders.find("\"/order_items/{order_id}/{line_no}\"") != std::string::npos);
  CHECK(orders.find("\"/queries/get_order_by_status_and_user_id\"") != std::string::npos);
  CHECK(read_file_or_empty(s.dir + "/gen1/accounts/openapi.json")
            .find("\"operationId\": \"get_user_by_id\"") != std::string::npos);

  SECTION("a real OpenAPI validator accepts every document") {
    std::string validator = test::source_dir() + "/.tools/node_modules/.bin/swagger-cli";
    if (!fs::exists(validator))
      run_process({"bash", test::source_dir() + "/scripts/install-test-tools.sh"});
    if (!fs::exists(validator)) {
      WARN(
          "npm is absent: OpenAPI validation skipped (scripts/install-test-tools.sh installs "
          "swagger-cli)");
      return;
    }
    for (const auto& service :
         {"accounts", "billing", "catalog", "inventory", "orders", "shipping"}) {
      auto result =
          run_process({validator, "validate", s.dir + "/gen1/" + service + "/openapi.json"});
      INFO(result.output);
      CHECK(result.exit_code == 0);
      CHECK(result.output.find("is valid") != std::string::npos);
    }
  }

  SECTION("each schema.sql builds the service's own database with its outbox") {
    for (const auto& service :
         {"accounts", "billing", "catalog", "inventory", "orders", "shipping"}) {
      std::string own = test::fresh_database(std::string("own_") + service);
      auto loaded = run_process({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f",
                                 s.dir + "/gen1/" + service + "/schema.sql", own});
      INFO(service << ": " << loaded.output);
      REQUIRE(loaded.exit_code == 0);
      long long tables = scalar(own, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
      CHECK(tables == static_cast<long long>(test::sample_services().at(service).size()));
      CHECK(scalar(own, std::string("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                    "'dbsplit_outbox' AND tablename = '") +
                            service + "'") == 1);
    }
  }
}

TEST_CASE("serve refuses to start without the outbox table and names the fix") {
  auto& s = sample();
  test::exec_sql(s.url, "DROP TABLE IF EXISTS dbsplit_outbox.shipping");
  auto result = run_process({bin(), "serve", s.plan_path, "--service", "shipping", "--db", s.url,
                             "--listen", "127.0.0.1:" + std::to_string(pg::free_port())});
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("the outbox table dbsplit_outbox.shipping is missing") !=
        std::string::npos);
  CHECK(result.output.find("add --create-outbox") != std::string::npos);
}

TEST_CASE("the generated client drives the orders service; every write leaves its outbox row") {
  auto& s = sample();
  std::string exe = compile_client(s.plan_path, "orders");
  REQUIRE(!exe.empty());

  long long orders_before = scalar(s.url, "SELECT count(*) FROM orders");
  Served served(s.plan_path, "orders", s.url, s.dir + "/orders.log");
  REQUIRE(test::wait_for_health(served.port));
  long long last_event = scalar(s.url, "SELECT coalesce(max(id), 0) FROM dbsplit_outbox.orders");

  auto run = run_process({exe, served.base()});
  INFO(run.output + served.process.log());
  REQUIRE(run.exit_code == 0);
  std::string id = run.output.substr(run.output.rfind("ok ") + 3);
  id = id.substr(0, id.find('\n'));
  CHECK(run.output.find("404: no row of public.orders with id = " + id) != std::string::npos);
  CHECK(run.output.find("409: orders_user_id_fkey") != std::string::npos);
  CHECK(scalar(s.url, "SELECT count(*) FROM orders") == orders_before);

  // One event per write, in order, each carrying the row as written.
  pqxx::connection conn(s.url);
  pqxx::work tx(conn);
  auto events = tx.exec_params(
      "SELECT event_type, aggregate_type, aggregate_id, payload->>'status', payload->>'quantity' "
      "FROM dbsplit_outbox.orders WHERE id > $1 ORDER BY id",
      last_event);
  std::vector<std::string> seen;
  for (const auto& e : events)
    seen.push_back(e[0].as<std::string>() + " " + e[2].as<std::string>());
  std::string item_id = "[" + id + ", 1]";
  CHECK(seen == std::vector<std::string>{
                    "orders.orders.inserted " + id, "orders.orders.updated " + id,
                    "orders.order_items.inserted " + item_id,
                    "orders.order_items.updated " + item_id,
                    "orders.order_items.deleted " + item_id, "orders.orders.deleted " + id});
  CHECK(events[1][3].as<std::string>() == "paid");
  CHECK(events[3][4].as<std::string>() == "5");
  CHECK(served.process.stop() == 0);
  // The request log is written in batches; all of it is out once serve has stopped.
  CHECK(served.process.log().find("POST /orders 201 ") != std::string::npos);
}

// What a driver did: its output, the keys it printed ("users 17" → keys["users"] == "17")
// and the outbox events its writes left, as "<event_type> <aggregate_id>" in order.
struct Driven {
  std::string output;
  std::map<std::string, std::string> keys;
  std::vector<std::string> events;
};

// Compiles `service`'s driver against the client generated from the committed plan,
// serves the service on the sample and runs the driver with `args` after the base URL.
Driven drive(const std::string& service, const std::vector<std::string>& args = {}) {
  auto& s = sample();
  std::string committed = test::source_dir() + "/plans/sample-monolith/plan.json";
  std::string exe = compile_client(committed, service);
  REQUIRE(!exe.empty());
  Served served(committed, service, s.url, s.dir + "/drive-" + service + ".log");
  REQUIRE(test::wait_for_health(served.port));
  std::string outbox = "dbsplit_outbox." + service;
  long long last_event = scalar(s.url, "SELECT coalesce(max(id), 0) FROM " + outbox);

  std::vector<std::string> argv = {exe, served.base()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = run_process(argv);
  INFO(run.output + served.process.log());
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.output.size() >= 3);
  REQUIRE(run.output.substr(run.output.size() - 3) == "ok\n");
  Driven out{run.output, {}, {}};
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    auto space = line.find(' ');
    if (space != std::string::npos && line.find(':') > space)
      out.keys[line.substr(0, space)] = line.substr(space + 1);
  }
  pqxx::connection conn(s.url);
  pqxx::work tx(conn);
  for (const auto& e : tx.exec_params(
           "SELECT event_type, aggregate_id FROM " + outbox + " WHERE id > $1 ORDER BY id",
           last_event))
    out.events.push_back(e[0].as<std::string>() + " " + e[1].as<std::string>());
  CHECK(served.process.stop() == 0);
  return out;
}

// A new order of sample user 7 for billing and shipping to refer to; removed by the caller.
std::string new_order() {
  pqxx::connection conn(sample().url);
  pqxx::work tx(conn);
  auto id = tx.exec1("INSERT INTO orders (user_id, total_cents) VALUES (7, 1234) RETURNING id");
  tx.commit();
  return id[0].as<std::string>();
}

TEST_CASE("the generated client drives the accounts service; every write leaves its outbox row") {
  long long users = scalar(sample().url, "SELECT count(*) FROM users");
  Driven d = drive("accounts");
  INFO(d.output);
  std::string user = d.keys.at("users"), address = d.keys.at("addresses");
  std::string coupon = d.keys.at("legacy_coupons");
  CHECK(coupon == "CLIENT-DRIVER-10");
  CHECK(d.output.find("409: users_email_key") != std::string::npos);
  CHECK(d.output.find("404: no row of public.users with id = " + user) != std::string::npos);
  CHECK(d.events ==
        std::vector<std::string>{
            "accounts.users.inserted " + user, "accounts.users.updated " + user,
            "accounts.addresses.inserted " + address, "accounts.addresses.updated " + address,
            "accounts.addresses.deleted " + address, "accounts.legacy_coupons.inserted " + coupon,
            "accounts.legacy_coupons.updated " + coupon,
            "accounts.legacy_coupons.deleted " + coupon, "accounts.users.deleted " + user});
  CHECK(scalar(sample().url, "SELECT count(*) FROM users") == users);
}

TEST_CASE(
    "the generated client drives the catalog service; price_history is create and list only") {
  auto& s = sample();
  Driven d = drive("catalog");
  INFO(d.output);
  std::string category = d.keys.at("categories"), product = d.keys.at("products");
  CHECK(d.output.find("409: products_price_cents_check") != std::string::npos);
  CHECK(d.output.find("404: no row of public.categories with id = " + category) !=
        std::string::npos);
  // A table without a key has no aggregate id: its events carry the empty string.
  CHECK(d.events ==
        std::vector<std::string>{
            "catalog.categories.inserted " + category, "catalog.categories.updated " + category,
            "catalog.products.inserted " + product, "catalog.products.updated " + product,
            "catalog.products.deleted " + product, "catalog.categories.deleted " + category,
            "catalog.price_history.inserted "});
  CHECK(scalar(s.url,
               "WITH d AS (DELETE FROM price_history WHERE product_id = 1 AND price_cents = 4242 "
               "AND changed_at = '" +
                   d.keys.at("price_history") + "' RETURNING 1) SELECT count(*) FROM d") == 1);

  auto api =
      nlohmann::json::parse(read_file_or_empty(s.dir + "/client-gen-catalog/catalog/openapi.json"));
  REQUIRE(api["paths"].contains("/price_history"));
  CHECK(api["paths"]["/price_history"].contains("get"));
  CHECK(api["paths"]["/price_history"].contains("post"));
  for (const auto& [path, operations] : api["paths"].items())
    CHECK(path.rfind("/price_history/", 0) == std::string::npos);
  CHECK(api["paths"].contains("/products/{id}"));
  std::string client = read_file_or_empty(s.dir + "/client-gen-catalog/catalog/client.hpp");
  for (const auto& absent : {"get_price_history", "update_price_history", "delete_price_history"})
    CHECK(client.find(absent) == std::string::npos);
}

TEST_CASE("the generated client drives the inventory service; every write leaves its outbox row") {
  Driven d = drive("inventory");
  INFO(d.output);
  std::string warehouse = d.keys.at("warehouses"), movement = d.keys.at("stock_movements");
  std::string stock = "[1, " + warehouse + "]";
  CHECK(d.keys.at("stock") == stock);
  CHECK(d.output.find("409: stock_quantity_check") != std::string::npos);
  CHECK(d.output.find("404: no row of public.stock with product_id = 1 and warehouse_id = " +
                      warehouse) != std::string::npos);
  CHECK(d.events ==
        std::vector<std::string>{
            "inventory.warehouses.inserted " + warehouse,
            "inventory.warehouses.updated " + warehouse, "inventory.stock.inserted " + stock,
            "inventory.stock.updated " + stock, "inventory.stock_movements.inserted " + movement,
            "inventory.stock_movements.updated " + movement,
            "inventory.stock_movements.deleted " + movement, "inventory.stock.deleted " + stock,
            "inventory.warehouses.deleted " + warehouse});
}

// The committed plan's billing query replaces a multi-line statement: its client must
// still compile (the replaced SQL is a one-line comment).
TEST_CASE("the generated client drives the billing service; every write leaves its outbox row",
          "[serve]") {
  std::string order = new_order();
  Driven d = drive("billing", {order});
  INFO(d.output);
  std::string invoice = d.keys.at("invoices"), payment = d.keys.at("payments");
  CHECK(d.output.find("409: payments_method_check") != std::string::npos);
  CHECK(d.events ==
        std::vector<std::string>{
            "billing.invoices.inserted " + invoice, "billing.payments.inserted " + payment,
            "billing.payments.updated " + payment, "billing.invoices.updated " + invoice,
            "billing.payments.deleted " + payment, "billing.invoices.deleted " + invoice});
  test::exec_sql(sample().url, "DELETE FROM orders WHERE id = " + order);
}

TEST_CASE("the generated client drives the shipping service; every write leaves its outbox row") {
  std::string order = new_order();
  Driven d = drive("shipping", {order});
  INFO(d.output);
  std::string carrier = d.keys.at("carriers"), shipment = d.keys.at("shipments");
  CHECK(d.output.find("409: shipments_order_id_key") != std::string::npos);
  CHECK(d.events ==
        std::vector<std::string>{
            "shipping.carriers.inserted " + carrier, "shipping.carriers.updated " + carrier,
            "shipping.shipments.inserted " + shipment, "shipping.shipments.updated " + shipment,
            "shipping.shipments.deleted " + shipment, "shipping.carriers.deleted " + carrier});
  test::exec_sql(sample().url, "DELETE FROM orders WHERE id = " + order);
}

TEST_CASE("serve keeps answering while a served table gains and loses a column") {
  // serve prepares its statements once per connection: PostgreSQL must replan them.
  auto& s = sample();
  Served served(s.plan_path, "shipping", s.url, s.dir + "/ddl.log");
  REQUIRE(test::wait_for_health(served.port));
  httplib::Client client("127.0.0.1", served.port);
  auto before = client.Get("/carriers/1");
  REQUIRE(before);
  REQUIRE(before->status == 200);
  std::string rate =
      std::to_string(nlohmann::json::parse(before->body)["base_rate_cents"].get<int>());
  auto patch = [&] {
    return client.Patch("/carriers/1", "{\"base_rate_cents\": " + rate + "}", "application/json");
  };
  REQUIRE(patch()->status == 200);

  test::exec_sql(s.url, "ALTER TABLE carriers ADD COLUMN added_by_test text DEFAULT 'new'");
  auto added = client.Get("/carriers/1");
  REQUIRE(added);
  CHECK(added->status == 200);
  CHECK(added->body == before->body);  // the API serves the plan's columns
  auto written = patch();
  REQUIRE(written);
  CHECK(written->status == 200);
  // The write's outbox event holds the whole new row, new column included.
  CHECK(scalar(s.url,
               "SELECT count(*) FROM dbsplit_outbox.shipping WHERE aggregate_id = '1' AND "
               "payload->>'added_by_test' = 'new'") == 1);

  test::exec_sql(s.url, "ALTER TABLE carriers DROP COLUMN added_by_test");
  auto dropped = client.Get("/carriers/1");
  REQUIRE(dropped);
  CHECK(dropped->status == 200);
  CHECK(dropped->body == before->body);
  CHECK(patch()->status == 200);
  CHECK(served.process.stop() == 0);
}

TEST_CASE("bad input, injection and oversized bodies get a 4xx and nothing more; serve stays up") {
  auto& s = sample();
  Served served(s.plan_path, "accounts", s.url, s.dir + "/accounts.log");
  REQUIRE(test::wait_for_health(served.port));
  httplib::Client client("127.0.0.1", served.port);
  long long users = scalar(s.url, "SELECT count(*) FROM users");
  codegen::ServiceApi api = codegen::describe_service(s.plan, "accounts");

  const std::vector<std::string> payloads = {"1' OR '1'='1",
                                             "1; DROP TABLE users; --",
                                             "' UNION SELECT email, name FROM users --",
                                             "1) OR (1=1",
                                             std::string("\xff\xfe\xfd", 3),
                                             std::string("a\0b", 3),
                                             "9223372036854775808",
                                             "-1e999",
                                             "{\"$ne\": null}",
                                             std::string(5000, 'x')};
  int requests = 0;
  auto expect_refused = [&](const httplib::Result& res, const std::string& what) {
    ++requests;
    INFO(what);
    REQUIRE(res);
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    REQUIRE(!body.is_discarded());
    if (res->status == 200) {  // a text filter may legitimately match nothing
      CHECK(body["items"].empty());
    } else {
      CHECK(res->status >= 400);
      CHECK(res->status < 500);
      CHECK(body.contains("error"));
    }
  };
  auto encode = [](const std::string& text) {
    std::string out;
    const char* hex = "0123456789ABCDEF";
    for (unsigned char c : text) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    return out;
  };

  for (const auto& r : api.resources) {
    std::vector<std::string> parameters = r.filters;
    parameters.insert(parameters.end(), {"limit", "cursor", "no_such_parameter"});
    for (const auto& p : payloads) {
      for (const auto& name : parameters)
        expect_refused(client.Get((r.path + "?" + name + "=" + encode(p)).c_str()),
                       r.path + " ?" + name);
      if (!r.key.empty()) {
        std::string item = r.path + "/" + encode(p);
        expect_refused(client.Get(item.c_str()), "GET " + item);
        expect_refused(client.Delete(item.c_str()), "DELETE " + item);
        expect_refused(client.Patch(item.c_str(), "{}", "application/json"), "PATCH " + item);
      }
      for (const auto& f : r.fields) {
        // One field alone never makes a row of these tables: each POST is refused.
        std::string raw = "{\"" + f.name + "\": \"" + p + "\"}";
        expect_refused(client.Post(r.path.c_str(), raw, "application/json"),
                       "POST " + r.path + " " + f.name);
        expect_refused(
            client.Post(r.path.c_str(), "{\"" + f.name + "\": [" + p + "]}", "application/json"),
            "POST " + r.path + " array " + f.name);
      }
    }
    expect_refused(client.Post(r.path.c_str(), "{\"unknown_field\": 1}", "application/json"),
                   "unknown field");
    expect_refused(client.Post(r.path.c_str(), "not json", "application/json"), "not json");
    auto big = client.Post(r.path.c_str(), std::string(2 << 20, ' '), "application/json");
    REQUIRE(big);
    CHECK(big->status == 413);
  }
  auto wrong = client.Post("/users", R"({"email": 5, "name": "x"})", "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 400);
  CHECK(nlohmann::json::parse(wrong->body)["field"] == "email");
  auto injected = client.Get("/users?email=x%27%20OR%20%271%27%3D%271");
  REQUIRE(injected);
  CHECK(injected->status == 200);
  CHECK(injected->body == R"({"items":[],"next_cursor":null})");

  CHECK(requests > 500);
  CHECK(scalar(s.url, "SELECT count(*) FROM users") == users);
  CHECK(served.process.exited() == std::nullopt);
  CHECK(client.Get("/users/1")->status == 200);
  CHECK(served.process.stop() == 0);
}

TEST_CASE("serve answers 503 while its database is down and recovers when it is back") {
  pg::LocalInstanceOptions options;
  auto instance = pg::LocalInstance::create_and_start(options);
  std::string url = instance.url("postgres");
  auto loaded =
      run_process({"bash", test::source_dir() + "/sample-monolith/load.sh", url, "--scale", "1"});
  REQUIRE(loaded.exit_code == 0);
  std::string dir = sample().dir;
  plan::write_plan_file(test::sample_plan(url), dir + "/down-plan.json");
  Served served(dir + "/down-plan.json", "catalog", url, dir + "/catalog.log");
  REQUIRE(test::wait_for_health(served.port));
  httplib::Client client("127.0.0.1", served.port);
  CHECK(client.Get("/ready")->status == 200);
  CHECK(client.Get("/products/1")->status == 200);

  instance.stop();
  auto down = client.Get("/products/1");
  REQUIRE(down);
  CHECK(down->status == 503);
  CHECK(nlohmann::json::parse(down->body)["error"].get<std::string>().rfind("database unavailable",
                                                                            0) == 0);
  CHECK(client.Get("/ready")->status == 503);
  CHECK(client.Get("/health")->status == 200);

  auto again = pg::LocalInstance::open(instance.dir());
  int status = 0;
  for (int attempt = 0; attempt < 5 && status != 200; ++attempt)
    status = client.Get("/products/1")->status;
  CHECK(status == 200);
  CHECK(served.process.stop() == 0);
  CHECK(served.process.log().find("SIGTERM received, shutting down") != std::string::npos);
  again.destroy();
}

TEST_CASE(
    "verify contracts finds no difference on the sample and the exact row of a broken endpoint") {
  auto& s = sample();
  Served orders(s.plan_path, "orders", s.url, s.dir + "/c-orders.log");
  Served accounts(s.plan_path, "accounts", s.url, s.dir + "/c-accounts.log");
  REQUIRE(test::wait_for_health(orders.port));
  REQUIRE(test::wait_for_health(accounts.port));
  auto urls = std::vector<std::string>{"--service-url", "orders=" + orders.base(), "--service-url",
                                       "accounts=" + accounts.base()};
  std::vector<std::string> argv = {bin(), "verify", "contracts", s.plan_path, "--db", s.url};
  argv.insert(argv.end(), urls.begin(), urls.end());
  auto clean = run_process(argv);
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(clean.output.find(
            "Contracts: 2 endpoints checked with 40 calls; 0 differences, 0 warnings") !=
        std::string::npos);

  // The accounts service now serves a plan whose endpoint forgot the email column.
  plan::Plan broken = s.plan;
  for (auto& d : broken.dependencies)
    if (d.endpoint && d.endpoint->name == "get_user_by_id") d.endpoint->returned_columns = {"name"};
  plan::write_plan_file(broken, s.dir + "/broken-plan.json");
  CHECK(accounts.process.stop() == 0);
  Served wrong(s.dir + "/broken-plan.json", "accounts", s.url, s.dir + "/c-broken.log");
  REQUIRE(test::wait_for_health(wrong.port));
  argv[argv.size() - 1] = "accounts=" + wrong.base();
  auto differs = run_process(argv);
  INFO(differs.output);
  CHECK(differs.exit_code == 3);
  CHECK(differs.output.find(
            "DS401 error: endpoint accounts.get_user_by_id with id=363: the table has row "
            "{\"email\":\"user363@example.com\",\"name\":\"Dev Mulder\"}, which the endpoint did "
            "not return") != std::string::npos);
  CHECK(differs.output.find(
            "DS402 error: endpoint accounts.get_user_by_id with id=363: the replaced statement "
            "`SELECT name, email FROM users WHERE id = $1` fails on the endpoint's rows: "
            "column \"email\" does not exist") != std::string::npos);
  CHECK(differs.output.find("orders.get_order_by_status_and_user_id") == std::string::npos);
}

TEST_CASE("the committed sample plan: every service serves, and its contracts hold") {
  auto& s = sample();
  std::string committed = test::source_dir() + "/plans/sample-monolith/plan.json";
  std::vector<std::unique_ptr<Served>> services;
  std::vector<std::string> argv = {bin(), "verify", "contracts", committed, "--db", s.url};
  for (const auto& service :
       {"accounts", "billing", "catalog", "inventory", "orders", "shipping"}) {
    services.push_back(
        std::make_unique<Served>(committed, service, s.url, s.dir + "/p-" + service + ".log"));
    REQUIRE(test::wait_for_health(services.back()->port));
    argv.insert(argv.end(),
                {"--service-url", std::string(service) + "=" + services.back()->base()});
  }
  httplib::Client stock("127.0.0.1", services[3]->port);
  auto row = stock.Get("/stock/1/1");
  REQUIRE(row);
  CHECK(row->status == 200);
  CHECK(nlohmann::json::parse(row->body)["product_id"] == 1);

  auto result = run_process(argv);
  INFO(result.output);
  CHECK(result.exit_code == 0);
  // Two read endpoints and the three commands (tests/integration/serve_commands_test.cpp).
  CHECK(result.output.find("Contracts: 5 endpoints checked with ") != std::string::npos);
  CHECK(result.output.find("; 0 differences, 0 warnings") != std::string::npos);
  for (auto& served : services) CHECK(served->process.stop() == 0);
}
