#include "core/apply/gates.hpp"

#include <fmt/format.h>

#include "core/apply/checks.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/check.hpp"
#include "core/plan/check_run.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::apply {
namespace {

std::string short_checksum(const std::string& checksum) { return checksum.substr(0, 19) + "…"; }

std::string listing(const std::vector<diagnostics::Diagnostic>& diagnostics, size_t limit) {
  std::vector<std::string> lines;
  for (const auto& d : diagnostics) {
    if (lines.size() == limit) {
      lines.push_back(fmt::format("and {} more", diagnostics.size() - limit));
      break;
    }
    lines.push_back(d.code + " " + d.message);
  }
  return pg::sql::join(lines, "; ");
}

}  // namespace

void check_plan_and_schema(const plan::Plan& plan, const Target& target, const Journal& journal) {
  std::vector<diagnostics::Diagnostic> errors;
  for (const auto& d : plan::check_rules(plan))
    if (d.severity == diagnostics::Severity::error) errors.push_back(d);
  if (!errors.empty())
    throw Error(fmt::format("plan {} breaks its rules: {}; see `dbsplit plan check`, then fix "
                            "or regenerate the plan",
                            target.plan_path, listing(errors, 5)),
                ExitCode::findings);
  bool any_applied = false;
  for (const auto& [id, row] : journal) {
    if (!row.applied()) continue;
    any_applied = true;
    if (row.plan_fingerprint != plan.fingerprint)
      throw RuntimeError(fmt::format(
          "step {} was applied from a plan of schema {}, but {} was made from schema {}; "
          "apply and roll back with the plan that was applied, or roll every stage back "
          "before applying a regenerated plan",
          id, row.plan_fingerprint, target.plan_path, plan.fingerprint));
  }
  if (any_applied) return;
  plan::CheckDatabaseOptions check;
  check.db = target.db_url;
  auto result = plan::check_plan_against_database(plan, check);
  if (result.live_fingerprint == plan.fingerprint) return;
  throw Error(fmt::format("the schema of the database differs from the one plan {} was made "
                          "from (fingerprint {}, live {}): {}; run `dbsplit plan check {} --db "
                          "{}` for every difference, then regenerate the plan or undo the "
                          "change",
                          target.plan_path, plan.fingerprint, result.live_fingerprint,
                          listing(result.findings, 5), target.plan_path, pg::redact(target.db_url)),
              ExitCode::findings);
}

std::string edited_message(const Target& target, const plan::Stage& stage, const plan::Step& step,
                           const JournalRow& row) {
  return fmt::format(
      "was applied from a different version of its definition (journal {}, plan {}): the "
      "plan was edited after the step ran. Roll stage {} back first (`{}` runs the rollbacks "
      "recorded when its steps were applied), then apply it again",
      short_checksum(row.checksum), short_checksum(step_checksum(step)),
      plan::to_string(stage.name), command_line(target, "rollback", plan::to_string(stage.name)));
}

void check_earlier_stages(const plan::Plan& plan, const Target& target, const Journal& journal,
                          const std::set<std::string>& done, const plan::Stage& stage) {
  for (const auto& earlier : plan.stages) {
    if (earlier.name == stage.name) return;
    std::string earlier_name = plan::to_string(earlier.name);
    for (const auto& step : earlier.steps) {
      if (done.count(step.id)) continue;
      auto it = journal.find(step.id);
      if (it == journal.end() || !it->second.applied())
        throw RuntimeError(fmt::format(
            "stage {} cannot run yet: step {} of the earlier stage {} is not applied; run "
            "`{}` first",
            plan::to_string(stage.name), step.id, earlier_name,
            command_line(target, "apply", earlier_name)));
      if (it->second.checksum != step_checksum(step))
        throw RuntimeError("step " + step.id + " " +
                           edited_message(target, earlier, step, it->second));
      if (!it->second.verified())
        throw RuntimeError(fmt::format(
            "stage {} cannot run yet: step {} of the earlier stage {} was applied but not "
            "verified; run `{}` to verify it",
            plan::to_string(stage.name), step.id, earlier_name,
            command_line(target, "apply", earlier_name)));
    }
  }
}

void check_operations(const plan::Stage& stage) {
  for (const auto& step : stage.steps) {
    std::string missing = missing_operation(step);
    if (missing.empty()) continue;
    throw RuntimeError(fmt::format(
        "step {} needs operation {}, which this dbsplit does not implement yet; nothing of "
        "stage {} was run (operations implemented: {}; see docs/apply.md)",
        step.id, missing, plan::to_string(stage.name),
        pg::sql::join(implemented_operations(), ", ")));
  }
}

}  // namespace dbsplit::apply
