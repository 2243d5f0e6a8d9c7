#include <catch2/catch.hpp>

#include "analysis_fixtures.hpp"
#include "core/analysis/ownership.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;
using analysis::Signal;
using test::make_fk;
using test::make_table;
using test::reads;
using test::statement;
using test::writes;

namespace {

catalog::Schema shop_schema() {
  catalog::Schema s;
  s.database = "shop";
  s.tables = {make_table("public.users", {"name", "email", "order_count"}),
              make_table("public.orders", {"user_id", "status"}),
              make_table("public.products", {"name", "price"}),
              make_table("public.legacy_coupons", {"user_id"}),
              make_table("public.report_cache", {"order_id"})};
  s.foreign_keys = {make_fk("public.orders", "user_id", "public.users"),
                    make_fk("public.legacy_coupons", "user_id", "public.users"),
                    make_fk("public.report_cache", "order_id", "public.orders")};
  return s;
}

workload::Workload shop_workload() {
  workload::Workload w;
  w.statements = {
      statement("accounts", 90, {writes("public.users", {"name"})}),
      statement("orders", 10, {writes("public.users", {"order_count"})}),
      statement("orders", 100, {writes("public.orders", {"status"})}),
      statement("catalog", 40, {reads("public.products", {"name"})}),
      statement("orders", 5, {reads("public.products", {"price"})}),
      statement("reporting", 500, {reads("public.report_cache"), reads("public.users")}),
  };
  return w;
}

const analysis::TableAssignment& owner(const analysis::Analysis& a, const std::string& table) {
  const auto* found = a.assignment(table);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("the sole writer owns a table") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  const auto& orders = owner(a, "public.orders");
  CHECK(orders.service == "orders");
  CHECK(orders.signal == Signal::sole_writer);
  CHECK(orders.confidence == Approx(0.95));
  CHECK(orders.reason == "only orders writes it (100 calls)");
}

TEST_CASE("the dominant writer owns a table written by several modules, the rest is DS101") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  const auto& users = owner(a, "public.users");
  CHECK(users.service == "accounts");
  CHECK(users.signal == Signal::dominant_writer);
  CHECK(users.confidence == Approx(0.81));
  CHECK(users.reason ==
        "accounts writes it most (90 of 100 write calls, 90%); also written by orders (10 calls)");
  const auto* ds101 = test::find_finding(a, "DS101", "public.users");
  REQUIRE(ds101 != nullptr);
  CHECK(ds101->severity == diagnostics::Severity::error);
  CHECK(ds101->objects == std::vector<std::string>{"public.users", "accounts", "orders"});
  CHECK(ds101->message ==
        "public.users is written by 2 modules: accounts (90 calls) and orders (10 calls); "
        "accounts owns it (dominant_writer)");
}

TEST_CASE("with no writer, the module reading a table most owns it") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  const auto& products = owner(a, "public.products");
  CHECK(products.service == "catalog");
  CHECK(products.signal == Signal::readers);
  CHECK(products.reason == "nobody writes it; catalog reads it most (40 of 45 read calls)");
}

TEST_CASE("a table without workload evidence goes to its graph neighbours' service") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  const auto& legacy = owner(a, "public.legacy_coupons");
  CHECK(legacy.service == "accounts");
  CHECK(legacy.signal == Signal::graph_cluster);
  CHECK(legacy.reason ==
        "no workload touches it; its foreign-key/join neighbours public.users belong to "
        "accounts (weight 1 of 1)");
  const auto* untouched = test::find_finding(a, "DS111", "public.legacy_coupons");
  REQUIRE(untouched != nullptr);
  CHECK(untouched->severity == diagnostics::Severity::info);
  CHECK(test::findings_with(a, "DS111").size() == 1);
}

TEST_CASE("reporting modules never own tables, even ones only they read") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  const auto& cache = owner(a, "public.report_cache");
  CHECK(cache.service == "orders");
  CHECK(cache.signal == Signal::graph_cluster);
  for (const auto& s : a.services) CHECK(s.name != "reporting");
  std::vector<std::string> names;
  for (const auto& s : a.services) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"accounts", "catalog", "orders"});
}

TEST_CASE("every table gets exactly one service and services list their tables") {
  auto a = analysis::analyze(shop_schema(), shop_workload(), {});
  REQUIRE(a.tables.size() == 5);
  size_t listed = 0;
  for (const auto& s : a.services) listed += s.tables.size();
  CHECK(listed == 5);
  CHECK(a.services[0].tables == std::vector<std::string>{"public.legacy_coupons", "public.users"});
  CHECK(a.services[0].modules == std::vector<std::string>{"accounts"});
}

TEST_CASE("partitions go with their parent") {
  auto schema = shop_schema();
  auto events = make_table("public.events", {"user_id"});
  events.kind = 'p';
  events.partitions = {"public.events_2024"};
  auto part = make_table("public.events_2024", {"user_id"});
  part.partition_of = "public.events";
  schema.tables.push_back(events);
  schema.tables.push_back(part);
  auto w = shop_workload();
  w.statements.push_back(statement("audit", 7, {writes("public.events_2024")}));
  auto a = analysis::analyze(schema, w, {});
  CHECK(owner(a, "public.events").service == "audit");
  CHECK(owner(a, "public.events").reason == "only audit writes it (7 calls)");
  CHECK(owner(a, "public.events_2024").service == "audit");
  CHECK(owner(a, "public.events_2024").signal == Signal::sole_writer);
  CHECK(owner(a, "public.events_2024").reason == "partition of public.events, which audit owns");
  bool matrix_on_parent = false;
  for (const auto& cell : a.matrix)
    if (cell.module == "audit")
      matrix_on_parent = cell.table == "public.events" && cell.write_calls == 7;
  CHECK(matrix_on_parent);
}

TEST_CASE("a read of a view counts as reads of the tables behind it") {
  auto schema = shop_schema();
  catalog::View v;
  v.schema = "public";
  v.name = "order_summaries";
  v.depends_on = {"public.orders", "public.users"};
  schema.views.push_back(v);
  workload::Workload w;
  w.statements = {statement("shipping", 12, {reads("public.order_summaries")})};
  auto a = analysis::analyze(schema, w, {});
  REQUIRE(a.matrix.size() == 2);
  CHECK(a.matrix[0].module == "shipping");
  CHECK(a.matrix[0].table == "public.orders");
  CHECK(a.matrix[0].read_calls == 12);
  CHECK(a.matrix[1].table == "public.users");
  CHECK(a.matrix[1].read_calls == 12);
  CHECK(owner(a, "public.users").service == "shipping");
  CHECK(owner(a, "public.users").signal == Signal::readers);
}

TEST_CASE("pins beat the workload; globs match schema.table; exact names beat globs") {
  analysis::AnalyzeOptions options;
  options.pins = {{"billing", {"public.*s"}}, {"accounts", {"public.users"}}};
  auto a = analysis::analyze(shop_schema(), shop_workload(), options);
  CHECK(owner(a, "public.orders").service == "billing");
  CHECK(owner(a, "public.orders").signal == Signal::pin);
  CHECK(owner(a, "public.orders").confidence == 1.0);
  CHECK(owner(a, "public.orders").reason == "pinned to billing by the pins file (public.*s)");
  CHECK(owner(a, "public.users").service == "accounts");
  CHECK(owner(a, "public.users").reason == "pinned to accounts by the pins file");
  CHECK(owner(a, "public.legacy_coupons").service == "billing");
  CHECK(owner(a, "public.report_cache").service == "billing");  // graph: next to orders
  CHECK(owner(a, "public.report_cache").signal == Signal::graph_cluster);
}

TEST_CASE("a pin naming no table is a usage error pointing into the pins file") {
  analysis::AnalyzeOptions options;
  options.pins_path = "pins.json";
  options.pins = {{"accounts", {"public.users"}}, {"orders", {"public.nope"}}};
  CHECK_THROWS_MATCHES(
      analysis::analyze(shop_schema(), shop_workload(), options), UsageError,
      Catch::Message("pins file pins.json: /services/1/tables/0: 'public.nope' matches no table; "
                     "pins name tables as \"schema.table\" (globs * and ? allowed); check the "
                     "spelling or remove the pin"));
  options.pins = {{"accounts", {"public.users"}}, {"orders", {"public.users"}}};
  CHECK_THROWS_MATCHES(
      analysis::analyze(shop_schema(), shop_workload(), options), UsageError,
      Catch::Message("pins file pins.json: /services/1/tables/0: 'public.users' gives "
                     "public.users to service 'orders', but /services/0/tables/0 already gives "
                     "it to 'accounts'; pin each table to one service"));
}

TEST_CASE("glob_match matches whole names with * and ?") {
  CHECK(analysis::glob_match("public.order_*", "public.order_items"));
  CHECK(analysis::glob_match("public.order_*", "public.order_"));
  CHECK_FALSE(analysis::glob_match("public.order_*", "public.orders"));
  CHECK(analysis::glob_match("*.users", "auth.users"));
  CHECK(analysis::glob_match("public.user?", "public.users"));
  CHECK_FALSE(analysis::glob_match("public.user?", "public.user"));
  CHECK(analysis::glob_match("*", "x.y"));
}
