#pragma once
// Each command file adds one subcommand to the application. The subcommand's callback
// stores the action to run; main() runs it after parsing, inside the single error handler.
#include <CLI/CLI.hpp>
#include <functional>

namespace dbsplit::cli {

// What a parsed command does; returns the process exit code.
using Action = std::function<int()>;

void add_analyze_command(CLI::App& app, Action& action);
void add_local_command(CLI::App& app, Action& action);
void add_plan_command(CLI::App& app, Action& action);
void add_generate_command(CLI::App& app, Action& action);
void add_serve_command(CLI::App& app, Action& action);
void add_relay_command(CLI::App& app, Action& action);
void add_consume_command(CLI::App& app, Action& action);
void add_verify_command(CLI::App& app, Action& action);
// `verify events`, added by add_verify_command.
void add_verify_events_command(CLI::App& verify, Action& action);
void add_apply_command(CLI::App& app, Action& action);
void add_status_command(CLI::App& app, Action& action);
void add_rollback_command(CLI::App& app, Action& action);

}  // namespace dbsplit::cli
