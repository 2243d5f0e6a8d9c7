// `dbsplit analyze` as a user runs it: the real binary against a real database, with
// the exact error and exit code for each kind of bad input.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

ProcessResult dbsplit_run(std::vector<std::string> args) {
  const char* bin = std::getenv("DBSPLIT_BIN");
  REQUIRE(bin != nullptr);
  args.insert(args.begin(), bin);
  return run_process(args);
}

// A file in a fresh temporary directory, removed with it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/dbsplit_analyze_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { run_process({"rm", "-rf", path}); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path + "/" + name) << content;
    return path + "/" + name;
  }
  bool exists(const std::string& name) const {
    return ::access((path + "/" + name).c_str(), F_OK) == 0;
  }
};

const std::string kShopSchema =
    "CREATE TABLE users (id int PRIMARY KEY, name text);"
    "CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users(id));"
    "CREATE TABLE price_history (product_id int, price int);";

}  // namespace

TEST_CASE("an unreachable database is exit 1, names the URL and never prints the password") {
  auto r = dbsplit_run({"analyze", "--db", "postgresql://app:s3cret@127.0.0.1:1/shop"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.rfind("dbsplit: error: cannot connect to postgresql://app:***@127.0.0.1:1/shop "
                       "(--db): ",
                       0) == 0);
  CHECK(r.output.find("; check that the server is running and the URL is right\n") !=
        std::string::npos);
  CHECK(r.output.find("s3cret") == std::string::npos);
}

TEST_CASE("a database without pg_stat_statements is exit 1 saying how to enable it") {
  std::string url = test::fresh_database("nostats");
  test::exec_sql(url, "DROP EXTENSION pg_stat_statements;" + kShopSchema);
  std::string db = url.substr(url.rfind('/') + 1);
  auto r = dbsplit_run({"analyze", "--db", url});
  CHECK(r.exit_code == 1);
  CHECK(r.output ==
        "dbsplit: error: pg_stat_statements is not available in database " + db +
            ": add pg_stat_statements to shared_preload_libraries, restart, and run CREATE "
            "EXTENSION pg_stat_statements; or analyse a log file with --log FILE\n");
  auto schema_only = dbsplit_run({"analyze", "--db", url, "--no-stats", "--format", "json"});
  CHECK(schema_only.exit_code == 0);
}

TEST_CASE("an unreadable log file is exit 2 naming the file") {
  std::string url = test::fresh_database("nolog");
  test::exec_sql(url, kShopSchema);
  auto r = dbsplit_run({"analyze", "--db", url, "--log", "/nonexistent/postgresql.log"});
  CHECK(r.exit_code == 2);
  CHECK(r.output ==
        "dbsplit: error: cannot read log file /nonexistent/postgresql.log: No such file or "
        "directory\n");
}

TEST_CASE("a malformed pins file is exit 2 naming the file and the JSON pointer") {
  std::string url = test::fresh_database("badpins");
  test::exec_sql(url, kShopSchema);
  TempDir dir;
  std::string pins = dir.write("pins.json", R"({"services": [{"name": "accounts", "tables": 7}]})");
  auto r = dbsplit_run({"analyze", "--db", url, "--pins", pins, "-o", dir.path + "/out.json"});
  CHECK(r.exit_code == 2);
  CHECK(r.output == "dbsplit: error: pins file " + pins +
                        ": /services/0/tables: expected an array of \"schema.table\" names or "
                        "globs; a pins file is {\"services\": [{\"name\": \"orders\", \"tables\": "
                        "[\"public.order_*\"]}]} (see docs/analyze.md)\n");
  CHECK_FALSE(dir.exists("out.json"));  // nothing written on failure
}

TEST_CASE("a pin naming a table that does not exist is exit 2") {
  std::string url = test::fresh_database("unknownpin");
  test::exec_sql(url, kShopSchema);
  TempDir dir;
  std::string pins = dir.write("pins.json",
                               R"({"services": [{"name": "accounts", "tables": ["public.users"]},
                       {"name": "orders", "tables": ["public.orders", "public.nope"]}]})");
  auto r = dbsplit_run({"analyze", "--db", url, "--pins", pins});
  CHECK(r.exit_code == 2);
  CHECK(r.output == "dbsplit: error: pins file " + pins +
                        ": /services/1/tables/1: 'public.nope' matches no table; pins name "
                        "tables as \"schema.table\" (globs * and ? allowed); check the spelling "
                        "or remove the pin\n");
}

TEST_CASE("pins decide owners, -o writes the JSON file, --fail-on error exits 3") {
  std::string url = test::fresh_database("pinned");
  test::exec_sql(url, kShopSchema);
  TempDir dir;
  std::string pins =
      dir.write("pins.json", R"({"services": [{"name": "accounts", "tables": ["public.user*"]},
                                    {"name": "orders", "tables": ["public.orders"]}]})");
  auto r = dbsplit_run({"analyze", "--db", url, "--pins", pins, "--format", "json", "-o",
                        dir.path + "/analysis.json", "--fail-on", "error"});
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("dbsplit: findings at or above error severity (--fail-on error)") !=
        std::string::npos);
  std::ifstream in(dir.path + "/analysis.json");
  auto analysis = nlohmann::json::parse(in);
  CHECK(analysis["services"] == nlohmann::json::parse(R"([
    {"name": "accounts", "tables": ["public.users"], "modules": []},
    {"name": "orders", "tables": ["public.orders"], "modules": []},
    {"name": "price_history", "tables": ["public.price_history"], "modules": []}])"));
  CHECK(analysis["tables"][0]["signal"] == "pin");
  CHECK(analysis["tables"][0]["reason"] == "pinned to orders by the pins file");
  CHECK(analysis["findings"][0]["code"] == "DS110");
  CHECK(analysis["findings"][0]["severity"] == "error");
  CHECK(analysis["findings"][0]["objects"] == nlohmann::json::array({"public.price_history"}));

  auto warning_only = dbsplit_run(
      {"analyze", "--db", url, "--pins", pins, "--fail-on", "warning", "--format", "dot"});
  CHECK(warning_only.exit_code == 3);
  auto no_fail = dbsplit_run({"analyze", "--db", url, "--pins", pins, "--format", "markdown"});
  CHECK(no_fail.exit_code == 0);
  CHECK(no_fail.output.rfind("# Database split analysis: ", 0) == 0);
}

TEST_CASE("a log file is the workload with --no-stats, keeping only the analysed database") {
  std::string url = test::fresh_database("logged");
  test::exec_sql(url, kShopSchema);
  std::string db = url.substr(url.rfind('/') + 1);
  TempDir dir;
  std::string prefix = "2026-01-01 00:00:00.000 UTC [1] ";
  std::string log = dir.write(
      "postgresql.log",
      prefix + "user=orders db=" + db + " app=orders vxid=3/1 xid=0: LOG:  statement: " +
          "INSERT INTO orders (id, user_id) VALUES (1, 1)\n" + prefix + "user=accounts db=" + db +
          " app=accounts vxid=3/2 xid=0: LOG:  statement: UPDATE users SET name = 'x' WHERE id = "
          "1\n" +
          prefix + "user=billing db=elsewhere app=billing vxid=4/1 xid=0: LOG:  statement: " +
          "INSERT INTO orders (id, user_id) VALUES (2, 1)\n");
  auto r = dbsplit_run({"analyze", "--db", url, "--no-stats", "--log", log, "--format", "json",
                        "-o", dir.path + "/analysis.json"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(dir.path + "/analysis.json");
  auto analysis = nlohmann::json::parse(in);
  CHECK(analysis["summary"]["workload_sources"] == nlohmann::json::array({"log:" + log}));
  CHECK(analysis["matrix"] == nlohmann::json::parse(R"([
    {"module": "accounts", "table": "public.users", "read_calls": 0, "write_calls": 1, "lock_calls": 0},
    {"module": "orders", "table": "public.orders", "read_calls": 0, "write_calls": 1, "lock_calls": 0}])"));
  CHECK(analysis["tables"][0]["reason"] == "only orders writes it (1 call)");
}

TEST_CASE("bad option values are usage errors") {
  auto r = dbsplit_run({"analyze", "--db", "postgresql://x@127.0.0.1:1/x", "--format", "yaml"});
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--format: yaml not in {text,json,markdown,dot}") != std::string::npos);
  auto map = dbsplit_run(
      {"analyze", "--db", "postgresql://x@127.0.0.1:1/x", "--module-map", "svc_orders"});
  CHECK(map.exit_code == 2);
  CHECK(map.output ==
        "dbsplit: error: --module-map 'svc_orders': expected ROLE_OR_APP=MODULE, "
        "e.g. svc_orders=orders\n");
}
