#include <catch2/catch.hpp>

#include "core/plan/builder.hpp"
#include "core/plan/check.hpp"
#include "tests/unit/plan_fixture.hpp"

using namespace dbsplit::plan;
using dbsplit::diagnostics::Diagnostic;

namespace {

std::vector<std::string> lines(const std::vector<Diagnostic>& findings) {
  std::vector<std::string> out;
  for (const auto& d : findings)
    out.push_back(std::string(dbsplit::diagnostics::to_string(d.severity)) + " " + d.code + " " +
                  d.message);
  return out;
}

}  // namespace

TEST_CASE("no drift against the schema the plan was made from", "[plan]") {
  auto analysis = dbsplit::test::shop_analysis();
  Plan plan = build_plan(analysis);
  CHECK(check_plan(plan, analysis.schema, nullptr).empty());
}

TEST_CASE("drift reports exactly what changed", "[plan]") {
  auto analysis = dbsplit::test::shop_analysis();
  Plan plan = build_plan(analysis);
  auto live = analysis.schema;
  live.tables[1].columns[2].type = "bigint";   // orders.total
  live.tables.erase(live.tables.begin() + 3);  // users dropped
  live.tables.push_back(
      dbsplit::test::table("coupons", {dbsplit::test::column("id", "bigint", 1, true)}));
  live.foreign_keys.erase(live.foreign_keys.begin() + 2);  // orders_user_id_fkey with users
  live.foreign_keys.push_back(dbsplit::test::foreign_key("orders_product_fkey", "public.orders",
                                                         "total", "public.products"));
  CHECK(lines(check_plan(plan, live, nullptr)) ==
        std::vector<std::string>{
            "error DS201 table public.coupons was added since the plan was made and has no owner",
            "error DS202 table public.users was dropped since the plan was made",
            "error DS205 column public.orders.total changed: type numeric(12,2) is now bigint",
            "error DS208 foreign key orders_product_fkey was added from public.orders (service "
            "orders) to public.products (service catalog), crossing a service boundary",
            "warning DS209 foreign key orders_user_id_fkey of public.orders was dropped since the "
            "plan was made"});
}

TEST_CASE("plan rules: owners, verification, rollback, stage order", "[plan]") {
  Plan plan = build_plan(dbsplit::test::shop_analysis());
  plan.services[0].tables.push_back("public.products");            // accounts also claims products
  plan.services[2].tables.erase(plan.services[2].tables.begin());  // order_items unowned
  plan.stages[0].steps[1].verify = {};
  plan.stages[0].steps[2].rollback = {};
  std::swap(plan.stages[1], plan.stages[2]);
  CHECK(lines(check_rules(plan)) ==
        std::vector<std::string>{
            "error DS301 table public.order_items has no owning service in the plan",
            "error DS302 table public.products is owned by 2 services: accounts, catalog",
            "error DS303 step ownership.create-role.accounts has no verification",
            "error DS304 step ownership.create-role.catalog has no rollback",
            "error DS305 stage apis comes after stage reads; stages run in the order ownership, "
            "apis, "
            "reads, writes, database"});
}

TEST_CASE("a cross-service statement with no planned pattern is reported", "[plan]") {
  auto analysis = dbsplit::test::shop_analysis();
  Plan plan = build_plan(analysis);
  dbsplit::workload::Workload w;
  dbsplit::workload::Statement planned;
  planned.text = "SELECT email, name FROM users WHERE id = $1";
  planned.module = "orders";
  planned.analysis.parsed = true;
  planned.analysis.accesses = {{"public.users", true, false, false, {}, {}, {}}};
  dbsplit::workload::Statement unplanned = planned;
  unplanned.text = "UPDATE users SET name = $1 WHERE id = $2";
  unplanned.module = "catalog";
  unplanned.analysis.accesses = {{"public.users", true, true, false, {}, {}, {}}};
  w.statements = {planned, unplanned};
  CHECK(lines(check_workload(plan, w)) ==
        std::vector<std::string>{
            "error DS220 module catalog (service catalog) writes public.users of service accounts "
            "with no planned pattern: UPDATE users SET name = $1 WHERE id = $2"});
}
