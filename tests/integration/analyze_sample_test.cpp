// The sample monolith after its workload: analyze proposes exactly the services of
// sample-monolith/README.md and reports every planted hard case.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;
using nlohmann::json;

namespace {

std::string bin() {
  const char* b = std::getenv("DBSPLIT_BIN");
  REQUIRE(b != nullptr);
  return b;
}

std::string sample_url() {
  static std::string url;
  if (!url.empty()) return url;
  url = test::fresh_database("shop");
  std::string dir = test::source_dir() + "/sample-monolith/";
  auto loaded = run_process({"bash", dir + "load.sh", url, "--scale", "1"});
  INFO(loaded.output);
  REQUIRE(loaded.exit_code == 0);
  auto ran = run_process({"bash", dir + "run-workload.sh", url, "--transactions", "2000", "--log"});
  INFO(ran.output);
  REQUIRE(ran.exit_code == 0);
  return url;
}

std::string log_path() { return test::cluster().dir() + "/server.log"; }

// The analysis of the sample with pg_stat_statements and the server log, run once.
const json& sample_analysis() {
  static json analysis;
  if (!analysis.is_null()) return analysis;
  std::string out = "/tmp/dbsplit_sample_analysis_" + std::to_string(::getpid()) + ".json";
  auto r = run_process(
      {bin(), "analyze", "--db", sample_url(), "--log", log_path(), "--format", "json", "-o", out});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(out);
  analysis = json::parse(in);
  std::remove(out.c_str());
  return analysis;
}

std::set<std::vector<std::string>> objects_of(const json& a, const std::string& code) {
  std::set<std::vector<std::string>> out;
  for (const auto& f : a["findings"])
    if (f["code"] == code) out.insert(f["objects"].get<std::vector<std::string>>());
  return out;
}

const json* finding(const json& a, const std::string& code,
                    const std::vector<std::string>& objects) {
  for (const auto& f : a["findings"])
    if (f["code"] == code && f["objects"].get<std::vector<std::string>>() == objects) return &f;
  return nullptr;
}

// Patterns of the workload's dependencies (not foreign keys) of consumer on owner's table.
std::set<std::string> patterns(const json& a, const std::string& consumer, const std::string& owner,
                               const std::string& table) {
  std::set<std::string> out;
  for (const auto& d : a["dependencies"]) {
    if (d["consumer"] != consumer || d["owner"] != owner || d["kind"] == "foreign_key") continue;
    for (const auto& t : d["tables"])
      if (t == table) out.insert(d["pattern"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("the sample's tables go to the six intended services") {
  const json& a = sample_analysis();
  std::vector<std::string> services;
  for (const auto& s : a["services"]) services.push_back(s["name"]);
  CHECK(services == std::vector<std::string>{"accounts", "billing", "catalog", "inventory",
                                             "orders", "shipping"});
  const std::map<std::string, std::pair<std::string, std::string>> intended = {
      {"public.users", {"accounts", "dominant_writer"}},
      {"public.addresses", {"accounts", "sole_writer"}},
      {"public.legacy_coupons", {"accounts", "graph_cluster"}},
      {"public.categories", {"catalog", "sole_writer"}},
      {"public.products", {"catalog", "sole_writer"}},
      {"public.price_history", {"catalog", "sole_writer"}},
      {"public.warehouses", {"inventory", "sole_writer"}},
      {"public.stock", {"inventory", "dominant_writer"}},
      {"public.stock_movements", {"inventory", "sole_writer"}},
      {"public.orders", {"orders", "sole_writer"}},
      {"public.order_items", {"orders", "sole_writer"}},
      {"public.invoices", {"billing", "dominant_writer"}},
      {"public.payments", {"billing", "sole_writer"}},
      {"public.carriers", {"shipping", "sole_writer"}},
      {"public.shipments", {"shipping", "sole_writer"}}};
  REQUIRE(a["tables"].size() == intended.size());
  for (const auto& t : a["tables"]) {
    INFO(t.dump());
    auto it = intended.find(t["name"]);
    REQUIRE(it != intended.end());
    CHECK(t["service"] == it->second.first);
    CHECK(t["signal"] == it->second.second);
  }
  CHECK(a["thresholds"]["frequent_read_share"] == 0.01);
  CHECK(a["summary"]["transactions"].get<int>() > 0);
  CHECK(a["summary"]["workload_sources"] ==
        json::array({"pg_stat_statements", "log:" + log_path()}));
}

TEST_CASE("every planted hard case of the sample is a finding with its objects") {
  const json& a = sample_analysis();
  using V = std::vector<std::string>;
  // Table written by several modules: users.order_count, and the order placement's
  // writes to stock and invoices.
  CHECK(objects_of(a, "DS101") == std::set<V>{{"public.invoices", "billing", "orders"},
                                              {"public.stock", "inventory", "orders"},
                                              {"public.users", "accounts", "orders"}});
  CHECK(objects_of(a, "DS102") == std::set<V>{{"public.invoices", "public.orders"},
                                              {"public.order_items", "public.products"},
                                              {"public.orders", "public.shipments"},
                                              {"public.orders", "public.users"},
                                              {"public.products", "public.stock"}});
  const json* three =
      finding(a, "DS103",
              {"public.order_items", "public.orders", "public.products", "public.users", "orders"});
  REQUIRE(three != nullptr);
  CHECK(three->at("pattern").get<std::string>().rfind("cqrs_read_model:", 0) == 0);
  CHECK(objects_of(a, "DS104") == std::set<V>{{"public.invoices", "public.order_items",
                                               "public.orders", "public.stock", "orders"}});
  CHECK(objects_of(a, "DS105") ==
        std::set<V>{{"public.order_summaries", "public.orders", "public.users"}});
  CHECK(objects_of(a, "DS106") == std::set<V>{{"public.shipments.shipments_sync_order_status",
                                               "public.orders", "public.shipments"}});
  CHECK(objects_of(a, "DS108") ==
        std::set<V>{{"public.document_number_seq", "public.invoices", "public.shipments"}});
  CHECK(objects_of(a, "DS109") ==
        std::set<V>{{"public.order_status", "public.orders", "public.shipments"}});
  CHECK(objects_of(a, "DS110") == std::set<V>{{"public.price_history"}});
  CHECK(objects_of(a, "DS111") == std::set<V>{{"public.legacy_coupons"}});
  CHECK(objects_of(a, "DS114").empty());
  for (const auto& f : a["findings"]) {
    bool is_error = f["code"] == "DS101" || f["code"] == "DS110";
    CHECK((f["severity"] == "error") == is_error);
  }
}

TEST_CASE("cross-service reads of the sample get the seed rule's patterns") {
  const json& a = sample_analysis();
  // Frequent, staleness tolerated: the user's name and email on every billing and
  // shipping operation.
  CHECK(patterns(a, "billing", "accounts", "public.users") ==
        std::set<std::string>{"event_replication"});
  CHECK(patterns(a, "shipping", "accounts", "public.users") ==
        std::set<std::string>{"event_replication"});
  // Rare and needing fresh data: open orders before closing an account.
  CHECK(patterns(a, "accounts", "orders", "public.orders") ==
        std::set<std::string>{"api_composition"});
  // Order details join three services: a CQRS read model (the order placement's own
  // frequent price lookup is replicated).
  CHECK(patterns(a, "orders", "catalog", "public.products") ==
        std::set<std::string>{"cqrs_read_model", "event_replication"});
  // The place-order transaction is a saga; its foreign writes go through the owners.
  CHECK(patterns(a, "orders", "inventory", "public.stock") ==
        std::set<std::string>{"owner_api_write", "saga"});
  CHECK(patterns(a, "orders", "billing", "public.invoices").count("saga") == 1);
  // Reporting reads every service through an analytics database.
  std::set<std::string> reporting_owners;
  for (const auto& d : a["dependencies"]) {
    if (d["consumer"] != "reporting") continue;
    CHECK(d["pattern"] == "analytics_database");
    reporting_owners.insert(d["owner"].get<std::string>());
  }
  CHECK(reporting_owners ==
        std::set<std::string>{"accounts", "billing", "catalog", "inventory", "orders", "shipping"});
  for (const auto& d : a["dependencies"])
    if (d["kind"] == "read" && d["consumer"] == "billing" && d["owner"] == "accounts")
      CHECK(d["columns"] == json::array({"public.users.email", "public.users.name"}));
}

TEST_CASE("the text report shows thresholds and --fail-on error exits 3 on the sample") {
  auto r = run_process({bin(), "analyze", "--db", sample_url(), "--fail-on", "error"});
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("Cross-service dependencies (frequent_read_share 1.00%, reporting "
                      "modules: reporting)") != std::string::npos);
  CHECK(r.output.find("  orders (2 tables; modules: orders)\n") != std::string::npos);
  std::string dot = "/tmp/dbsplit_sample_" + std::to_string(::getpid()) + ".dot";
  auto d = run_process({bin(), "analyze", "--db", sample_url(), "--format", "dot", "-o", dot});
  CHECK(d.exit_code == 0);
  CHECK(run_process({"dot", "-Tsvg", dot, "-o", "/dev/null"}).exit_code == 0);
  std::remove(dot.c_str());
}
