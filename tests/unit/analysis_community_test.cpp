#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "analysis_fixtures.hpp"
#include "core/analysis/graph.hpp"

using namespace dbsplit;
using test::make_fk;
using test::make_table;

namespace {

// Two obvious clusters: a shop side (orders around customers) and a content side
// (posts around authors), linked by one foreign key.
catalog::Schema two_clusters() {
  catalog::Schema s;
  for (const char* name :
       {"public.authors", "public.comments", "public.customers", "public.order_items",
        "public.orders", "public.payments", "public.posts", "public.tags"})
    s.tables.push_back(make_table(name, {"ref"}));
  s.foreign_keys = {
      make_fk("public.orders", "customer_id", "public.customers"),
      make_fk("public.order_items", "order_id", "public.orders"),
      make_fk("public.payments", "order_id", "public.orders"),
      make_fk("public.payments", "customer_id", "public.customers"),
      make_fk("public.order_items", "customer_id", "public.customers"),
      make_fk("public.posts", "author_id", "public.authors"),
      make_fk("public.comments", "post_id", "public.posts"),
      make_fk("public.comments", "author_id", "public.authors"),
      make_fk("public.tags", "post_id", "public.posts"),
      make_fk("public.tags", "author_id", "public.authors"),
      make_fk("public.comments", "customer_id", "public.customers"),  // the bridge
  };
  return s;
}

}  // namespace

TEST_CASE("Louvain splits a graph of two obvious clusters") {
  auto schema = two_clusters();
  analysis::Relations relations(schema);
  auto graph = analysis::build_table_graph(schema, {}, relations);
  std::vector<int> all;
  for (size_t i = 0; i < graph.nodes.size(); ++i) all.push_back(static_cast<int>(i));
  auto community = analysis::detect_communities(graph, all);
  // nodes: authors comments customers order_items orders payments posts tags
  CHECK(community == std::vector<int>{0, 0, 1, 1, 1, 1, 0, 0});
}

TEST_CASE("with no workload, services are communities named after their most central table") {
  auto a = analysis::analyze(two_clusters(), {}, {});
  REQUIRE(a.services.size() == 2);
  // authors and posts both have 3 links; ties go to the first name.
  CHECK(a.services[0].name == "authors");
  CHECK(a.services[0].tables == std::vector<std::string>{"public.authors", "public.comments",
                                                         "public.posts", "public.tags"});
  CHECK(a.services[1].name == "customers");
  CHECK(a.services[1].tables == std::vector<std::string>{"public.customers", "public.order_items",
                                                         "public.orders", "public.payments"});
  const auto* orders = a.assignment("public.orders");
  REQUIRE(orders != nullptr);
  CHECK(orders->signal == analysis::Signal::graph_community);
  CHECK(orders->reason ==
        "no workload at all; community detection (Louvain) groups it with 3 other tables "
        "around public.customers");
  auto bridge = test::findings_with(a, "DS102");
  REQUIRE(bridge.size() == 1);
  CHECK(bridge[0]->objects == std::vector<std::string>{"public.comments", "public.customers"});
  REQUIRE(test::findings_with(a, "DS115").size() == 1);
  CHECK(test::findings_with(a, "DS111").empty());  // no workload: nothing to say "untouched"
}

TEST_CASE("a table with no relationships and no workload stands alone") {
  auto schema = two_clusters();
  schema.tables.push_back(make_table("public.settings", {"value"}));
  auto a = analysis::analyze(schema, {}, {});
  const auto* settings = a.assignment("public.settings");
  REQUIRE(settings != nullptr);
  CHECK(settings->service == "settings");
  CHECK(settings->confidence == Approx(0.1));
}

TEST_CASE("the analysis does not depend on the order of its input") {
  auto schema = two_clusters();
  workload::Workload w;
  w.statements = {
      test::statement("shop", 30, {test::writes("public.orders")}),
      test::statement("blog", 20, {test::writes("public.posts")}),
      test::statement("blog", 5, {test::reads("public.customers")}),
      test::statement("shop", 4, {test::reads("public.orders"), test::reads("public.posts")},
                      {{"public.orders", "public.posts"}})};
  auto first = analysis::analyze(schema, w, {});
  std::mt19937 shuffle_seed(7);
  for (int round = 0; round < 5; ++round) {
    auto s2 = schema;
    auto w2 = w;
    std::shuffle(s2.tables.begin(), s2.tables.end(), shuffle_seed);
    std::shuffle(s2.foreign_keys.begin(), s2.foreign_keys.end(), shuffle_seed);
    std::shuffle(w2.statements.begin(), w2.statements.end(), shuffle_seed);
    auto again = analysis::analyze(s2, w2, {});
    REQUIRE(again.tables.size() == first.tables.size());
    for (size_t i = 0; i < first.tables.size(); ++i) {
      CHECK(again.tables[i].table == first.tables[i].table);
      CHECK(again.tables[i].service == first.tables[i].service);
      CHECK(again.tables[i].reason == first.tables[i].reason);
    }
    REQUIRE(again.findings.size() == first.findings.size());
    for (size_t i = 0; i < first.findings.size(); ++i) {
      CHECK(again.findings[i].code == first.findings[i].code);
      CHECK(again.findings[i].objects == first.findings[i].objects);
      CHECK(again.findings[i].message == first.findings[i].message);
    }
    REQUIRE(again.dependencies.size() == first.dependencies.size());
    for (size_t i = 0; i < first.dependencies.size(); ++i)
      CHECK(again.dependencies[i].statement == first.dependencies[i].statement);
  }
}
