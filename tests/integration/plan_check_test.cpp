// `dbsplit plan check` with the real binary on the sample shop: it passes on the schema the
// committed plan was made from, and each kind of drift made on purpose gives its exact
// finding and exit 3. The database is left as it was: the check runs read-only.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

std::string dbsplit_bin() {
  const char* bin = std::getenv("DBSPLIT_BIN");
  REQUIRE(bin != nullptr);
  return bin;
}

const std::string& plan_path() {
  static const std::string path = test::source_dir() + "/plans/sample-monolith/plan.json";
  return path;
}

// The sample loaded once for the whole file; each test case undoes its drift.
const std::string& sample_url() {
  static const std::string url = [] {
    std::string u = test::fresh_database("plancheck");
    auto r = run_process({"bash", test::source_dir() + "/sample-monolith/load.sh", u});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    return u;
  }();
  return url;
}

ProcessResult check(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {dbsplit_bin(), "plan", "check",
                                   plan_path(),   "--db", sample_url()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv);
}

// "severity code: message" of each finding of a --format json run.
std::vector<std::string> findings(const ProcessResult& r) {
  std::vector<std::string> out;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.output);
  } catch (const std::exception&) {
    FAIL("not JSON: " << r.output);
  }
  for (const auto& f : j["findings"])
    out.push_back(f["severity"].get<std::string>() + " " + f["code"].get<std::string>() + ": " +
                  f["message"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("plan check passes on the schema the sample plan was made from", "[plan]") {
  auto r = check();
  CHECK(r.exit_code == 0);
  std::string fingerprint = nlohmann::json::parse(read_file_or_empty(plan_path()))["fingerprint"];
  CHECK(r.output ==
        "plan check " + plan_path() +
            ": 0 errors, 0 warnings, 0 info\n\nschema unchanged since the plan was made (" +
            fingerprint + ")\n");
  auto json = check({"--format", "json"});
  CHECK(json.exit_code == 0);
  CHECK(findings(json).empty());
}

TEST_CASE("a new cross-service foreign key is drift at error severity", "[plan]") {
  test::exec_sql(
      sample_url(),
      "ALTER TABLE shipments ADD CONSTRAINT shipments_user_id_fkey FOREIGN KEY (user_id) "
      "REFERENCES users (id)");
  auto r = check();
  auto json = check({"--format", "json"});
  test::exec_sql(sample_url(), "ALTER TABLE shipments DROP CONSTRAINT shipments_user_id_fkey");
  CHECK(r.exit_code == 3);
  CHECK(r.output.rfind(
            "plan check " + plan_path() + ": 1 error, 0 warnings, 0 info\n\nerror\n  DS208 ", 0) ==
        0);
  CHECK(r.output.find("\nschema fingerprint ") != std::string::npos);
  CHECK(json.exit_code == 3);
  CHECK(findings(json) ==
        std::vector<std::string>{
            "error DS208: foreign key shipments_user_id_fkey was added from public.shipments "
            "(service shipping) to public.users (service accounts), crossing a service boundary"});
}

TEST_CASE("a new table without an owner is drift at error severity", "[plan]") {
  test::exec_sql(sample_url(),
                 "CREATE TABLE gift_cards (id bigint PRIMARY KEY, code text NOT NULL)");
  auto r = check({"--format", "json"});
  test::exec_sql(sample_url(), "DROP TABLE gift_cards");
  CHECK(r.exit_code == 3);
  CHECK(findings(r) ==
        std::vector<std::string>{"error DS201: table public.gift_cards was added since "
                                 "the plan was made and has no owner"});
}

TEST_CASE("an altered column type is drift at error severity", "[plan]") {
  test::exec_sql(sample_url(), "ALTER TABLE carriers ALTER COLUMN base_rate_cents TYPE bigint");
  auto r = check({"--format", "json"});
  test::exec_sql(sample_url(), "ALTER TABLE carriers ALTER COLUMN base_rate_cents TYPE integer");
  CHECK(r.exit_code == 3);
  CHECK(findings(r) ==
        std::vector<std::string>{"error DS205: column public.carriers.base_rate_cents "
                                 "changed: type integer is now bigint"});
  CHECK(check().exit_code == 0);  // undone: no drift left behind
}

TEST_CASE("a new cross-service query in the workload is reported", "[plan]") {
  std::string log =
      "2026-01-05 10:00:00.001 UTC [101] user=billing db=shop app=billing vxid=3/1 xid=0: "
      "LOG:  statement: SELECT name, email FROM users WHERE id = 5\n"
      "2026-01-05 10:00:00.002 UTC [101] user=billing db=shop app=billing vxid=3/2 xid=0: "
      "LOG:  statement: SELECT name, price_cents FROM products WHERE id = 7\n";
  auto dir =
      std::filesystem::temp_directory_path() / ("dbsplit-plan-check-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "postgresql.log").string();
  std::ofstream(path) << log;
  auto r = check({"--log", path, "--format", "json"});
  std::filesystem::remove_all(dir);
  CHECK(r.exit_code == 3);
  // The planned read (billing's users cache) passes; the new one does not.
  CHECK(
      findings(r) ==
      std::vector<std::string>{
          "error DS220: module billing (service billing) reads public.products of service catalog "
          "with no planned pattern: SELECT name, price_cents FROM products WHERE id = $1"});
  CHECK(nlohmann::json::parse(r.output)["statements_checked"] == 2);
}

TEST_CASE("drift at warning severity is reported but passes the gate", "[plan]") {
  test::exec_sql(sample_url(), "ALTER TABLE carriers ADD COLUMN note text");
  auto r = check({"--format", "json"});
  test::exec_sql(sample_url(), "ALTER TABLE carriers DROP COLUMN note");
  CHECK(r.exit_code == 0);
  CHECK(findings(r) == std::vector<std::string>{"warning DS203: column public.carriers.note (text) "
                                                "was added since the plan was made"});
}

// Last: a dropped table cannot be undone cheaply.
TEST_CASE("a dropped table is drift at error severity", "[plan]") {
  test::exec_sql(sample_url(), "DROP TABLE legacy_coupons");
  auto r = check({"--format", "json"});
  CHECK(r.exit_code == 3);
  CHECK(findings(r) ==
        std::vector<std::string>{
            "error DS202: table public.legacy_coupons was dropped since the plan was made",
            "warning DS209: foreign key legacy_coupons_user_id_fkey of public.legacy_coupons was "
            "dropped since the plan was made"});
}
