#include "cli/apply_target.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace dbsplit::cli {

void add_target_options(CLI::App& cmd, apply::Target& target, bool with_state_dir) {
  cmd.add_option("PLAN", target.plan_path, "Plan file (from `dbsplit plan`)")->required();
  cmd.add_option("--db", target.db_url, "URL of the source (monolith) database")->required();
  if (with_state_dir)
    cmd.add_option("--state-dir", target.state_dir,
                   "Where the services started by the apis stage write their logs (default "
                   "${XDG_STATE_HOME:-~/.local/state}/dbsplit/DATABASE)");
}

void complete_target(apply::Target& target, const std::string& database) {
  if (target.state_dir.empty()) {
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path base = state && *state ? std::filesystem::path(state)
                                 : home && *home ? std::filesystem::path(home) / ".local/state"
                                                 : std::filesystem::temp_directory_path();
    target.state_dir = (base / "dbsplit" / database).string();
  }
  // Recorded in dbsplit.services: it must mean the same from any working directory.
  target.state_dir = std::filesystem::absolute(target.state_dir).string();
  // The same binary serves the APIs, whatever PATH holds.
  char exe[4096] = {0};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  target.dbsplit_executable = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "dbsplit";
}

}  // namespace dbsplit::cli
