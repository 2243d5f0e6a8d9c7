#pragma once
// Running external programs (initdb, pg_ctl, nats-server) without a shell.
#include <string>
#include <vector>

namespace dbsplit {

struct ProcessResult {
  int exit_code = -1;  // -1 when the program could not be started or was killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) with the arguments and waits for it.
// Never throws for a failing program; throws RuntimeError when fork/pipe fail.
ProcessResult run_process(const std::vector<std::string>& argv);

// Renders argv as a shell-like command line for error messages.
std::string describe_command(const std::vector<std::string>& argv);

// The last `lines` lines of a text (for quoting logs in errors).
std::string tail_lines(const std::string& text, int lines);

// The whole content of a file; empty when it cannot be read.
std::string read_file_or_empty(const std::string& path);

}  // namespace dbsplit
