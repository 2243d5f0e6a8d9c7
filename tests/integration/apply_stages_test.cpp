// `dbsplit apply`, `status` and `rollback` with the real binary on the sample shop and its
// committed plan: a dry run changes nothing; stages run only in order; ownership then
// apis (six APIs served as their roles, contracts hold), status, idempotent re-runs;
// rollback refused out of order, then apis and ownership undone down to the fingerprint
// the plan was made from.
#include <httplib.h>

#include "core/apply/lock.hpp"
#include "core/pg/connection.hpp"
#include "tests/integration/apply_fixture.hpp"

using namespace dbsplit;
using test::run_dbsplit;

namespace {

const std::string& plan_path() {
  static const std::string p = test::apply_plan_path();
  return p;
}

std::string count(const std::string& url, const std::string& sql) {
  return test::scalar_text(url, sql);
}

const char* kSvcRoles = "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'svc\\_%'";

bool answers_ready(const std::string& url) {
  httplib::Client client(url);
  auto res = client.Get("/ready");
  return res && res->status == 200;
}

}  // namespace

TEST_CASE("a dry run runs the SQL steps, then leaves schema, roles and journal as they were",
          "[apply]") {
  auto db = test::sample_copy("applydry");
  std::string roles = count(db.url, kSvcRoles);
  auto r = run_dbsplit({"apply", plan_path(), "--db", db.url, "--stage", "ownership", "--dry-run"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = test::lines_of(r.out);
  REQUIRE(lines.size() == 14);
  CHECK(lines[0] ==
        "ownership.record-owners: would apply, verified — Record the owning service of every "
        "table in dbsplit.table_owner.");
  CHECK(lines[6] ==
        "ownership.create-role.shipping: would apply, verified — Create the database role "
        "svc_shipping of service shipping.");
  CHECK(lines[13] ==
        "Dry run: 13 step(s) would apply and pass their verification, 0 already applied, 0 "
        "operation(s) not run; nothing was changed.");
  CHECK(r.err.empty());
  CHECK(count(db.url, "SELECT to_regclass('dbsplit.journal')") == "NULL");
  CHECK(count(db.url, "SELECT to_regclass('dbsplit.table_owner')") == "NULL");
  CHECK(count(db.url, kSvcRoles) == roles);
  CHECK(test::live_fingerprint(db.url) == test::apply_sample_plan().fingerprint);

  // --all lists the apis operations, then refuses the reads stage before any of its steps.
  auto all = run_dbsplit({"apply", plan_path(), "--db", db.url, "--all", "--dry-run"});
  INFO(all.out);
  CHECK(all.exit_code == 1);
  CHECK(all.err ==
        "dbsplit: error: step reads.create-read-model.orders.svc_orders.rm_products needs "
        "operation create_read_model, which this dbsplit does not implement yet; nothing of "
        "stage reads was run (operations implemented: contract_check, none, serve_api, "
        "stop_api; see docs/apply.md)\n");
  CHECK(all.out.find("apis.serve.orders: not run (dry run) — operation serve_api: " +
                     test::apply_sample_plan().stages[1].steps[4].description + "\n") !=
        std::string::npos);
  CHECK(count(db.url, "SELECT to_regclass('dbsplit.journal')") == "NULL");
  CHECK(count(db.url, kSvcRoles) == roles);
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}

TEST_CASE("a stage runs only after every step of the stages before it", "[apply]") {
  auto db = test::sample_copy("applyorder");
  auto r = run_dbsplit({"apply", plan_path(), "--db", db.url, "--stage", "apis"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "dbsplit: error: stage apis cannot run yet: step ownership.record-owners of the "
        "earlier stage ownership is not applied; run `dbsplit apply " +
            plan_path() + " --db " + db.url + " --stage ownership` first\n");
  // Refused before anything: not even the journal was created.
  CHECK(count(db.url, "SELECT to_regclass('dbsplit.journal')") == "NULL");
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}

TEST_CASE("ownership then apis, status, and rollback back to the plan's fingerprint", "[apply]") {
  auto db = test::sample_copy("applyall");
  test::ServicesGuard guard(db.url);
  std::string state = test::scratch_dir() + "/state-" + db.name;
  const std::vector<std::string> common = {plan_path(), "--db", db.url, "--state-dir", state};
  auto with = [&](std::vector<std::string> head, std::vector<std::string> tail) {
    head.insert(head.end(), common.begin(), common.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };

  auto own = run_dbsplit(with({"apply"}, {"--stage", "ownership"}));
  INFO(own.out << own.err);
  REQUIRE(own.exit_code == 0);
  auto lines = test::lines_of(own.out);
  REQUIRE(lines.size() == 14);
  CHECK(lines[1] == "ownership.create-role.accounts: applied, verified");
  CHECK(lines[13] == "Done: 13 step(s) applied, 0 skipped (already applied); all verified.");
  CHECK(count(db.url, kSvcRoles) == "6");
  CHECK(count(db.url, "SELECT count(*) FROM dbsplit.table_owner") == "15");
  CHECK(count(db.url,
              "SELECT count(*) FROM dbsplit.journal WHERE status = 'applied' AND "
              "verified_at IS NOT NULL AND checksum LIKE 'sha256:%' AND stage = "
              "'ownership'") == "13");
  CHECK(count(db.url, "SELECT DISTINCT plan_fingerprint FROM dbsplit.journal") ==
        test::apply_sample_plan().fingerprint);
  // The journal is not drift: plan check still passes.
  auto check = run_dbsplit({"plan", "check", plan_path(), "--db", db.url});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);

  // Applying again verifies every step again and runs none.
  auto again = run_dbsplit(with({"apply"}, {"--stage", "ownership"}));
  REQUIRE(again.exit_code == 0);
  CHECK(test::lines_of(again.out)[0] ==
        "ownership.record-owners: skipped (already applied), verified");
  CHECK(test::lines_of(again.out).back() ==
        "Done: 0 step(s) applied, 13 skipped (already applied); all verified.");

  // With a password in the URL (trust authentication ignores it): it reaches the servers
  // through PGPASSWORD, never their command lines.
  std::string with_password = "postgresql://postgres:s3cret@" + db.url.substr(db.url.find('@') + 1);
  auto apis = run_dbsplit(
      {"apply", plan_path(), "--db", with_password, "--state-dir", state, "--stage", "apis"});
  INFO(apis.out << apis.err);
  REQUIRE(apis.exit_code == 0);
  auto api_lines = test::lines_of(apis.out);
  REQUIRE(api_lines.size() == 7);
  CHECK(api_lines[4].rfind("apis.serve.orders: applied, verified (serving orders at "
                           "http://127.0.0.1:",
                           0) == 0);
  CHECK(api_lines[4].find("as role svc_orders") != std::string::npos);
  CHECK(api_lines[4].find("contract check of orders: 1 endpoint(s)") != std::string::npos);
  // accounts serves the plan's update_user command; catalog has no endpoint of the plan.
  CHECK(api_lines[0].find("contract check of accounts: 1 endpoint(s), 20 call(s), no "
                          "difference") != std::string::npos);
  CHECK(api_lines[2].find("catalog answers /ready; it has no endpoint replacing a read or a "
                          "write, so no contract to compare") != std::string::npos);
  CHECK(api_lines[6] == "Done: 6 step(s) applied, 0 skipped (already applied); all verified.");

  // The six APIs answer, and the independent contract check agrees.
  std::map<std::string, std::string> urls;
  std::map<std::string, int> pids;
  {
    pqxx::connection conn(db.url);
    pqxx::read_transaction tx(conn);
    for (const auto& r : tx.exec("SELECT service, url, pid, role FROM dbsplit.services")) {
      urls[r[0].c_str()] = r[1].c_str();
      pids[r[0].c_str()] = r[2].as<int>();
      CHECK(std::string(r[3].c_str()) == "svc_" + std::string(r[0].c_str()));
    }
  }
  REQUIRE(urls.size() == 6);
  for (const auto& [service, url] : urls) {
    INFO(service);
    CHECK(answers_ready(url));
  }
  for (const auto& [service, pid] : pids) {
    std::string cmdline = read_file_or_empty("/proc/" + std::to_string(pid) + "/cmdline");
    CHECK(cmdline.find("--service") != std::string::npos);
    CHECK(cmdline.find("s3cret") == std::string::npos);
    CHECK(read_file_or_empty("/proc/" + std::to_string(pid) + "/environ")
              .find(std::string("PGPASSWORD=s3cret") + '\0') != std::string::npos);
  }
  CHECK(apis.out.find("s3cret") == std::string::npos);
  // The orders API connects as svc_orders: without that role's SELECT it cannot read.
  httplib::Client orders(urls["orders"]);
  auto listed = orders.Get("/orders/1");
  REQUIRE(listed);
  CHECK(listed->status == 200);
  test::exec_sql(db.url, "REVOKE SELECT ON public.orders FROM svc_orders");
  auto denied = orders.Get("/orders/1");
  REQUIRE(denied);
  CHECK(denied->status == 500);
  test::exec_sql(db.url, "GRANT SELECT ON public.orders TO svc_orders");
  auto verify =
      run_dbsplit({"verify", "contracts", plan_path(), "--db", db.url, "--service-url",
                   "orders=" + urls["orders"], "--service-url", "billing=" + urls["billing"]});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);

  auto status = run_dbsplit({"status", plan_path(), "--db", db.url});
  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 0);
  auto st = test::lines_of(status.out);
  REQUIRE(st.size() >= 14);
  CHECK(st[0] == "Database " + db.name + ", plan " + plan_path());
  CHECK(st[1] == "Stage ownership: 13/13 applied, 0 pending, 0 changed since applied");
  CHECK(st[2] == "Stage apis: 6/6 applied, 0 pending, 0 changed since applied");
  CHECK(st[3] == "Stage reads: 0/33 applied, 33 pending, 0 changed since applied");
  CHECK(st[6] == "Services:");
  CHECK(st[7].rfind(
            "  accounts " + urls["accounts"] + " pid " + std::to_string(pids["accounts"]) + " on ",
            0) == 0);
  CHECK(st[7].find(", as role svc_accounts: ready (log " + state + "/serve-accounts.log)") !=
        std::string::npos);
  CHECK(st.back() == "Next: dbsplit apply " + plan_path() + " --db " + db.url + " --stage reads");
  auto status_json = run_dbsplit({"status", plan_path(), "--db", db.url, "--format", "json"});
  auto sj = nlohmann::json::parse(status_json.out);
  CHECK(sj["stages"][1]["applied"] == 6);
  CHECK(sj["services"].size() == 6);
  for (const auto& s : sj["services"]) CHECK(s["ready"] == true);

  // A second apply of apis keeps the running servers.
  auto apis_again = run_dbsplit(with({"apply"}, {"--stage", "apis"}));
  REQUIRE(apis_again.exit_code == 0);
  CHECK(test::lines_of(apis_again.out).back() ==
        "Done: 0 step(s) applied, 6 skipped (already applied); all verified.");
  CHECK(count(db.url, "SELECT pid FROM dbsplit.services WHERE service = 'orders'") ==
        std::to_string(pids["orders"]));

  // Undo in reverse order only.
  auto early = run_dbsplit(with({"rollback"}, {"--stage", "ownership"}));
  CHECK(early.exit_code == 1);
  CHECK(early.err ==
        "dbsplit: error: stage ownership cannot be rolled back while the later stage apis has "
        "applied steps (step apis.serve.accounts); roll that stage back first: `dbsplit "
        "rollback " +
            plan_path() + " --db " + db.url + " --stage apis`\n");
  CHECK(count(db.url, kSvcRoles) == "6");

  auto down_apis = run_dbsplit(with({"rollback"}, {"--stage", "apis"}));
  INFO(down_apis.out << down_apis.err);
  REQUIRE(down_apis.exit_code == 0);
  auto down_lines = test::lines_of(down_apis.out);
  REQUIRE(down_lines.size() == 7);
  CHECK(down_lines[1] == "apis.serve.orders: rolled back (stopped the server of orders (pid " +
                             std::to_string(pids["orders"]) + "))");
  CHECK(down_lines[6] == "Done: stage apis rolled back (6 step(s)).");
  CHECK(count(db.url, "SELECT count(*) FROM dbsplit.services") == "0");
  for (const auto& [service, url] : urls) {
    INFO(service);
    CHECK_FALSE(answers_ready(url));
  }

  auto down_own = run_dbsplit(with({"rollback"}, {"--stage", "ownership"}));
  INFO(down_own.out << down_own.err);
  REQUIRE(down_own.exit_code == 0);
  CHECK(test::lines_of(down_own.out).back() == "Done: stage ownership rolled back (13 step(s)).");
  CHECK(count(db.url, kSvcRoles) == "0");
  CHECK(count(db.url, "SELECT count(*) FROM dbsplit.journal WHERE status = 'applied'") == "0");
  CHECK(test::live_fingerprint(db.url) == test::apply_sample_plan().fingerprint);
  auto nothing = run_dbsplit(with({"rollback"}, {"--stage", "ownership"}));
  CHECK(nothing.exit_code == 0);
  CHECK(nothing.out == "Stage ownership has no applied step: nothing to roll back.\n");
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}
