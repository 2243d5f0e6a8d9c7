// dbsplit: split a monolith PostgreSQL database into database-per-service.
// This file only wires the commands together and maps errors to exit codes.
#include <iostream>

#include "cli/commands.hpp"
#include "core/util/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "dbsplit: split a monolith PostgreSQL database into database-per-service.\n\n"
      "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 findings or drift at "
      "error severity.",
      "dbsplit"};
  app.set_version_flag("--version", std::string("dbsplit ") + DBSPLIT_VERSION);
  app.require_subcommand(1);
  app.footer("Run `dbsplit COMMAND --help` for a command's options and examples.");

  dbsplit::cli::Action action;
  dbsplit::cli::add_analyze_command(app, action);
  dbsplit::cli::add_local_command(app, action);
  dbsplit::cli::add_plan_command(app, action);
  dbsplit::cli::add_generate_command(app, action);
  dbsplit::cli::add_serve_command(app, action);
  dbsplit::cli::add_relay_command(app, action);
  dbsplit::cli::add_consume_command(app, action);
  dbsplit::cli::add_verify_command(app, action);
  dbsplit::cli::add_apply_command(app, action);
  dbsplit::cli::add_status_command(app, action);
  dbsplit::cli::add_rollback_command(app, action);

  if (argc > 1 && argv[1][0] != '-') {
    std::string name = argv[1];
    bool known = false;
    std::string names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      if (sub->get_name() == name) known = true;
    }
    if (!known) {
      std::cerr << "dbsplit: error: unknown command '" << name << "'; commands: " << names
                << "\nRun `dbsplit --help` for usage.\n";
      return static_cast<int>(dbsplit::ExitCode::usage);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dbsplit: error: " << e.what() << "\n"
              << "Run `dbsplit --help` for usage.\n";
    return static_cast<int>(dbsplit::ExitCode::usage);
  }

  try {
    return action ? action() : 0;
  } catch (const dbsplit::Error& e) {
    std::cerr << "dbsplit: error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    std::cerr << "dbsplit: error: " << e.what() << "\n";
    return static_cast<int>(dbsplit::ExitCode::runtime_failure);
  }
}
