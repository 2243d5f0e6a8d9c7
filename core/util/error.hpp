#pragma once
// Typed errors of dbsplit. core/ throws them; cli/ catches them once, prints
// "dbsplit: error: <message>" and returns exit_code().
#include <stdexcept>
#include <string>

namespace dbsplit {

enum class ExitCode : int {
  success = 0,
  runtime_failure = 1,  // the database, a file, a process failed
  usage = 2,            // bad arguments or bad input files
  findings = 3,         // findings or drift at error severity
};

// Base of every dbsplit error: what failed, with what to do about it in the message.
class Error : public std::runtime_error {
 public:
  Error(std::string message, ExitCode code = ExitCode::runtime_failure)
      : std::runtime_error(std::move(message)), code_(code) {}
  ExitCode exit_code() const { return code_; }

 private:
  ExitCode code_;
};

// The user gave input that cannot be used: a bad option, file or argument (exit 2).
class UsageError : public Error {
 public:
  explicit UsageError(std::string message) : Error(std::move(message), ExitCode::usage) {}
};

// Something outside dbsplit failed: a database, a process, the file system (exit 1).
class RuntimeError : public Error {
 public:
  explicit RuntimeError(std::string message)
      : Error(std::move(message), ExitCode::runtime_failure) {}
};

}  // namespace dbsplit
