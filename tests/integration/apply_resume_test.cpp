// `dbsplit apply` when things go wrong, with the real binary on the sample shop: a step
// whose verification fails leaves nothing behind and the rerun skips what was applied; a
// step edited after it was applied is refused, and rollback undoes what was applied, not
// what the edited plan says; a second apply while one runs fails fast naming it.
#include "core/apply/journal.hpp"
#include "core/apply/lock.hpp"
#include "tests/integration/apply_fixture.hpp"

using namespace dbsplit;
using test::run_dbsplit;

namespace {

const plan::Step& sample_step(const plan::Plan& p, const std::string& id) {
  for (const auto& stage : p.stages)
    for (const auto& step : stage.steps)
      if (step.id == id) return step;
  FAIL("no step " << id);
  throw;
}

std::string q(const std::string& url, const std::string& sql) {
  return test::scalar_text(url, sql);
}

// `dbsplit apply` running in the background (stdout and stderr to files).
struct Background {
  pid_t pid = -1;
  std::string out, err;
  explicit Background(const std::vector<std::string>& args) {
    out = test::scratch_dir() + "/background.out";
    err = test::scratch_dir() + "/background.err";
    std::vector<std::string> argv = {std::getenv("DBSPLIT_BIN")};
    argv.insert(argv.end(), args.begin(), args.end());
    pid = fork();
    if (pid == 0) {
      dup2(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
      dup2(open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~Background() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST_CASE("a failed verification keeps nothing of its step; the rerun skips the applied ones",
          "[apply]") {
  auto db = test::sample_copy("applyresume");
  // A hand edit that makes grant.orders' verification fail: TRUNCATE is never granted.
  std::string broken =
      test::edited_plan("broken-verify", "ownership.grant.orders", "/verify/sql",
                        "SELECT 'public.orders' AS name, 'TRUNCATE' AS privilege WHERE NOT "
                        "has_table_privilege('svc_orders', 'public.orders', 'TRUNCATE')");
  auto r = run_dbsplit({"apply", broken, "--db", db.url, "--stage", "ownership"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "dbsplit: error: step ownership.grant.orders failed its verification: it returned 1 "
        "row(s) where none were expected; the first: "
        "{\"name\":\"public.orders\",\"privilege\":\"TRUNCATE\"}; its transaction was rolled "
        "back, so nothing of it was kept; fix the cause, then run `dbsplit apply " +
            broken + " --db " + db.url +
            " --stage ownership` again: the steps already applied are skipped\n");
  auto lines = test::lines_of(r.out);
  REQUIRE(lines.size() == 13);
  CHECK(lines[10] == "ownership.grant.inventory: applied, verified");
  CHECK(lines[11] == "ownership.grant.orders: failed");
  CHECK(lines[12] ==
        "Stopped at step ownership.grant.orders: 11 applied and 0 skipped (already applied) "
        "before it.");
  // Nothing of the failed step stayed; the steps before it did.
  CHECK(q(db.url, "SELECT has_table_privilege('svc_orders', 'public.orders', 'SELECT')") == "f");
  CHECK(q(db.url, "SELECT has_table_privilege('svc_inventory', 'public.stock', 'SELECT')") == "t");
  CHECK(q(db.url, "SELECT count(*) FROM dbsplit.journal") == "11");
  CHECK(q(db.url,
          "SELECT count(*) FROM dbsplit.journal WHERE step_id = 'ownership.grant.orders'") == "0");

  // Fixed (the committed plan): the 11 are verified again, not run; the other two run.
  auto fixed =
      run_dbsplit({"apply", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  INFO(fixed.out << fixed.err);
  REQUIRE(fixed.exit_code == 0);
  auto fixed_lines = test::lines_of(fixed.out);
  REQUIRE(fixed_lines.size() == 14);
  CHECK(fixed_lines[10] == "ownership.grant.inventory: skipped (already applied), verified");
  CHECK(fixed_lines[11] == "ownership.grant.orders: applied, verified");
  CHECK(fixed_lines[13] == "Done: 2 step(s) applied, 11 skipped (already applied); all verified.");
  CHECK(q(db.url, "SELECT has_table_privilege('svc_orders', 'public.orders', 'SELECT')") == "t");

  // A journaled step whose verification no longer holds is reported, not re-run.
  test::exec_sql(db.url, "REVOKE SELECT ON public.orders FROM svc_orders");
  auto drifted =
      run_dbsplit({"apply", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  CHECK(drifted.exit_code == 1);
  CHECK(drifted.err.rfind("dbsplit: error: step ownership.grant.orders was applied at ", 0) == 0);
  CHECK(drifted.err.find(" but its verification fails now: it returned 1 row(s) where none were "
                         "expected; the first: {\"name\":\"public.orders\",\"privilege\":"
                         "\"SELECT\"}; something changed it since: find what, or roll stage "
                         "ownership back (`dbsplit rollback ") != std::string::npos);
  test::exec_sql(db.url, "GRANT SELECT ON public.orders TO svc_orders");

  auto down =
      run_dbsplit({"rollback", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  REQUIRE(down.exit_code == 0);
  CHECK(test::live_fingerprint(db.url) == test::apply_sample_plan().fingerprint);
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}

TEST_CASE("a step edited after it was applied is refused; rollback undoes what was applied",
          "[apply]") {
  auto db = test::sample_copy("applyedit");
  auto applied =
      run_dbsplit({"apply", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  REQUIRE(applied.exit_code == 0);
  const plan::Step& original = sample_step(test::apply_sample_plan(), "ownership.grant.orders");
  std::string edited_path = test::edited_plan(
      "edited-action", "ownership.grant.orders", "/action/sql",
      original.action.sql + " GRANT SELECT ON TABLE public.carriers TO svc_orders;");
  plan::Plan edited = plan::read_plan_file(edited_path);
  std::string journal_sum = apply::step_checksum(original);
  std::string plan_sum = apply::step_checksum(sample_step(edited, "ownership.grant.orders"));
  REQUIRE(journal_sum != plan_sum);

  auto r = run_dbsplit({"apply", edited_path, "--db", db.url, "--stage", "ownership"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "dbsplit: error: step ownership.grant.orders was applied from a different "
        "version of its definition (journal " +
            journal_sum.substr(0, 19) + "…, plan " + plan_sum.substr(0, 19) +
            "…): the plan was edited after the step ran. Roll stage ownership back "
            "first (`dbsplit rollback " +
            edited_path + " --db " + db.url +
            " --stage ownership` runs the rollbacks recorded when its steps were "
            "applied), then apply it again\n");
  CHECK(test::lines_of(r.out)[11] == "ownership.grant.orders: failed");
  CHECK(q(db.url, "SELECT has_table_privilege('svc_orders', 'public.carriers', 'SELECT')") == "f");
  // A later stage is refused with the same reason.
  auto apis = run_dbsplit({"apply", edited_path, "--db", db.url, "--stage", "apis"});
  CHECK(apis.exit_code == 1);
  CHECK(apis.err.rfind("dbsplit: error: step ownership.grant.orders was applied from a different "
                       "version of its definition",
                       0) == 0);

  // Rollback with the edited plan runs the journaled rollbacks: everything goes.
  auto down = run_dbsplit({"rollback", edited_path, "--db", db.url, "--stage", "ownership"});
  INFO(down.out << down.err);
  REQUIRE(down.exit_code == 0);
  CHECK(q(db.url, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'svc\\_%'") == "0");
  CHECK(test::live_fingerprint(db.url) == test::apply_sample_plan().fingerprint);
  // And the edited plan now applies.
  auto reapplied = run_dbsplit({"apply", edited_path, "--db", db.url, "--stage", "ownership"});
  REQUIRE(reapplied.exit_code == 0);
  CHECK(q(db.url, "SELECT has_table_privilege('svc_orders', 'public.carriers', 'SELECT')") == "t");
  REQUIRE(
      run_dbsplit({"rollback", edited_path, "--db", db.url, "--stage", "ownership"}).exit_code ==
      0);
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}

TEST_CASE("a second apply while one runs fails fast, naming the one that holds the lock",
          "[apply]") {
  auto db = test::sample_copy("applylock");
  {
    pqxx::connection conn(db.url);
    pqxx::work tx(conn);
    apply::ensure_journal(tx);
    tx.commit();
  }
  // The first apply takes the lock, then waits for the journal this session locks.
  pqxx::connection blocker(db.url);
  auto hold = std::make_unique<pqxx::work>(blocker);
  hold->exec("LOCK TABLE dbsplit.journal IN ACCESS EXCLUSIVE MODE");
  Background first({"apply", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});

  pqxx::connection watcher(db.url);
  std::string holder_pid, since;
  for (int i = 0; i < 600 && holder_pid.empty(); ++i) {
    pqxx::nontransaction tx(watcher);
    auto r = tx.exec_params(
        "SELECT a.pid, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.objid = ($1 & 4294967295)::oid AND a.datname = current_database()",
        apply::kApplyLockKey);
    if (!r.empty()) {
      holder_pid = r[0][0].c_str();
      since = r[0][1].c_str();
    } else {
      usleep(50000);
    }
  }
  REQUIRE_FALSE(holder_pid.empty());

  std::string expected =
      "dbsplit: error: another dbsplit holds the apply lock of database " + db.name +
      ": backend pid " + holder_pid + ", application_name 'dbsplit apply --stage ownership (pid " +
      std::to_string(first.pid) + ")', user postgres, connected since " + since +
      "; wait for it to finish (`dbsplit status` shows its progress), or, if it hangs, stop it "
      "(SELECT pg_terminate_backend(" +
      holder_pid + "))\n";
  auto second =
      run_dbsplit({"apply", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  CHECK(second.exit_code == 1);
  CHECK(second.out.empty());
  CHECK(second.err == expected);
  auto rollback =
      run_dbsplit({"rollback", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"});
  CHECK(rollback.exit_code == 1);
  CHECK(rollback.err == expected);

  hold->commit();  // the first apply goes on and finishes
  CHECK(first.wait() == 0);
  CHECK(test::lines_of(read_file_or_empty(first.out)).back() ==
        "Done: 13 step(s) applied, 0 skipped (already applied); all verified.");
  CHECK(q(db.url, "SELECT count(*) FROM dbsplit.journal WHERE status = 'applied'") == "13");
  REQUIRE(run_dbsplit({"rollback", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"})
              .exit_code == 0);
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}

TEST_CASE(
    "a server whose contract check fails is stopped and not journaled; the rerun "
    "keeps the others",
    "[apply]") {
  auto db = test::sample_copy("applyapis");
  test::ServicesGuard guard(db.url);
  std::string state = test::scratch_dir() + "/state-" + db.name;
  auto apply = [&](const std::string& stage) {
    return run_dbsplit(
        {"apply", test::apply_plan_path(), "--db", db.url, "--state-dir", state, "--stage", stage});
  };
  REQUIRE(apply("ownership").exit_code == 0);
  // The orders API serves as svc_orders; without its SELECT the endpoint answers 500.
  test::exec_sql(db.url, "REVOKE SELECT ON public.orders FROM svc_orders");
  auto r = apply("apis");
  CHECK(r.exit_code == 1);
  INFO(r.err);
  CHECK(r.err.rfind("dbsplit: error: step apis.serve.orders failed its verification: contract "
                    "check of orders: 1 difference(s): DS403 endpoint "
                    "orders.get_order_by_status_and_user_id with ",
                    0) == 0);
  CHECK(r.err.find(" failed: HTTP 500 ") != std::string::npos);
  CHECK(r.err.find("; its rollback ran (stopped the server of orders (pid ") != std::string::npos);
  CHECK(r.err.find("), so nothing of it was kept; fix the cause, then run `dbsplit apply " +
                   test::apply_plan_path() + " --db " + db.url +
                   " --stage apis` again: the steps already applied are skipped\n") !=
        std::string::npos);
  auto lines = test::lines_of(r.out);
  REQUIRE(lines.size() == 6);
  CHECK(lines[4] == "apis.serve.orders: failed");
  CHECK(q(db.url,
          "SELECT string_agg(step_id, ',' ORDER BY step_id) FROM dbsplit.journal "
          "WHERE stage = 'apis'") ==
        "apis.serve.accounts,apis.serve.billing,apis.serve.catalog,apis.serve.inventory");
  CHECK(q(db.url, "SELECT string_agg(service, ',' ORDER BY service) FROM dbsplit.services") ==
        "accounts,billing,catalog,inventory");
  std::string billing_pid = q(db.url, "SELECT pid FROM dbsplit.services WHERE service = 'billing'");

  test::exec_sql(db.url, "GRANT SELECT ON public.orders TO svc_orders");
  auto rerun = apply("apis");
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  auto rerun_lines = test::lines_of(rerun.out);
  REQUIRE(rerun_lines.size() == 7);
  CHECK(rerun_lines[1] ==
        "apis.serve.billing: skipped (already applied), verified (contract check of billing: 2 "
        "endpoint(s), 40 call(s), no difference)");
  CHECK(rerun_lines[4].rfind("apis.serve.orders: applied, verified (serving orders at ", 0) == 0);
  CHECK(rerun_lines[6] == "Done: 2 step(s) applied, 4 skipped (already applied); all verified.");
  CHECK(q(db.url, "SELECT pid FROM dbsplit.services WHERE service = 'billing'") == billing_pid);

  REQUIRE(run_dbsplit({"rollback", test::apply_plan_path(), "--db", db.url, "--stage", "apis"})
              .exit_code == 0);
  REQUIRE(run_dbsplit({"rollback", test::apply_plan_path(), "--db", db.url, "--stage", "ownership"})
              .exit_code == 0);
  CHECK(test::live_fingerprint(db.url) == test::apply_sample_plan().fingerprint);
  test::exec_sql(test::cluster().url("postgres"), "DROP DATABASE " + db.name + " WITH (FORCE)");
}
