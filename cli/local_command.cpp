// `dbsplit local`: start, stop and locate the local PostgreSQL instances dbsplit uses
// for the demo and as the embedded default for target databases, and (`local nats`) the
// local NATS JetStream server `dbsplit relay` publishes to.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "core/broker/local_nats.hpp"
#include "core/pg/local_instance.hpp"

namespace dbsplit::cli {
namespace {

struct LocalOptions {
  std::string dir;
  int port = 0;
  bool remove = false;
};

void add_local_nats_command(CLI::App& local, Action& action) {
  auto* nats = local.add_subcommand("nats", "Manage a local NATS server with JetStream");
  nats->require_subcommand(1);
  nats->footer(
      "The server runs `nats-server -js -sd DIR/jetstream -a 127.0.0.1 -p PORT` detached,\n"
      "logging to DIR/nats.log; its pid and port are kept in DIR/nats.pid and DIR/nats.port.\n\n"
      "Examples:\n"
      "  dbsplit local nats start --dir .dbsplit/nats    # prints nats://127.0.0.1:PORT\n"
      "  dbsplit relay plan.json --service orders --db URL \\\n"
      "      --nats \"$(dbsplit local nats url --dir .dbsplit/nats)\"\n"
      "  dbsplit local nats stop --dir .dbsplit/nats --remove");
  auto opts = std::make_shared<LocalOptions>();

  auto* start = nats->add_subcommand(
      "start", "Start a NATS server in DIR (or find the running one); print its URL on stdout");
  start->add_option("--dir", opts->dir, "Directory of the server's store, log and pid")->required();
  start->add_option("--port", opts->port, "TCP port on 127.0.0.1 (default: a free one)")
      ->check(CLI::Range(1, 65535));
  start->callback([&action, opts] {
    action = [opts] {
      broker::LocalNatsOptions options;
      options.dir = opts->dir;
      options.port = opts->port;
      std::cout << broker::start_local_nats(options) << "\n";
      return 0;
    };
  });

  auto* url = nats->add_subcommand("url", "Print the URL of the NATS server running in DIR");
  url->add_option("--dir", opts->dir, "Directory of the server")->required();
  url->callback([&action, opts] {
    action = [opts] {
      std::cout << broker::local_nats_url(opts->dir) << "\n";
      return 0;
    };
  });

  auto* stop = nats->add_subcommand("stop", "Stop the NATS server in DIR (keeps its store)");
  stop->add_option("--dir", opts->dir, "Directory of the server")->required();
  stop->add_flag("--remove", opts->remove, "Also delete the directory and its stored streams");
  stop->callback([&action, opts] {
    action = [opts] {
      broker::stop_local_nats(opts->dir, opts->remove ? broker::Remove::yes : broker::Remove::no);
      return 0;
    };
  });
}

}  // namespace

void add_local_command(CLI::App& app, Action& action) {
  auto* local =
      app.add_subcommand("local", "Manage local PostgreSQL 15 instances and a local NATS server");
  local->require_subcommand(1);
  local->footer(
      "Examples:\n"
      "  dbsplit local start --dir .dbsplit/monolith     # initdb + start, prints the URL\n"
      "  dbsplit local url --dir .dbsplit/monolith\n"
      "  dbsplit local stop --dir .dbsplit/monolith --remove\n"
      "  dbsplit local nats start --dir .dbsplit/nats     # JetStream for `dbsplit relay`\n\n"
      "As root the server runs as the postgres user. When that user cannot reach DIR (a\n"
      "private parent such as /root or a `mktemp -d` directory), the server's files are kept\n"
      "in /var/lib/dbsplit/instances/<name from DIR>-XXXXXX instead, DIR/server.location\n"
      "records where, and DIR/server.log links to the log; start says so once on stderr, and\n"
      "url, stop and stop --remove work through DIR as usual.");
  auto opts = std::make_shared<LocalOptions>();

  auto* start = local->add_subcommand(
      "start", "Create (if needed) and start an instance in DIR; print its URL on stdout");
  start->add_option("--dir", opts->dir, "Directory of the instance")->required();
  start->add_option("--port", opts->port, "TCP port on 127.0.0.1 (default: a free one)");
  start->callback([&action, opts] {
    action = [opts] {
      std::string dir = std::filesystem::absolute(opts->dir).string();
      if (pg::LocalInstance::exists(dir)) {
        std::cout << pg::LocalInstance::open(dir).url() << "\n";
        return 0;
      }
      pg::LocalInstanceOptions options;
      options.dir = dir;
      options.port = opts->port;
      options.lifetime = pg::LocalInstanceOptions::Lifetime::persistent;
      auto instance = pg::LocalInstance::create_and_start(options);
      if (!instance.relocation_note().empty())
        std::cerr << "dbsplit: note: " << instance.relocation_note()
                  << "; `dbsplit local stop --dir " << dir << " --remove` removes both\n";
      std::cout << instance.url() << "\n";
      return 0;
    };
  });

  auto* url = local->add_subcommand("url", "Print the URL of the instance in DIR");
  url->add_option("--dir", opts->dir, "Directory of the instance")->required();
  url->callback([&action, opts] {
    action = [opts] {
      std::cout << pg::LocalInstance::open(opts->dir, pg::LocalInstance::StartIfStopped::no).url()
                << "\n";
      return 0;
    };
  });

  add_local_nats_command(*local, action);

  auto* stop = local->add_subcommand("stop", "Stop the instance in DIR (keeps its data)");
  stop->add_option("--dir", opts->dir, "Directory of the instance")->required();
  stop->add_flag("--remove", opts->remove,
                 "Also delete the directory and its data (wherever it is kept)");
  stop->callback([&action, opts] {
    action = [opts] {
      auto instance = pg::LocalInstance::open(opts->dir, pg::LocalInstance::StartIfStopped::no);
      if (opts->remove) {
        instance.destroy();
      } else {
        instance.stop();
      }
      return 0;
    };
  });
}

}  // namespace dbsplit::cli
