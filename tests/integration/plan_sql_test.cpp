// The SQL of the sample plan's steps runs on the real sample database: every SQL action
// succeeds and its verification passes, run twice (steps are idempotent); then every
// rollback, in reverse order, brings the schema back to the plan's fingerprint. Steps
// that are operations are left to `dbsplit apply`.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "core/catalog/introspect.hpp"
#include "core/catalog/json.hpp"
#include "core/plan/json.hpp"
#include "core/util/process.hpp"
#include "core/workload/plpgsql.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

// Whether a verification query passes, as `dbsplit apply` will judge it.
bool passes(pqxx::connection& conn, const plan::Verification& v, std::string& detail) {
  pqxx::work tx(conn);
  pqxx::result r = tx.exec(v.check.sql);
  tx.commit();
  if (v.expect == plan::Expect::zero_rows) {
    if (!r.empty()) detail = "first row: " + std::string(r[0][0].c_str());
    return r.empty();
  }
  detail = r.empty() ? "no rows" : std::string(r[0][0].c_str());
  return r.size() == 1 && r[0][0].as<bool>();
}

void run(pqxx::connection& conn, const std::string& sql) {
  pqxx::work tx(conn);
  tx.exec(sql);
  tx.commit();
}

std::string live_fingerprint(pqxx::connection& conn, const plan::Plan& p) {
  catalog::IntrospectOptions options;
  options.exclude_schemas = {"dbsplit_archive_public"};
  for (const auto& s : p.services) options.exclude_schemas.push_back(s.role);
  catalog::Schema schema = catalog::introspect(conn, options);
  workload::NameResolver resolver;
  resolver.schema = &schema;
  workload::resolve_function_accesses(schema, resolver);
  return catalog::fingerprint(schema);
}

}  // namespace

TEST_CASE("the sample plan's SQL steps run, verify and roll back on the sample", "[plan]") {
  std::string url = test::fresh_database("plansql");
  auto load = run_process({"bash", test::source_dir() + "/sample-monolith/load.sh", url});
  INFO(load.output);
  REQUIRE(load.exit_code == 0);
  plan::Plan p = plan::read_plan_file(test::source_dir() + "/plans/sample-monolith/plan.json");
  pqxx::connection conn(url);
  REQUIRE(live_fingerprint(conn, p) == p.fingerprint);

  std::vector<const plan::Step*> done;
  for (const auto& stage : p.stages)
    for (const auto& step : stage.steps) {
      if (step.action.kind != plan::ActionKind::sql) continue;
      INFO("step " << step.id);
      for (int pass = 0; pass < 2; ++pass) {  // a resumed apply may run a step twice
        REQUIRE_NOTHROW(run(conn, step.action.sql));
        if (step.verify.check.kind == plan::ActionKind::sql) {
          std::string detail;
          CHECK(passes(conn, step.verify, detail));
          INFO(detail);
        }
      }
      done.push_back(&step);
    }
  CHECK(done.size() >= 40);
  // After the writes stage no cross-service foreign key is left.
  {
    pqxx::work tx(conn);
    CHECK(tx.exec1("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_user_id_fkey'")[0]
              .as<int>() == 0);
  }
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    INFO("rollback of " << (*it)->id);
    if ((*it)->rollback.kind == plan::ActionKind::sql)
      REQUIRE_NOTHROW(run(conn, (*it)->rollback.sql));
  }
  CHECK(live_fingerprint(conn, p) == p.fingerprint);
}
