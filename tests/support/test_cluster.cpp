#include "tests/support/test_cluster.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>

#include "core/util/process.hpp"

namespace dbsplit::test {
namespace {

std::unique_ptr<pg::LocalInstance> g_cluster;
std::mutex g_mutex;
std::atomic<long> g_postmaster_pid{0};
std::atomic<int> g_database_counter{0};

// On SIGTERM/SIGINT (a ctest timeout, Ctrl-C) stop the server immediately; the
// directory is removed by cleanup_stale_instances on the next run.
void on_fatal_signal(int sig) {
  long pid = g_postmaster_pid.load();
  if (pid > 0) kill(static_cast<pid_t>(pid), SIGQUIT);
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

const pg::LocalInstance& cluster() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_cluster) {
    pg::cleanup_stale_instances();
    g_cluster = std::make_unique<pg::LocalInstance>(pg::LocalInstance::create_and_start());
    g_postmaster_pid =
        std::atol(read_file_or_empty(g_cluster->server_dir() + "/data/postmaster.pid").c_str());
    signal(SIGTERM, on_fatal_signal);
    signal(SIGINT, on_fatal_signal);
    std::atexit(shutdown_cluster);
  }
  return *g_cluster;
}

void shutdown_cluster() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_cluster) {
    try {
      g_cluster->destroy();
    } catch (...) {
      // At exit nothing can be reported; the next run cleans up what is left.
    }
    g_cluster.reset();
  }
}

std::string fresh_database(const std::string& prefix) {
  const auto& c = cluster();
  std::string name =
      prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++g_database_counter);
  exec_sql(c.url("postgres"), "CREATE DATABASE \"" + name + "\"");
  std::string url = c.url(name);
  exec_sql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  return url;
}

void exec_sql(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

}  // namespace dbsplit::test
