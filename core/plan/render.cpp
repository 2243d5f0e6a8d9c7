#include "core/plan/render.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::plan {
namespace {

size_t step_count(const Plan& plan) {
  size_t n = 0;
  for (const auto& s : plan.stages) n += s.steps.size();
  return n;
}

std::string action_text(const Action& a) {
  if (a.kind == ActionKind::sql) return a.sql;
  return a.operation + " " + a.parameters.dump();
}

const char* expect_text(Expect e) {
  switch (e) {
    case Expect::true_value:
      return "must return true";
    case Expect::zero_rows:
      return "must return no rows";
    case Expect::success:
      return "must succeed";
  }
  return "";
}

// Steps of a stage grouped by service, in plan order within each group; "" (steps that
// concern every service) first.
std::vector<std::pair<std::string, std::vector<const Step*>>> by_service(const Plan& plan,
                                                                         const Stage& stage) {
  std::vector<std::pair<std::string, std::vector<const Step*>>> out;
  std::vector<std::string> order = {""};
  for (const auto& s : plan.services) order.push_back(s.name);
  for (const auto& step : stage.steps)
    if (std::find(order.begin(), order.end(), step.service) == order.end())
      order.push_back(step.service);
  for (const auto& name : order) {
    std::vector<const Step*> steps;
    for (const auto& step : stage.steps)
      if (step.service == name) steps.push_back(&step);
    if (!steps.empty()) out.emplace_back(name, steps);
  }
  return out;
}

std::string code(const std::string& text) {
  std::string fence = text.find('`') == std::string::npos ? "`" : "`` ";
  std::string close = fence == "`" ? "`" : " ``";
  return fence + text + close;
}

// A markdown table cell: a '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string markdown(const Plan& plan) {
  std::ostringstream out;
  out << "# Split plan: " << plan.database << "\n\n";
  out << fmt::format(
      "Made by dbsplit {} (plan version {}) from the schema with fingerprint `{}`: {} services, "
      "{} cross-service dependencies, {} steps in {} stages. Review it like code; `dbsplit plan "
      "check` re-validates it against the live schema in CI.\n\n",
      plan.dbsplit_version, plan.version, plan.fingerprint, plan.services.size(),
      plan.dependencies.size(), step_count(plan), plan.stages.size());
  out << "## Services\n\n| service | role | target | tables |\n|---|---|---|---|\n";
  for (const auto& s : plan.services)
    out << fmt::format("| {} | {} | {} | {} |\n", s.name, s.role, code(s.target),
                       fmt::join(s.tables, ", "));
  out << "\n## Cross-service dependencies\n\n";
  if (plan.dependencies.empty())
    out << "None.\n";
  else
    out << "| dependency | pattern | consumer → owner | what it implies |\n|---|---|---|---|\n";
  for (const auto& d : plan.dependencies)
    out << fmt::format("| {} | {} | {} → {} | {} |\n", code(d.id), pattern_name(d.pattern),
                       d.consumer.empty() ? "—" : d.consumer, d.owner.empty() ? "—" : d.owner,
                       cell(implication(d)));
  out << "\n## Stages\n";
  int number = 0;
  for (const auto& stage : plan.stages) {
    out << fmt::format("\n### {}. {} ({} steps)\n\nChanges to the database:\n\n", ++number,
                       to_string(stage.name), stage.steps.size());
    for (const auto& [service, steps] : by_service(plan, stage)) {
      out << "- **" << (service.empty() ? "all services" : service) << "**:";
      for (const auto* step : steps) out << " " << step->description;
      out << "\n";
    }
    for (const auto& [service, steps] : by_service(plan, stage)) {
      out << "\n#### " << (service.empty() ? "all services" : service) << "\n";
      for (const auto* step : steps) {
        out << "\n- " << code(step->id) << ": " << step->description << "\n";
        out << "  - action: " << code(action_text(step->action)) << "\n";
        out << "  - verify (" << expect_text(step->verify.expect) << "): "
            << (step->verify.check.empty() ? "**none**" : code(action_text(step->verify.check)))
            << "\n";
        out << "  - rollback: "
            << (step->rollback.empty() ? "**none**" : code(action_text(step->rollback))) << "\n";
      }
    }
  }
  return out.str();
}

std::string text(const Plan& plan) {
  std::ostringstream out;
  out << fmt::format("Split plan for {} (dbsplit {}, plan version {})\nfingerprint {}\n",
                     plan.database, plan.dbsplit_version, plan.version, plan.fingerprint);
  out << fmt::format("\nServices ({})\n", plan.services.size());
  for (const auto& s : plan.services)
    out << fmt::format("  {}  role {}  target {}\n    {}\n", s.name, s.role, s.target,
                       fmt::join(s.tables, ", "));
  out << fmt::format("\nCross-service dependencies ({})\n", plan.dependencies.size());
  for (const auto& d : plan.dependencies)
    out << fmt::format("  {}  {}  {} -> {}\n    {}\n", d.id, pattern_name(d.pattern),
                       d.consumer.empty() ? "-" : d.consumer, d.owner.empty() ? "-" : d.owner,
                       implication(d));
  int number = 0;
  for (const auto& stage : plan.stages) {
    out << fmt::format("\nStage {}: {} ({} steps)\n", ++number, to_string(stage.name),
                       stage.steps.size());
    for (const auto& [service, steps] : by_service(plan, stage)) {
      out << "  " << (service.empty() ? "all services" : service) << "\n";
      for (const auto* step : steps) {
        out << "    " << step->id << ": " << step->description << "\n";
        out << "      action:   " << action_text(step->action) << "\n";
        out << "      verify:   "
            << (step->verify.check.empty() ? std::string("NONE")
                                           : action_text(step->verify.check) + "  (" +
                                                 expect_text(step->verify.expect) + ")")
            << "\n";
        out << "      rollback: " << (step->rollback.empty() ? "NONE" : action_text(step->rollback))
            << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace

ShowFormat show_format_from_string(const std::string& name) {
  if (name == "text") return ShowFormat::text;
  if (name == "markdown") return ShowFormat::markdown;
  if (name == "json") return ShowFormat::json;
  throw UsageError("unknown format '" + name + "'; use text, markdown or json");
}

std::string implication(const Dependency& d) {
  if (d.endpoint) {
    const auto& e = *d.endpoint;
    return fmt::format("{} endpoint {}.{}({}) -> {}; replaces: {}",
                       e.method == ApiEndpoint::Method::read ? "read" : "write", e.service, e.name,
                       fmt::join(e.filter_columns, ", "), fmt::join(e.returned_columns, ", "),
                       e.replaces);
  }
  if (d.cache)
    return fmt::format("cache table {} in {} ({}; key {}) from events {}", d.cache->name,
                       d.cache->service, fmt::join(d.cache->columns, ", "),
                       fmt::join(d.cache->key, ", "), fmt::join(d.cache->source_events, ", "));
  if (d.read_model)
    return fmt::format("read model {} in {} over {}", d.read_model->name, d.read_model->service,
                       fmt::join(d.read_model->source_tables, ", "));
  if (d.saga) {
    std::vector<std::string> steps;
    for (const auto& s : d.saga->steps)
      steps.push_back(s.compensation.empty() ? s.action
                                             : s.action + " (compensation " + s.compensation + ")");
    return fmt::format("saga {} coordinated by {}: {}", d.saga->name, d.saga->coordinator,
                       fmt::join(steps, " -> "));
  }
  if (d.orphan_check)
    return fmt::format("foreign key {} dropped; orphan check {}({}) -> {}({})",
                       d.orphan_check->constraint, d.orphan_check->child_table,
                       fmt::join(d.orphan_check->child_columns, ", "), d.orphan_check->parent_table,
                       fmt::join(d.orphan_check->parent_columns, ", "));
  if (d.disposition) return d.disposition->object + ": " + d.disposition->action;
  return "";
}

std::string render_plan(const Plan& plan, ShowFormat format) {
  switch (format) {
    case ShowFormat::json:
      return to_json_text(plan);
    case ShowFormat::markdown:
      return markdown(plan);
    case ShowFormat::text:
      return text(plan);
  }
  return text(plan);
}

}  // namespace dbsplit::plan
