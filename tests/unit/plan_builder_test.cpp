#include <algorithm>
#include <catch2/catch.hpp>

#include "core/plan/builder.hpp"
#include "core/plan/check.hpp"
#include "core/plan/json.hpp"
#include "tests/unit/plan_fixture.hpp"

using namespace dbsplit::plan;

namespace {

const Step& step(const Plan& plan, const std::string& id) {
  for (const auto& stage : plan.stages)
    for (const auto& s : stage.steps)
      if (s.id == id) return s;
  FAIL("no step " << id);
  throw;
}

const Dependency& dependency(const Plan& plan, const std::string& id) {
  for (const auto& d : plan.dependencies)
    if (d.id == id) return d;
  FAIL("no dependency " << id);
  throw;
}

}  // namespace

TEST_CASE("plan services carry roles and target placeholders", "[plan]") {
  Plan plan = build_plan(dbsplit::test::shop_analysis());
  REQUIRE(plan.services.size() == 3);
  CHECK(plan.services[2].name == "orders");
  CHECK(plan.services[2].role == "svc_orders");
  CHECK(plan.services[2].target == "${DBSPLIT_TARGET_ORDERS}");
  CHECK(build_plan(dbsplit::test::shop_analysis(), {TargetKind::embedded}).services[0].target ==
        "embedded");
  CHECK(plan.version == 1);
  CHECK(plan.fingerprint.rfind("sha256:", 0) == 0);
  CHECK(role_name("Order-History") == "svc_order_history");
}

TEST_CASE("each dependency carries what its pattern implies", "[plan]") {
  Plan plan = build_plan(dbsplit::test::shop_analysis());
  const auto& api = dependency(plan, "read.orders.public.users");
  REQUIRE(api.endpoint);
  CHECK(api.endpoint->name == "get_user_by_id");
  CHECK(api.endpoint->service == "accounts");
  CHECK(api.endpoint->filter_columns == std::vector<std::string>{"id"});
  CHECK(api.endpoint->returned_columns == std::vector<std::string>{"email", "name"});
  CHECK(api.endpoint->replaces == "SELECT email, name FROM users WHERE id = $1");

  const auto& cache = dependency(plan, "read.orders.public.products");
  REQUIRE(cache.cache);
  CHECK(cache.cache->name == "svc_orders.products_cache");
  CHECK(cache.cache->columns == std::vector<std::string>{"id", "name", "price"});
  CHECK(cache.cache->key == std::vector<std::string>{"id"});
  CHECK(cache.cache->source_events == std::vector<std::string>{"catalog.products.deleted",
                                                               "catalog.products.inserted",
                                                               "catalog.products.updated"});

  const auto& fk = dependency(plan, "foreign_key.public.order_items.order_items_product_id_fkey");
  REQUIRE(fk.orphan_check);
  CHECK(fk.orphan_check->sql ==
        "SELECT count(*) FROM public.order_items c WHERE c.product_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM public.products p WHERE p.id = c.product_id)");
  CHECK(fk.orphan_check->definition == "FOREIGN KEY (product_id) REFERENCES public.products(id)");
}

TEST_CASE("stages come in order and every step is verified and reversible", "[plan]") {
  Plan plan = build_plan(dbsplit::test::shop_analysis());
  std::vector<std::string> names;
  for (const auto& s : plan.stages) names.push_back(to_string(s.name));
  CHECK(names == std::vector<std::string>{"ownership", "apis", "reads", "writes", "database"});
  CHECK(check_rules(plan).empty());

  const Step& grant = step(plan, "ownership.grant.orders");
  CHECK(
      grant.action.sql ==
      "GRANT USAGE ON SCHEMA public TO svc_orders; GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "
      "public.order_items, public.orders TO svc_orders; GRANT SELECT ON TABLE public.products, "
      "public.users TO svc_orders; GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.orders_id_seq TO "
      "svc_orders;");
  const Step& revoke = step(plan, "reads.revoke-read.orders");
  CHECK(revoke.action.sql ==
        "REVOKE SELECT ON TABLE public.products, public.users FROM svc_orders;");
  CHECK(revoke.verify.expect == Expect::zero_rows);
  const Step& drop = step(plan, "writes.drop-foreign-key.public.orders.orders_user_id_fkey");
  CHECK(drop.service == "orders");
  CHECK(drop.action.sql ==
        "ALTER TABLE public.orders DROP CONSTRAINT IF EXISTS orders_user_id_fkey;");
  CHECK(drop.rollback.sql.find(
            "EXECUTE 'ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey "
            "FOREIGN KEY (user_id) REFERENCES public.users(id)'") != std::string::npos);
  const Step& serve = step(plan, "apis.serve.accounts");
  CHECK(serve.action.operation == "serve_api");
  CHECK(serve.action.parameters["endpoints"] == nlohmann::json::array({"get_user_by_id"}));
  CHECK(step(plan, "database.copy.orders").action.operation == "copy_snapshot");
  CHECK(step(plan, "database.archive.orders").verify.check.sql ==
        "SELECT to_regclass('public.order_items') IS NULL AND "
        "to_regclass('dbsplit_archive_public.order_items') IS NOT NULL AND "
        "to_regclass('public.orders') IS NULL AND to_regclass('dbsplit_archive_public.orders') IS "
        "NOT NULL");
}
