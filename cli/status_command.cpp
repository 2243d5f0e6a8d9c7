// `dbsplit status PLAN --db URL`: per stage, the steps applied, pending and changed in the
// plan since they were applied; the services the apis stage started (docs/apply.md).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/apply_target.hpp"
#include "cli/commands.hpp"
#include "core/apply/checks.hpp"
#include "core/apply/status.hpp"
#include "core/plan/json.hpp"

namespace dbsplit::cli {
namespace {

using apply::StepState;

struct StatusCliOptions {
  apply::Target target;
  std::string format = "text";
};

std::string render_text(const apply::Status& s, const apply::Target& target) {
  std::string out = fmt::format("Database {}, plan {}\n", s.database, target.plan_path);
  std::string next;
  for (const auto& stage : s.stages) {
    std::string name = plan::to_string(stage.name);
    out += fmt::format("Stage {}: {}/{} applied, {} pending, {} changed since applied", name,
                       stage.count(StepState::applied), stage.steps.size(),
                       stage.count(StepState::pending), stage.count(StepState::changed));
    if (int n = stage.count(StepState::unverified)) out += fmt::format(", {} not verified", n);
    out += "\n";
    for (const auto& step : stage.steps)
      if (step.state == StepState::changed || step.state == StepState::unverified)
        out += fmt::format("  {}: {}\n", step.step_id,
                           step.state == StepState::changed
                               ? "changed in the plan since it was applied"
                               : "applied, not verified");
    if (next.empty() && stage.count(StepState::applied) < static_cast<int>(stage.steps.size()))
      next =
          apply::command_line(target, stage.count(StepState::changed) ? "rollback" : "apply", name);
  }
  for (const auto& row : s.not_in_plan)
    out += fmt::format("Step {} (stage {}) is applied but no longer in the plan\n", row.step_id,
                       row.stage);
  out += s.services.empty() ? "Services: none running\n" : "Services:\n";
  for (const auto& svc : s.services)
    out += fmt::format("  {} {} pid {} on {}, as role {}: {} (log {})\n", svc.record.service,
                       svc.record.url, svc.record.pid, svc.record.host, svc.record.role,
                       svc.answering ? "ready" : "NOT ANSWERING", svc.record.log_file);
  out += next.empty() ? "Every stage is applied.\n" : "Next: " + next + "\n";
  return out;
}

std::string render_json(const apply::Status& s) {
  nlohmann::ordered_json out;
  out["database"] = s.database;
  out["stages"] = nlohmann::ordered_json::array();
  for (const auto& stage : s.stages) {
    nlohmann::ordered_json j;
    j["name"] = plan::to_string(stage.name);
    for (auto state :
         {StepState::applied, StepState::unverified, StepState::changed, StepState::pending})
      j[apply::to_string(state)] = stage.count(state);
    j["steps"] = nlohmann::ordered_json::array();
    for (const auto& step : stage.steps)
      j["steps"].push_back({{"id", step.step_id},
                            {"state", apply::to_string(step.state)},
                            {"applied_at", step.applied_at}});
    out["stages"].push_back(j);
  }
  out["not_in_plan"] = nlohmann::ordered_json::array();
  for (const auto& row : s.not_in_plan) out["not_in_plan"].push_back(row.step_id);
  out["services"] = nlohmann::ordered_json::array();
  for (const auto& svc : s.services)
    out["services"].push_back({{"service", svc.record.service},
                               {"url", svc.record.url},
                               {"pid", svc.record.pid},
                               {"host", svc.record.host},
                               {"role", svc.record.role},
                               {"log_file", svc.record.log_file},
                               {"started_at", svc.record.started_at},
                               {"ready", svc.answering}});
  return out.dump(2) + "\n";
}

}  // namespace

void add_status_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<StatusCliOptions>();
  auto* cmd = app.add_subcommand(
      "status", "Show how far the plan's stages are applied and which services are running");
  add_target_options(*cmd, opts->target, false);
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "Reads only. Exit codes: 0 shown, 1 the database failed, 2 bad arguments.\n\n"
      "Example:\n"
      "  dbsplit status plans/shop/plan.json --db postgresql://admin@db/shop");
  cmd->callback([&action, opts] {
    action = [opts] {
      plan::Plan plan = plan::read_plan_file(opts->target.plan_path);
      apply::Status status = apply::read_status(plan, opts->target.db_url);
      std::cout << (opts->format == "json" ? render_json(status)
                                           : render_text(status, opts->target));
      return 0;
    };
  });
}

}  // namespace dbsplit::cli
