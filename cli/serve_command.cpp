// `dbsplit serve PLAN --service NAME --db URL --listen HOST:PORT`: one service's API from
// the plan, on its database (docs/serve.md).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "core/plan/json.hpp"
#include "core/runtime/server.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct ServeCliOptions {
  std::string plan;
  std::string listen = "127.0.0.1:8080";
  bool create_outbox = false;
  runtime::ServeOptions options;
};

// The request log on stderr: lines collect in memory and a writer thread writes them out
// every 50 ms (or at 64 KiB), so request threads neither make a write call each nor wait
// for one another's. At most the last 50 ms of lines are lost if the process is killed.
class StderrLog {
 public:
  StderrLog() {
    // Signals are for serve's waiting thread (SIGTERM stops it cleanly), never the writer:
    // it starts with every signal blocked.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    writer_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }
  ~StderrLog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
  }
  void line(const std::string& text) {
    bool full;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ += text;
      pending_ += '\n';
      full = pending_.size() >= kFlushBytes;
    }
    if (full) wake_.notify_one();
  }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  void run() {
    std::string out;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait_for(lock, std::chrono::milliseconds(50),
                     [this] { return stopping_ || pending_.size() >= kFlushBytes; });
      out.swap(pending_);
      bool last = stopping_;
      lock.unlock();
      for (size_t done = 0; done < out.size();) {
        ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
        if (n <= 0) break;  // stderr closed: the log is lost, serving goes on
        done += static_cast<size_t>(n);
      }
      out.clear();
      if (last) return;
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  bool stopping_ = false;
  std::thread writer_;
};

void parse_listen(const std::string& listen, runtime::ServeOptions& options) {
  auto colon = listen.rfind(':');
  int port = -1;
  try {
    if (colon != std::string::npos) port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
    throw UsageError("--listen " + listen + ": expected HOST:PORT, e.g. 127.0.0.1:8080");
  options.host = listen.substr(0, colon);
  options.port = port;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ServeCliOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve one service's API (JSON over HTTP) from the plan");
  cmd->add_option("PLAN", opts->plan, "Plan file (from `dbsplit plan`)")->required();
  cmd->add_option("--service", opts->options.service, "Service to serve")->required();
  cmd->add_option("--db", opts->options.db_url, "Database URL of the service's tables")->required();
  cmd->add_option("--listen", opts->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  cmd->add_option("--pool", opts->options.pool_size, "Database connections (default 4)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--lookups-in-flight", opts->options.lookups_in_flight,
                  "Coalesced GET-by-key statements of one resource running at once, per thread "
                  "(default 2)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--threads", opts->options.threads,
                  "Event-loop threads (default: one per two CPUs, at most --pool)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--create-outbox", opts->create_outbox,
                "Create dbsplit_outbox.<service> in the database when it is missing");
  cmd->footer(
      "Logs one line per request to stderr; stops cleanly on SIGTERM or SIGINT (exit 0).\n"
      "Every write also records an event in dbsplit_outbox.<service> in the same transaction.\n\n"
      "Example:\n"
      "  dbsplit serve plan.json --service orders --db postgresql://svc_orders@db/shop \\\n"
      "      --listen 127.0.0.1:8081 --create-outbox");
  cmd->callback([&action, opts] {
    action = [opts] {
      parse_listen(opts->listen, opts->options);
      opts->options.create_outbox = opts->create_outbox ? runtime::ServeOptions::CreateOutbox::yes
                                                        : runtime::ServeOptions::CreateOutbox::no;
      plan::Plan plan = plan::read_plan_file(opts->plan);
      StderrLog log;
      runtime::serve(plan, opts->options, [&log](const std::string& line) { log.line(line); });
      return 0;
    };
  });
}

}  // namespace dbsplit::cli
