// `dbsplit consume PLAN --service NAME --db URL --nats URL`: keeps the caches the plan gives
// a service, filled from an exact snapshot and then kept by their sources' events, until
// stopped (docs/events.md "Consumers").
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cli/commands.hpp"
#include "core/events/consume.hpp"
#include "core/plan/json.hpp"

namespace dbsplit::cli {
namespace {

struct ConsumeCliOptions {
  std::string plan;
  events::ConsumeOptions options;
  bool fill_only = false;
};

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop = true; }

// Sums the applied batches into about one line a second per source.
class BatchLog {
 public:
  void add(const events::ConsumedBatch& b) {
    std::lock_guard<std::mutex> lock(mutex_);
    Totals& t = totals_[b.source];
    t.events += b.events;
    t.duplicates += b.duplicates;
    t.handled += b.handled;
    t.last_id = b.last_id;
    auto now = std::chrono::steady_clock::now();
    if (now - t.since < std::chrono::seconds(1)) return;
    std::string duplicates =
        t.duplicates == 0 ? "" : fmt::format(", {} already applied (skipped)", t.duplicates);
    std::cerr << fmt::format("applied {} event{} of {} ({} changes to caches{}), last {}\n",
                             t.events, t.events == 1 ? "" : "s", b.source, t.handled, duplicates,
                             t.last_id);
    t = Totals{};
    t.since = now;
  }

 private:
  struct Totals {
    std::size_t events = 0, duplicates = 0, handled = 0;
    std::string last_id;
    std::chrono::steady_clock::time_point since{};
  };
  std::mutex mutex_;
  std::map<std::string, Totals> totals_;
};

int run_consume(ConsumeCliOptions& o) {
  plan::Plan plan = plan::read_plan_file(o.plan);
  if (o.fill_only) {
    for (const auto& f : events::fill_targets(plan, o.options))
      std::cerr << fmt::format("filled {} with {} rows as of {}\n", f.name, f.rows,
                               events::format_lsn(f.position));
    return 0;
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  auto batches = std::make_shared<BatchLog>();
  events::ConsumerLog log;
  log.line = [](const std::string& line) { std::cerr << line << "\n"; };
  log.batch = [batches](const events::ConsumedBatch& b) { batches->add(b); };
  events::consume(plan, o.options, g_stop, log);
  return 0;
}

}  // namespace

void add_consume_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ConsumeCliOptions>();
  auto* cmd = app.add_subcommand(
      "consume", "Keep a service's caches of other services' tables, fed by their change events");
  cmd->add_option("PLAN", opts->plan, "Plan file (from `dbsplit plan`)")->required();
  cmd->add_option("--service", opts->options.holder, "Service whose caches to keep")->required();
  cmd->add_option("--db", opts->options.db_url, "URL of the service's database")->required();
  cmd->add_option("--source-db", opts->options.source_db_url,
                  "URL of the database holding the source tables (default: --db, the shared "
                  "database)");
  opts->options.nats_url = "nats://127.0.0.1:4222";
  cmd->add_option("--nats", opts->options.nats_url,
                  "NATS server URL with JetStream (default nats://127.0.0.1:4222)");
  cmd->add_option("--batch", opts->options.batch, "Events per transaction (default 500)")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("--fill-only", opts->fill_only,
                "Create and fill the caches not filled yet, then exit");
  cmd->footer(
      "Fills each cache the plan gives the service (only the columns it reads plus the key)\n"
      "from a temporary slot's snapshot of the source, then applies the source tables' events\n"
      "from that snapshot's position on: each fetched batch in one transaction together with\n"
      "its event ids in dbsplit_inbox.<service> (a repeat is skipped), acknowledged after the\n"
      "commit. Every cache row keeps the version of the event that wrote it; an older event\n"
      "never overwrites it. Needs each source service's relay (`dbsplit relay`). Stops cleanly\n"
      "on SIGTERM or SIGINT.\n\n"
      "Example:\n"
      "  dbsplit consume plan.json --service billing --db postgresql://postgres@db/shop \\\n"
      "      --nats \"$NATS\"");
  cmd->callback([&action, opts] { action = [opts] { return run_consume(*opts); }; });
}

}  // namespace dbsplit::cli
