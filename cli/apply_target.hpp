#pragma once
// What apply, status and rollback share on the command line: the plan, the database,
// where the services' logs go and which binary runs `dbsplit serve`.
#include <CLI/CLI.hpp>
#include <string>

#include "core/apply/operations.hpp"

namespace dbsplit::cli {

// Adds PLAN and --db (and, with `with_state_dir`, --state-dir) bound to `target`.
void add_target_options(CLI::App& cmd, apply::Target& target, bool with_state_dir);

// Fills in what the user did not give: the state directory
// (${XDG_STATE_HOME:-~/.local/state}/dbsplit/DATABASE) and this executable's path.
void complete_target(apply::Target& target, const std::string& database);

}  // namespace dbsplit::cli
