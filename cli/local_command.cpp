// `dbsplit local`: start, stop and locate the local PostgreSQL instances dbsplit uses
// for the demo and as the embedded default for target databases.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "core/pg/local_instance.hpp"

namespace dbsplit::cli {
namespace {

struct LocalOptions {
  std::string dir;
  int port = 0;
  bool remove = false;
};

}  // namespace

void add_local_command(CLI::App& app, Action& action) {
  auto* local = app.add_subcommand("local", "Manage local PostgreSQL 15 instances");
  local->require_subcommand(1);
  local->footer(
      "Examples:\n"
      "  dbsplit local start --dir .dbsplit/monolith     # initdb + start, prints the URL\n"
      "  dbsplit local url --dir .dbsplit/monolith\n"
      "  dbsplit local stop --dir .dbsplit/monolith --remove");
  auto opts = std::make_shared<LocalOptions>();

  auto* start = local->add_subcommand(
      "start", "Create (if needed) and start an instance in DIR; print its URL on stdout");
  start->add_option("--dir", opts->dir, "Directory of the instance")->required();
  start->add_option("--port", opts->port, "TCP port on 127.0.0.1 (default: a free one)");
  start->callback([&action, opts] {
    action = [opts] {
      std::string dir = std::filesystem::absolute(opts->dir).string();
      std::error_code ec;
      if (std::filesystem::exists(dir + "/data/PG_VERSION", ec)) {
        std::cout << pg::LocalInstance::open(dir).url() << "\n";
        return 0;
      }
      pg::LocalInstanceOptions options;
      options.dir = dir;
      options.port = opts->port;
      options.lifetime = pg::LocalInstanceOptions::Lifetime::persistent;
      std::cout << pg::LocalInstance::create_and_start(options).url() << "\n";
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

  auto* stop = local->add_subcommand("stop", "Stop the instance in DIR (keeps its data)");
  stop->add_option("--dir", opts->dir, "Directory of the instance")->required();
  stop->add_flag("--remove", opts->remove, "Also delete the directory and its data");
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
