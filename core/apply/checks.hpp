#pragma once
// Judging a step's SQL verification, as docs/plan.md defines it, and the small wording
// shared by apply, status and rollback.
#include <pqxx/pqxx>
#include <string>

#include "core/apply/operations.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::apply {

struct Verdict {
  bool passed = false;
  std::string detail;  // why it failed: the first offending row, "no rows", ...
};

// Runs the verification SQL in `tx`: "true" passes on exactly one row whose first column is
// true; "zero_rows" passes on no rows (the rows are the problems). Throws pqxx errors.
Verdict judge(pqxx::transaction_base& tx, const plan::Verification& verification);

// The first line of a database error, without libpq's "ERROR:  " prefix.
std::string database_error(const std::exception& e);

// "dbsplit VERB PLAN --db URL --stage STAGE" with the password redacted, for messages.
std::string command_line(const Target& target, const std::string& verb, const std::string& stage);

// The stage of a plan by its name; throws UsageError listing the names.
plan::StageName stage_from_string(const std::string& name);

}  // namespace dbsplit::apply
