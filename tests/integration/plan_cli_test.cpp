// `dbsplit plan show` and `plan` on bad input, with the real binary: a broken plan file is
// a usage error (exit 2) pointing at the place in the file, never a crash.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

std::string dbsplit_bin() {
  const char* bin = std::getenv("DBSPLIT_BIN");
  REQUIRE(bin != nullptr);
  return bin;
}

std::string sample_plan() {
  return read_file_or_empty(test::source_dir() + "/plans/sample-monolith/plan.json");
}

// Writes `text` to a file in a fresh temporary directory and returns its path.
std::string write_temp(const std::string& name, const std::string& text) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("dbsplit-plan-cli-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
  std::filesystem::create_directories(dir);
  std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("plan show prints the sample plan as a review document", "[plan]") {
  std::string path = test::source_dir() + "/plans/sample-monolith/plan.json";
  auto md = run_process({dbsplit_bin(), "plan", "show", path, "--format", "markdown"});
  CHECK(md.exit_code == 0);
  CHECK(md.output == read_file_or_empty(test::source_dir() + "/plans/sample-monolith/plan.md"));
  auto json = run_process({dbsplit_bin(), "plan", "show", path, "--format", "json"});
  CHECK(json.exit_code == 0);
  CHECK(json.output == sample_plan());
  auto text = run_process({dbsplit_bin(), "plan", "show", path});
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("Stage 5: database") != std::string::npos);
}

TEST_CASE("a plan of another version is refused with exit 2", "[plan]") {
  std::string path =
      write_temp("plan.json", replace(sample_plan(), "\"version\": 1", "\"version\": 2"));
  auto r = run_process({dbsplit_bin(), "plan", "show", path});
  CHECK(r.exit_code == 2);
  CHECK(r.output ==
        "dbsplit: error: " + path +
            ": /version: plan version 2 is not supported by dbsplit 0.1.0 (supports 1)\n");
}

TEST_CASE("a truncated plan is refused with its line and column", "[plan]") {
  std::string plan = sample_plan();
  std::string path = write_temp("plan.json", plan.substr(0, 120));
  auto r = run_process({dbsplit_bin(), "plan", "show", path});
  CHECK(r.exit_code == 2);
  CHECK(r.output.rfind("dbsplit: error: " + path + ":", 0) == 0);
  CHECK(r.output.find(": not valid JSON: ") != std::string::npos);
  CHECK(r.output.find("the file looks truncated\n") != std::string::npos);
}

TEST_CASE("a hand-broken plan names the JSON pointer", "[plan]") {
  std::string broken = replace(sample_plan(), "\"role\": \"svc_accounts\"", "\"role\": 42");
  std::string path = write_temp("plan.json", broken);
  auto r = run_process({dbsplit_bin(), "plan", "show", path});
  CHECK(r.exit_code == 2);
  CHECK(r.output ==
        "dbsplit: error: " + path + ": /services/0/role: expected a string, found a number\n");
}

TEST_CASE("a plan whose service names an unknown table is refused", "[plan]") {
  std::string broken = replace(sample_plan(), "\"public.addresses\"", "\"public.nope\"");
  std::string path = write_temp("plan.json", broken);
  auto r = run_process({dbsplit_bin(), "plan", "show", path});
  CHECK(r.exit_code == 2);
  CHECK(r.output == "dbsplit: error: " + path +
                        ": /services/0/tables/0: table \"public.nope\" is not in the plan's schema "
                        "snapshot; name tables as \"schema.table\" of the database the plan was "
                        "made from\n");
}

TEST_CASE("plan needs exactly one input", "[plan]") {
  auto r = run_process({dbsplit_bin(), "plan", "-o", "/tmp/never.json"});
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("give exactly one of --from-analysis FILE and --db URL") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists("/tmp/never.json"));
}

TEST_CASE("the sample plan is valid against docs/plan.schema.json", "[plan]") {
  std::string ajv = test::source_dir() + "/.tools/node_modules/.bin/ajv";
  INFO("run scripts/install-test-tools.sh to install ajv-cli");
  REQUIRE(std::filesystem::exists(ajv));
  std::string schema = test::source_dir() + "/docs/plan.schema.json";
  auto ok = run_process({ajv, "validate", "--spec=draft2020", "-s", schema, "-d",
                         test::source_dir() + "/plans/sample-monolith/plan.json"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find(" valid") != std::string::npos);
  // The schema is not a formality: a step without its action fails it.
  std::string broken = replace(sample_plan(), "\"action\": {", "\"actions\": {");
  auto bad = run_process(
      {ajv, "validate", "--spec=draft2020", "-s", schema, "-d", write_temp("plan.json", broken)});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("invalid") != std::string::npos);
}

TEST_CASE("plan from a missing analysis file or with pins but no database is a usage error",
          "[plan]") {
  auto missing = run_process({dbsplit_bin(), "plan", "--from-analysis", "/nonexistent/a.json"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output ==
        "dbsplit: error: cannot read the analysis file /nonexistent/a.json; make one with `dbsplit "
        "analyze --db URL --format json -o /nonexistent/a.json`\n");
  auto pins = run_process(
      {dbsplit_bin(), "plan", "--from-analysis", "/nonexistent/a.json", "--pins", "p.json"});
  CHECK(pins.exit_code == 2);
  CHECK(pins.output.find("--pins needs --db") != std::string::npos);
}
