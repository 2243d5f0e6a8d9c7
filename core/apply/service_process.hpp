#pragma once
// The background `dbsplit serve` processes of the apis stage: started detached from the
// command that starts them (they outlive it), found again by pid, stopped with SIGTERM.
#include <string>
#include <utility>
#include <vector>

namespace dbsplit::apply {

// Starts argv in a new session with stdin from /dev/null, stdout and stderr appended to
// `log_path`, no other inherited descriptor, and `env` added to the environment. Returns
// its pid. Throws RuntimeError when it cannot be started.
int spawn_detached(const std::vector<std::string>& argv,
                   const std::vector<std::pair<std::string, std::string>>& env,
                   const std::string& log_path);

// When `pid` is a child of this process that has exited: true, with its exit code
// (-signal when killed). Reaps it.
bool child_exited(int pid, int& exit_code);

// Whether `pid` is a live process (not a zombie) whose command line contains every one of
// `args` (guards against signalling a pid the system reused for something else).
bool process_runs(int pid, const std::vector<std::string>& args);

// SIGTERM, then waits up to `seconds` for the process to end, then SIGKILL. Returns false
// when it had to be killed.
bool terminate_process(int pid, int seconds);

// The connection string with the password taken out (URL user info, ?password=,
// password=...), and the password ("" when there was none): the password goes to a child
// through PGPASSWORD, never on its command line.
std::pair<std::string, std::string> split_password(const std::string& conninfo);

// The connection string with the libpq option `options=-c role=ROLE`: the session runs as
// ROLE (the login user must be a member of it, or a superuser), without ROLE's password.
std::string with_role(const std::string& conninfo, const std::string& role);

// This machine's host name.
std::string host_name();

}  // namespace dbsplit::apply
