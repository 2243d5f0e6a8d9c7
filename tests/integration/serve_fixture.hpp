#pragma once
// The sample shop in a fresh database and a plan of it for the generate/serve/contract
// tests: the services of sample-monolith/README.md, made with plan::build_plan from an
// analysis written by hand (ownership as the README documents it) plus the rare
// cross-service reads the plan replaces with API composition.
#include <httplib.h>

#include <chrono>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "core/catalog/introspect.hpp"
#include "core/plan/builder.hpp"
#include "core/plan/json.hpp"
#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {

inline const std::map<std::string, std::vector<std::string>>& sample_services() {
  static const std::map<std::string, std::vector<std::string>> services = {
      {"accounts", {"public.addresses", "public.legacy_coupons", "public.users"}},
      {"billing", {"public.invoices", "public.payments"}},
      {"catalog", {"public.categories", "public.price_history", "public.products"}},
      {"inventory", {"public.stock", "public.stock_movements", "public.warehouses"}},
      {"orders", {"public.order_items", "public.orders"}},
      {"shipping", {"public.carriers", "public.shipments"}}};
  return services;
}

inline analysis::Dependency api_read(std::string consumer, std::string owner, std::string table,
                                     std::vector<std::string> columns,
                                     std::vector<std::string> filters, std::string statement) {
  analysis::Dependency d;
  d.kind = analysis::DependencyKind::read;
  d.consumer = consumer;
  d.owner = std::move(owner);
  d.module = std::move(consumer);
  d.tables = {std::move(table)};
  d.columns = std::move(columns);
  d.filter_columns = std::move(filters);
  d.statement = std::move(statement);
  d.calls = 25;
  d.pattern = analysis::Pattern::api_composition;
  d.rationale = "rare read needing fresh data";
  return d;
}

// Loads the sample at scale 1 into a fresh database; returns its URL.
inline std::string load_sample_database() {
  std::string url = fresh_database("shop");
  auto loaded =
      run_process({"bash", source_dir() + "/sample-monolith/load.sh", url, "--scale", "1"});
  if (loaded.exit_code != 0) throw std::runtime_error("load.sh failed: " + loaded.output);
  return url;
}

inline plan::Plan sample_plan(const std::string& url) {
  pqxx::connection conn(url);
  analysis::Analysis a;
  a.schema = catalog::introspect(conn);
  a.database = a.schema.database;
  for (const auto& [service, tables] : sample_services()) {
    a.services.push_back({service, tables, {service}});
    for (const auto& t : tables) {
      a.tables.push_back({t, service, analysis::Signal::pin, 1.0, "pinned by the test"});
      a.matrix.push_back({service, t, 10, 10, 0});
    }
  }
  a.matrix.push_back({"accounts", "public.orders", 25, 0, 0});
  a.matrix.push_back({"billing", "public.users", 30, 0, 0});
  a.dependencies = {
      api_read(
          "accounts", "orders", "public.orders", {"status", "user_id"}, {"status", "user_id"},
          "SELECT count(*) AS open_orders FROM orders WHERE user_id = $1 AND status IN ($2, $3)"),
      api_read("billing", "accounts", "public.users", {"email", "name"}, {"id"},
               "SELECT name, email FROM users WHERE id = $1")};
  a.total_calls = 1000;
  return plan::build_plan(a);
}

// Waits until `dbsplit serve` answers /health (or gives up after ~20 s).
inline bool wait_for_health(int port) {
  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < 200; ++i) {
    if (auto res = client.Get("/health"); res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace dbsplit::test

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dbsplit::test {

// `dbsplit serve` running in the background, its stderr in a file; stopped with SIGTERM.
class ServeProcess {
 public:
  ServeProcess(const std::vector<std::string>& args, const std::string& log_path) : log_(log_path) {
    std::vector<std::string> argv = {std::getenv("DBSPLIT_BIN") ? std::getenv("DBSPLIT_BIN")
                                                                : "dbsplit"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 2);
      dup2(fd, 1);
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() {
    if (pid_ > 0) stop();
  }
  // SIGTERM and wait; returns the exit code (-signal when killed by one).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
  }
  // Exit code when it has already exited by itself, else nullopt.
  std::optional<int> exited() {
    if (pid_ <= 0) return exit_code_;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
  }
  std::string log() const { return read_file_or_empty(log_); }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_;
};

// `dbsplit serve` of one service of a plan file on a free port (with --create-outbox
// unless `extra` says otherwise), its output in `log`; stopped when destroyed.
struct Served {
  int port;
  ServeProcess process;
  Served(const std::string& plan_path, const std::string& service, const std::string& url,
         const std::string& log, std::vector<std::string> extra = {"--create-outbox"})
      : port(pg::free_port()), process(args(plan_path, service, url, port, extra), log) {}
  static std::vector<std::string> args(const std::string& plan_path, const std::string& service,
                                       const std::string& url, int port,
                                       std::vector<std::string> extra) {
    std::vector<std::string> a = {
        "serve", plan_path, "--service", service,
        "--db",  url,       "--listen",  "127.0.0.1:" + std::to_string(port)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace dbsplit::test
