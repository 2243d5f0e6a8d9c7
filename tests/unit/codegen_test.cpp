// generate on the small shop plan of the plan tests: the API a service gets, its
// OpenAPI paths and types, the client's members, and the DDL's order.
#include <catch2/catch.hpp>

#include "core/codegen/api_model.hpp"
#include "core/codegen/client.hpp"
#include "core/codegen/ddl.hpp"
#include "core/codegen/generate.hpp"
#include "core/codegen/openapi.hpp"
#include "core/plan/builder.hpp"
#include "core/util/error.hpp"
#include "tests/unit/plan_fixture.hpp"

using namespace dbsplit;

TEST_CASE("a service's API: a resource per owned table and a query per read endpoint") {
  plan::Plan plan = plan::build_plan(test::shop_analysis());
  codegen::ServiceApi orders = codegen::describe_service(plan, "orders");
  REQUIRE(orders.resources.size() == 2);
  CHECK(orders.resources[0].path == "/order_items");
  CHECK(orders.resources[0].type_name == "OrderItem");
  CHECK(orders.outbox_table() == "dbsplit_outbox.orders");

  codegen::ServiceApi accounts = codegen::describe_service(plan, "accounts");
  REQUIRE(accounts.queries.size() == 1);
  CHECK(accounts.queries[0].name == "get_user_by_id");
  CHECK(accounts.queries[0].path == "/queries/get_user_by_id");
  CHECK(accounts.queries[0].columns == std::vector<std::string>{"email", "name"});
  CHECK(accounts.queries[0].type_name == "GetUserByIdRow");
  CHECK_THROWS_WITH(codegen::describe_service(plan, "billing"),
                    "the plan has no service 'billing'; its services: accounts, catalog, orders");
}

TEST_CASE("OpenAPI: paths, int64 ids, numeric as string, query columns only") {
  plan::Plan plan = plan::build_plan(test::shop_analysis());
  auto doc = codegen::openapi_document(codegen::describe_service(plan, "accounts"), "shop");
  CHECK(doc["openapi"] == "3.0.3");
  CHECK(doc["paths"].contains("/users/{id}"));
  CHECK(doc["components"]["schemas"]["User"]["properties"]["id"]["format"] == "int64");
  CHECK(doc["components"]["schemas"]["GetUserByIdRow"]["required"] ==
        nlohmann::ordered_json({"email", "name"}));
  CHECK(doc["paths"]["/users"]["post"]["responses"].contains("409"));
  auto orders = codegen::openapi_document(codegen::describe_service(plan, "orders"), "shop");
  auto total = orders["components"]["schemas"]["Order"]["properties"]["total"];
  CHECK(total ==
        nlohmann::ordered_json({{"type", "string"}, {"format", "decimal"}, {"nullable", true}}));
}

TEST_CASE("client: typed members, optional for nullable, one method per endpoint") {
  plan::Plan plan = plan::build_plan(test::shop_analysis());
  auto api = codegen::describe_service(plan, "accounts");
  std::string header = codegen::client_header(api);
  CHECK(header.find("namespace accounts_api {") != std::string::npos);
  CHECK(header.find("  int64_t id = 0;  // bigint\n") != std::string::npos);
  CHECK(header.find("  std::optional<std::string> name;  // text\n") != std::string::npos);
  CHECK(header.find("  Page<GetUserByIdRow> get_user_by_id(") != std::string::npos);
  CHECK(header.find("  User update_user(const int64_t& id, const UserFields& fields);") !=
        std::string::npos);
}

TEST_CASE(
    "schema.sql: referenced tables first, own foreign keys only, outbox last; same bytes twice") {
  plan::Plan plan = plan::build_plan(test::shop_analysis());
  std::string ddl = codegen::service_ddl(plan, "orders");
  CHECK(ddl.find("CREATE TABLE public.orders (") < ddl.find("CREATE TABLE public.order_items ("));
  CHECK(ddl.find("ADD CONSTRAINT order_items_order_id_fkey") != std::string::npos);
  CHECK(ddl.find("order_items_product_id_fkey") == std::string::npos);  // crosses to catalog
  CHECK(ddl.find("CREATE TABLE IF NOT EXISTS dbsplit_outbox.orders (") != std::string::npos);
  CHECK(codegen::service_files(plan, "orders") == codegen::service_files(plan, "orders"));
}
