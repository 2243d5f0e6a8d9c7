// `dbsplit relay PLAN --service NAME --db URL --nats URL`: publishes every change of the
// service's tables, and its outbox's events, to its NATS JetStream stream until stopped
// (docs/events.md, docs/relay.md).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.hpp"
#include "core/events/capture.hpp"
#include "core/events/capture_relay.hpp"
#include "core/events/names.hpp"
#include "core/events/outbox_relay.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct RelayCliOptions {
  std::string plan;
  std::string db_url;
  std::string nats_url = "nats://127.0.0.1:4222";
  bool once = false;
  bool poll_outbox = false;
  bool drop = false;
  int poll_ms = 200;
  int heartbeat_seconds = 10;
  events::OutboxRelayOptions options;
};

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop = true; }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

void check_service(const plan::Plan& plan, const std::string& service) {
  if (plan.find_service(service) != nullptr) return;
  std::string names;
  for (const auto& s : plan.services) names += (names.empty() ? "" : ", ") + s.name;
  throw UsageError("the plan has no service '" + service + "'; its services: " + names);
}

void log_batch(const events::OutboxBatch& r, const std::string& stream, double ms) {
  std::string duplicates =
      r.duplicates == 0 ? "" : fmt::format(" ({} already in the stream)", r.duplicates);
  std::cerr << fmt::format("published {} event{} (ids {}..{}) to {}{} in {:.1f} ms\n", r.published,
                           r.published == 1 ? "" : "s", r.first_id, r.last_id, stream, duplicates,
                           ms);
}

int run_outbox_relay(RelayCliOptions& o) {
  std::string db_label = pg::redact(o.db_url);
  auto db = pg::connect(o.db_url, "--db");
  events::require_outbox(*db, o.options.service, db_label);
  events::JetStream broker(o.nats_url, {"dbsplit relay " + o.options.service});
  std::string stream = broker.ensure_stream(o.options.service);
  std::cerr << fmt::format("relaying {}.{} of {} to stream {} at {}\n", "dbsplit_outbox",
                           o.options.service, db_label, stream, broker.url());
  install_stop_handlers();
  while (!g_stop) {
    auto start = std::chrono::steady_clock::now();
    events::OutboxBatch r = events::relay_outbox_once(*db, broker, o.options);
    if (r.published > 0) {
      std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
      log_batch(r, stream, took.count());
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

int run_drop(const RelayCliOptions& o) {
  auto db = pg::connect(o.db_url, "--db");
  std::string slot = events::capture_slot_name(o.options.service);
  if (events::drop_capture(*db, o.options.service) == events::Dropped::nothing)
    std::cerr << fmt::format("no slot or publication {} in {}: nothing to drop\n", slot,
                             pg::redact(o.db_url));
  else
    std::cerr << fmt::format("dropped the slot and publication {} of {}\n", slot,
                             pg::redact(o.db_url));
  return 0;
}

int run_capture(const RelayCliOptions& o, const plan::Plan& plan) {
  const std::string& service = o.options.service;
  {
    auto db = pg::connect(o.db_url, "--db");
    events::CaptureSetup setup = events::prepare_capture(*db, plan, service);
    if (setup.publication_changed)
      std::cerr << fmt::format("publication {} holds {}{}\n", setup.slot,
                               pg::sql::join(setup.tables, ", "),
                               setup.outbox ? " and the outbox dbsplit_outbox." + service : "");
    if (setup.slot_created)
      std::cerr << fmt::format(
          "created the replication slot {}; changes from now on are "
          "published\n",
          setup.slot);
  }
  events::CaptureRelayOptions options;
  options.service = service;
  options.db_url = o.db_url;
  options.nats_url = o.nats_url;
  options.heartbeat_seconds = o.heartbeat_seconds;
  options.once =
      o.once ? events::CaptureRelayOptions::Once::yes : events::CaptureRelayOptions::Once::no;
  events::CaptureRelayLog log;
  std::string stream = events::stream_name(service);
  log.line = [](const std::string& line) { std::cerr << line << "\n"; };
  log.progress = [stream](const events::CaptureProgress& p) {
    std::string extra;
    if (p.duplicates > 0) extra += fmt::format(", {} already in the stream", p.duplicates);
    if (p.skipped_origin > 0)
      extra += fmt::format(", {} replicated transaction{} not republished", p.skipped_origin,
                           p.skipped_origin == 1 ? "" : "s");
    std::cerr << fmt::format("published {} event{} to {}, confirmed {} ({} transaction{}{})\n",
                             p.events, p.events == 1 ? "" : "s", stream,
                             events::format_lsn(p.confirmed), p.transactions,
                             p.transactions == 1 ? "" : "s", extra);
  };
  install_stop_handlers();
  events::run_capture_relay(options, g_stop, log);
  return 0;
}

int run_relay(RelayCliOptions& o) {
  plan::Plan plan = plan::read_plan_file(o.plan);
  check_service(plan, o.options.service);
  if (o.drop) return run_drop(o);
  if (o.poll_outbox) return run_outbox_relay(o);
  return run_capture(o, plan);
}

}  // namespace

void add_relay_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<RelayCliOptions>();
  auto* cmd = app.add_subcommand(
      "relay",
      "Publish every change of a service's tables and its outbox events to NATS JetStream");
  cmd->add_option("PLAN", opts->plan, "Plan file (from `dbsplit plan`)")->required();
  cmd->add_option("--service", opts->options.service, "Service whose changes to publish")
      ->required();
  cmd->add_option("--db", opts->db_url, "URL of the database holding the service's tables")
      ->required();
  cmd->add_option("--nats", opts->nats_url,
                  "NATS server URL with JetStream (default nats://127.0.0.1:4222)");
  cmd->add_flag("--once", opts->once, "Publish what is committed now, then exit");
  cmd->add_option("--heartbeat-s", opts->heartbeat_seconds,
                  "Seconds between heartbeats that keep an idle slot moving (default 10)")
      ->check(CLI::Range(1, 3600));
  cmd->add_flag(
      "--drop", opts->drop,
      "Drop the service's capture slot and publication (stop the relay first), then exit");
  cmd->add_flag("--poll-outbox", opts->poll_outbox,
                "Publish only the outbox table, by polling it (no replication slot needed)");
  cmd->add_option("--batch", opts->options.batch,
                  "--poll-outbox: events per transaction (default 100)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--poll-ms", opts->poll_ms,
                  "--poll-outbox: milliseconds between polls when nothing is pending (default 200)")
      ->check(CLI::Range(1, 600000));
  cmd->footer(
      "Creates (when missing) the publication and logical replication slot\n"
      "dbsplit_capture_<service> over the service's tables and dbsplit_outbox.<service>, then\n"
      "streams the slot: every inserted, updated or deleted row becomes one message on\n"
      "dbsplit.<service>.<table>.<inserted|updated|deleted> of stream DBSPLIT_<SERVICE>, every\n"
      "outbox row the event it holds, in commit order, with message id\n"
      "<instance>-<commit LSN>-<position>. The slot moves only past what JetStream acknowledged.\n"
      "Needs wal_level=logical and a user with REPLICATION. Stops cleanly on SIGTERM or SIGINT.\n\n"
      "Examples:\n"
      "  NATS=$(dbsplit local nats start --dir .dbsplit/nats)   # or your own nats-server -js\n"
      "  dbsplit relay plan.json --service orders --db postgresql://postgres@db/shop \\\n"
      "      --nats \"$NATS\"\n"
      "  dbsplit relay plan.json --service orders --db \"$SHOP\" --nats \"$NATS\" --once\n"
      "  dbsplit relay plan.json --service orders --db \"$SHOP\" --drop");
  cmd->callback([&action, opts] { action = [opts] { return run_relay(*opts); }; });
}

}  // namespace dbsplit::cli
