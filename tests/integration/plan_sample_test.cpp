// Regenerating the sample plan from the sample database gives the committed bytes: the
// same steps as scripts/regenerate-sample-plan.sh, in a database named like the script's.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

// The first line where two texts differ, with its number, so a failure is readable (the
// whole plan is thousands of lines).
std::string first_difference(const std::string& made, const std::string& committed) {
  std::istringstream a(made), b(committed);
  std::string line_a, line_b;
  for (int n = 1;; ++n) {
    bool more_a = static_cast<bool>(std::getline(a, line_a));
    bool more_b = static_cast<bool>(std::getline(b, line_b));
    if (!more_a && !more_b) return "no difference";
    if (!more_a || !more_b || line_a != line_b)
      return "line " + std::to_string(n) + ": made `" + (more_a ? line_a : "<end>") +
             "`, committed `" + (more_b ? line_b : "<end>") + "`";
  }
}

}  // namespace

TEST_CASE("regenerating the sample plan gives a byte-identical file", "[plan]") {
  const char* bin = std::getenv("DBSPLIT_BIN");
  REQUIRE(bin != nullptr);
  const auto& cluster = test::cluster();
  test::exec_sql(cluster.url("postgres"), "CREATE DATABASE shop");
  std::string url = cluster.url("shop");
  test::exec_sql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  std::string sample = test::source_dir() + "/sample-monolith/";
  auto load = run_process({"bash", sample + "load.sh", url, "--scale", "1"});
  INFO(load.output);
  REQUIRE(load.exit_code == 0);
  test::exec_sql(url, "SELECT pg_stat_statements_reset()");
  auto workload =
      run_process({"bash", sample + "run-workload.sh", url, "--transactions", "2000", "--log",
                   "--serial"});
  INFO(workload.output);
  REQUIRE(workload.exit_code == 0);

  auto out =
      std::filesystem::temp_directory_path() / ("dbsplit-sample-plan-" + std::to_string(getpid()));
  std::filesystem::create_directories(out);
  std::string plan = (out / "plan.json").string();
  auto made =
      run_process({bin, "plan", "--db", url, "--log", cluster.dir() + "/server.log", "-o", plan});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  std::string committed =
      read_file_or_empty(test::source_dir() + "/plans/sample-monolith/plan.json");
  REQUIRE_FALSE(committed.empty());
  // On a difference, scripts/regenerate-sample-plan.sh rewrites the committed file.
  std::string made_text = read_file_or_empty(plan);
  INFO(first_difference(made_text, committed));
  CHECK((made_text == committed));

  // From an analysis file the plan is the same: the builder uses only what the file holds.
  std::string analysis = (out / "analysis.json").string(),
              from_file = (out / "plan2.json").string();
  auto analyzed = run_process({bin, "analyze", "--db", url, "--log", cluster.dir() + "/server.log",
                               "--format", "json", "-o", analysis});
  INFO(analyzed.output);
  REQUIRE(analyzed.exit_code == 0);
  auto planned = run_process({bin, "plan", "--from-analysis", analysis, "-o", from_file});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  std::string from_file_text = read_file_or_empty(from_file);
  INFO(first_difference(from_file_text, committed));
  CHECK((from_file_text == committed));

  auto md = run_process({bin, "plan", "show", plan, "--format", "markdown"});
  CHECK(md.output == read_file_or_empty(test::source_dir() + "/plans/sample-monolith/plan.md"));

  // The plan made from this database passes its own gate, workload included.
  auto check = run_process(
      {bin, "plan", "check", plan, "--db", url, "--log", cluster.dir() + "/server.log"});
  INFO(check.output);
  CHECK(check.exit_code == 0);
  std::filesystem::remove_all(out);
}
