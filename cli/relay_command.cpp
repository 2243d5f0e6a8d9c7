// `dbsplit relay PLAN --service NAME --db URL --nats URL`: publishes the service's outbox to
// its NATS JetStream stream until stopped (docs/relay.md).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/json.hpp"
#include "core/relay/relay.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct RelayCliOptions {
  std::string plan;
  std::string db_url;
  std::string nats_url = "nats://127.0.0.1:4222";
  bool once = false;
  int poll_ms = 200;
  relay::RelayOptions options;
};

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

void check_service(const plan::Plan& plan, const std::string& service) {
  if (plan.find_service(service) != nullptr) return;
  std::string names;
  for (const auto& s : plan.services) names += (names.empty() ? "" : ", ") + s.name;
  throw UsageError("the plan has no service '" + service + "'; its services: " + names);
}

void log_batch(const relay::BatchResult& r, const relay::Broker& broker, double ms) {
  std::string duplicates =
      r.duplicates == 0 ? "" : fmt::format(" ({} already in the stream)", r.duplicates);
  std::cerr << fmt::format("published {} event{} (ids {}..{}) to {}{} in {:.1f} ms\n", r.published,
                           r.published == 1 ? "" : "s", r.first_id, r.last_id, broker.stream(),
                           duplicates, ms);
}

int run_relay(RelayCliOptions& o) {
  check_service(plan::read_plan_file(o.plan), o.options.service);
  std::string db_label = pg::redact(o.db_url);
  auto db = pg::connect(o.db_url, "--db");
  relay::require_outbox(*db, o.options.service, db_label);
  relay::Broker broker(o.nats_url, o.options.service);
  std::cerr << fmt::format("relaying {}.{} of {} to stream {} at {}\n", "dbsplit_outbox",
                           o.options.service, db_label, broker.stream(),
                           relay::redact_nats_url(o.nats_url));

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  while (!g_stop) {
    auto start = std::chrono::steady_clock::now();
    relay::BatchResult r = relay::relay_once(*db, broker, o.options);
    if (r.published > 0) {
      std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
      log_batch(r, broker, took.count());
    }
    // A full batch means more may be pending: go on at once.
    if (r.published >= static_cast<size_t>(o.options.batch)) continue;
    if (o.once) break;
    // Sleep in short steps: the stop signal may land on one of cnats' threads.
    for (int slept = 0; slept < o.poll_ms && !g_stop; slept += 20)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20, o.poll_ms - slept)));
  }
  return 0;
}

}  // namespace

void add_relay_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<RelayCliOptions>();
  auto* cmd = app.add_subcommand(
      "relay", "Publish a service's outbox events to NATS JetStream (at least once, in order)");
  cmd->add_option("PLAN", opts->plan, "Plan file (from `dbsplit plan`)")->required();
  cmd->add_option("--service", opts->options.service, "Service whose outbox to publish")
      ->required();
  cmd->add_option("--db", opts->db_url, "Database URL holding dbsplit_outbox.<service>")
      ->required();
  cmd->add_option("--nats", opts->nats_url,
                  "NATS server URL with JetStream (default nats://127.0.0.1:4222)");
  cmd->add_option("--batch", opts->options.batch, "Events per transaction (default 100)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--poll-ms", opts->poll_ms,
                  "Milliseconds between polls when nothing is pending (default 200)")
      ->check(CLI::Range(1, 600000));
  cmd->add_flag("--once", opts->once, "Publish what is pending, then exit");
  cmd->footer(
      "Publishes each row of dbsplit_outbox.<service> to stream DBSPLIT_<SERVICE> (created when\n"
      "missing), subject dbsplit.<service>.<table>.<change>, with message id = outbox id, and\n"
      "marks it published only after JetStream acknowledged it. One line per batch on stderr;\n"
      "stops cleanly on SIGTERM or SIGINT (exit 0).\n\n"
      "Examples:\n"
      "  NATS=$(dbsplit local nats start --dir .dbsplit/nats)   # or your own nats-server -js\n"
      "  dbsplit relay plan.json --service orders --db postgresql://svc_orders@db/shop \\\n"
      "      --nats \"$NATS\" --once");
  cmd->callback([&action, opts] { action = [opts] { return run_relay(*opts); }; });
}

}  // namespace dbsplit::cli
