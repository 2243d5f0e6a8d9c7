// `dbsplit rollback PLAN --db URL --stage NAME`: undo one applied stage, latest step first
// (docs/apply.md).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/apply_target.hpp"
#include "cli/commands.hpp"
#include "core/apply/checks.hpp"
#include "core/apply/rollback.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct RollbackCliOptions {
  apply::Target target;
  std::string stage;
  std::string format = "text";
};

std::string json_document(const std::vector<apply::RollbackOutcome>& steps,
                          const std::string& error) {
  nlohmann::ordered_json out;
  out["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : steps)
    out["steps"].push_back(
        {{"step", s.step_id}, {"result", s.ok ? "rolled_back" : "failed"}, {"detail", s.detail}});
  out["ok"] = error.empty();
  if (!error.empty()) out["error"] = error;
  return out.dump(2) + "\n";
}

int run_rollback(RollbackCliOptions& o) {
  apply::RollbackOptions options;
  options.stage = apply::stage_from_string(o.stage);
  plan::Plan plan = plan::read_plan_file(o.target.plan_path);
  complete_target(o.target, plan.database);
  options.target = o.target;
  bool json = o.format == "json";
  std::vector<apply::RollbackOutcome> outcomes;
  auto sink = [&](const apply::RollbackOutcome& outcome) {
    outcomes.push_back(outcome);
    if (!json)
      std::cout << outcome.step_id << ": " << (outcome.ok ? "rolled back" : "failed")
                << (outcome.ok && !outcome.detail.empty() ? " (" + outcome.detail + ")" : "")
                << std::endl;
  };
  int count = 0;
  try {
    count = apply::rollback_stage(plan, options, sink);
  } catch (const Error& e) {
    if (json) std::cout << json_document(outcomes, e.what());
    throw;
  }
  if (json)
    std::cout << json_document(outcomes, "");
  else if (count == 0)
    std::cout << "Stage " << o.stage << " has no applied step: nothing to roll back.\n";
  else
    std::cout << "Done: stage " << o.stage << " rolled back (" << count << " step(s)).\n";
  return 0;
}

}  // namespace

void add_rollback_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<RollbackCliOptions>();
  auto* cmd = app.add_subcommand("rollback", "Undo one applied stage of a plan, latest step first");
  add_target_options(*cmd, opts->target, true);
  cmd->add_option("--stage", opts->stage, "Stage to undo: ownership, apis, reads, writes, database")
      ->required();
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "Runs the rollbacks the journal recorded when the steps were applied (so an edited plan\n"
      "does not change what is undone), each with its journal update in one transaction.\n"
      "Refused while a later stage has applied steps. Exit codes: 0 done (or nothing to do),\n"
      "1 a rollback failed or was refused, 2 bad arguments.\n\n"
      "Example:\n"
      "  dbsplit rollback plans/shop/plan.json --db postgresql://admin@db/shop --stage apis");
  cmd->callback([&action, opts] { action = [opts] { return run_rollback(*opts); }; });
}

}  // namespace dbsplit::cli
