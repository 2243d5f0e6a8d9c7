// `dbsplit apply PLAN --db URL (--stage NAME | --all) [--dry-run]`: run a plan's stages on
// the source database, verified, journaled, resumable (docs/apply.md).
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/apply_target.hpp"
#include "cli/commands.hpp"
#include "core/apply/apply.hpp"
#include "core/apply/checks.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct ApplyCliOptions {
  apply::Target target;
  std::string stage;
  bool all = false;
  bool dry_run = false;
  std::string format = "text";
};

std::string text_line(const apply::StepOutcome& o) {
  std::string what;
  switch (o.result) {
    case apply::StepResult::applied:
      what = "applied, verified";
      break;
    case apply::StepResult::skipped:
      what = "skipped (already applied), verified";
      break;
    case apply::StepResult::would_apply:
      return o.step_id + ": would apply, verified — " + o.detail;
    case apply::StepResult::listed:
      return o.step_id + ": not run (dry run) — " + o.detail;
    case apply::StepResult::failed:
      return o.step_id + ": failed";
  }
  return o.step_id + ": " + what + (o.detail.empty() ? "" : " (" + o.detail + ")");
}

// The last line: what happened, or where it stopped (`stopped`: the run ended in an error).
std::string summary(const std::vector<apply::StepOutcome>& outcomes, bool dry_run, bool stopped,
                    const std::string& failed) {
  std::map<apply::StepResult, int> n;
  for (const auto& o : outcomes) ++n[o.result];
  using R = apply::StepResult;
  if (stopped && failed.empty())
    return fmt::format("Stopped: {} applied and {} skipped (already applied) before the error.",
                       n[dry_run ? R::would_apply : R::applied], n[R::skipped]);
  if (stopped)
    return fmt::format("Stopped at step {}: {} applied and {} skipped (already applied) before it.",
                       failed, n[dry_run ? R::would_apply : R::applied], n[R::skipped]);
  if (dry_run)
    return fmt::format(
        "Dry run: {} step(s) would apply and pass their verification, {} already applied, {} "
        "operation(s) not run; nothing was changed.",
        n[R::would_apply], n[R::skipped], n[R::listed]);
  return fmt::format("Done: {} step(s) applied, {} skipped (already applied); all verified.",
                     n[R::applied], n[R::skipped]);
}

std::string json_document(const ApplyCliOptions& o, const std::vector<apply::StepOutcome>& steps,
                          const std::string& error) {
  nlohmann::ordered_json out;
  out["plan"] = o.target.plan_path;
  out["dry_run"] = o.dry_run;
  out["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : steps)
    out["steps"].push_back({{"stage", plan::to_string(s.stage)},
                            {"step", s.step_id},
                            {"result", apply::to_string(s.result)},
                            {"detail", s.detail}});
  out["ok"] = error.empty();
  if (!error.empty()) out["error"] = error;
  return out.dump(2) + "\n";
}

int run_apply(ApplyCliOptions& o) {
  if (o.all == !o.stage.empty()) throw UsageError("give exactly one of --stage NAME and --all");
  apply::ApplyOptions options;
  if (!o.stage.empty()) options.stage = apply::stage_from_string(o.stage);
  options.dry_run = o.dry_run ? apply::DryRun::yes : apply::DryRun::no;
  plan::Plan plan = plan::read_plan_file(o.target.plan_path);
  complete_target(o.target, plan.database);
  options.target = o.target;

  bool json = o.format == "json";
  std::vector<apply::StepOutcome> outcomes;
  std::string failed;
  auto sink = [&](const apply::StepOutcome& outcome) {
    outcomes.push_back(outcome);
    if (outcome.result == apply::StepResult::failed) failed = outcome.step_id;
    if (!json) std::cout << text_line(outcome) << std::endl;  // progress, as it happens
  };
  try {
    apply::apply_plan(plan, options, sink);
  } catch (const Error& e) {
    if (json)
      std::cout << json_document(o, outcomes, e.what());
    else if (!outcomes.empty())
      std::cout << summary(outcomes, o.dry_run, true, failed) << "\n";
    throw;
  }
  std::cout << (json ? json_document(o, outcomes, "")
                     : summary(outcomes, o.dry_run, false, "") + "\n");
  return 0;
}

}  // namespace

void add_apply_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ApplyCliOptions>();
  auto* cmd = app.add_subcommand(
      "apply", "Run a stage of a plan (or all) on the source database: verified and resumable");
  add_target_options(*cmd, opts->target, true);
  auto* stage = cmd->add_option("--stage", opts->stage,
                                "Stage to run: ownership, apis, reads, writes, database");
  auto* all = cmd->add_flag("--all", opts->all, "Run every stage in order");
  stage->excludes(all);
  cmd->add_flag("--dry-run", opts->dry_run,
                "Run the SQL steps and their verifications in a transaction that is rolled "
                "back; list the operations without running them");
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "Every step is journaled in the dbsplit schema of the database; a stage runs only after\n"
      "every step of the stages before it; steps already applied are verified again, not run.\n"
      "Exit codes: 0 done, 1 a step failed or the run was refused, 2 bad arguments,\n"
      "3 the plan breaks its rules or the schema drifted from it.\n\n"
      "Examples:\n"
      "  dbsplit apply plans/shop/plan.json --db postgresql://admin@db/shop --stage ownership "
      "--dry-run\n"
      "  dbsplit apply plans/shop/plan.json --db postgresql://admin@db/shop --stage ownership\n"
      "  dbsplit apply plans/shop/plan.json --db postgresql://admin@db/shop --stage apis");
  cmd->callback([&action, opts] { action = [opts] { return run_apply(*opts); }; });
}

}  // namespace dbsplit::cli
