#pragma once
// What the apply/status/rollback tests share: the sample shop loaded once per test process
// and copied (CREATE DATABASE ... TEMPLATE) into a fresh database per test case, the
// committed sample plan, the real dbsplit binary run with stdout and stderr apart, and a
// guard that stops the `dbsplit serve` processes a failed test would leave behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "core/plan/check_run.hpp"
#include "core/plan/json.hpp"
#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {

inline std::string apply_plan_path() { return source_dir() + "/plans/sample-monolith/plan.json"; }

inline const plan::Plan& apply_sample_plan() {
  static const plan::Plan p = plan::read_plan_file(apply_plan_path());
  return p;
}

// A scratch directory of this test process.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("dbsplit-apply-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d.string();
  }();
  return dir;
}

// A new database holding the sample shop (scale 1); returns its URL and name.
struct SampleDb {
  std::string url;
  std::string name;
};
inline SampleDb sample_copy(const std::string& prefix) {
  static const std::string template_name = [] {
    std::string url = fresh_database("applytemplate");
    auto loaded = run_process({"bash", source_dir() + "/sample-monolith/load.sh", url});
    INFO(loaded.output);
    REQUIRE(loaded.exit_code == 0);
    return url.substr(url.rfind('/') + 1);
  }();
  static std::atomic<int> counter{0};
  std::string name = prefix + "_" + std::to_string(++counter);
  exec_sql(cluster().url("postgres"),
           "CREATE DATABASE " + name + " TEMPLATE \"" + template_name + "\"");
  return {cluster().url(name), name};
}

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the dbsplit binary with the arguments and waits for it.
inline CliRun run_dbsplit(const std::vector<std::string>& args) {
  static std::atomic<int> counter{0};
  std::string base = scratch_dir() + "/run" + std::to_string(++counter);
  std::vector<std::string> argv = {std::getenv("DBSPLIT_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int out = open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file_or_empty(base + ".out"),
          read_file_or_empty(base + ".err")};
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline std::string scalar_text(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  auto r = tx.exec1(sql);
  return r[0].is_null() ? "NULL" : r[0].c_str();
}

// The live schema's fingerprint, leaving out what plan check leaves out.
inline std::string live_fingerprint(const std::string& url) {
  plan::CheckDatabaseOptions options;
  options.db = url;
  return plan::check_plan_against_database(apply_sample_plan(), options).live_fingerprint;
}

// Stops the servers recorded in dbsplit.services when a test ends early.
class ServicesGuard {
 public:
  explicit ServicesGuard(std::string url) : url_(std::move(url)) {}
  ~ServicesGuard() {
    try {
      pqxx::connection conn(url_);
      pqxx::read_transaction tx(conn);
      if (tx.exec1("SELECT to_regclass('dbsplit.services') IS NULL")[0].as<bool>()) return;
      for (const auto& r : tx.exec("SELECT pid FROM dbsplit.services"))
        kill(r[0].as<int>(), SIGTERM);
    } catch (...) {
    }
  }

 private:
  std::string url_;
};

// The plan file with one step's member replaced (a hand edit), written to the scratch dir.
inline std::string edited_plan(const std::string& name, const std::string& step_id,
                               const std::string& pointer, const std::string& value) {
  nlohmann::ordered_json plan;
  std::ifstream(apply_plan_path()) >> plan;
  for (auto& stage : plan["stages"])
    for (auto& step : stage["steps"])
      if (step["id"] == step_id) step[nlohmann::ordered_json::json_pointer(pointer)] = value;
  std::string path = scratch_dir() + "/" + name + ".json";
  std::ofstream(path) << plan.dump(2) << "\n";
  return path;
}

}  // namespace dbsplit::test
