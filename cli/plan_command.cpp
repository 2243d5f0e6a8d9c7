// `dbsplit plan`: make a plan file; `plan show`: review it; `plan check`: the CI gate.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/check_run.hpp"
#include "core/plan/json.hpp"
#include "core/plan/render.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct PlanOptions {
  std::string plan_file;
  std::string format = "text";
  std::string db;
  std::vector<std::string> logs;
  std::string log_format = "auto";
  std::string log_prefix;
  std::vector<std::string> module_map;
  std::string search_path = "public";
};

workload::LogFormat log_format(const std::string& name) {
  if (name == "auto") return workload::LogFormat::automatic;
  if (name == "stderr") return workload::LogFormat::stderr_text;
  if (name == "csv") return workload::LogFormat::csv;
  throw UsageError("unknown --log-format '" + name + "'; use auto, stderr or csv");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text + ",") {
    if (c == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else if (c != ' ') {
      item += c;
    }
  }
  return out;
}

std::map<std::string, std::string> module_map(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == e.size())
      throw UsageError("--module-map wants ROLE_OR_APP=MODULE, got '" + e + "'");
    out[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return out;
}

std::string findings_json(const plan::CheckResult& result, const plan::Plan& p,
                          const std::string& file) {
  nlohmann::ordered_json out;
  out["plan"] = file;
  out["plan_fingerprint"] = p.fingerprint;
  out["live_fingerprint"] = result.live_fingerprint;
  out["statements_checked"] = result.statements_checked;
  out["findings"] = nlohmann::ordered_json::array();
  for (const auto& d : result.findings) {
    nlohmann::ordered_json j;
    j["code"] = d.code;
    j["severity"] = report::to_string(d.severity);
    j["objects"] = d.objects;
    j["message"] = d.message;
    j["pattern"] = d.pattern;
    out["findings"].push_back(j);
  }
  return out.dump(2) + "\n";
}

std::string findings_text(const plan::CheckResult& result, const plan::Plan& p,
                          const std::string& file) {
  std::string out;
  int errors = 0, warnings = 0, infos = 0;
  for (const auto& d : result.findings) {
    out += fmt::format("{} {}: {}\n", report::to_string(d.severity), d.code, d.message);
    if (!d.pattern.empty()) out += fmt::format("  fix: {}\n", d.pattern);
    (d.severity == report::Severity::error     ? errors
     : d.severity == report::Severity::warning ? warnings
                                               : infos)++;
  }
  out +=
      fmt::format("plan check {}: {} errors, {} warnings, {} info", file, errors, warnings, infos);
  if (result.statements_checked > 0)
    out += fmt::format(" ({} workload statements checked)", result.statements_checked);
  out += p.fingerprint == result.live_fingerprint ? "; schema unchanged\n"
                                                  : "; schema fingerprint " + p.fingerprint +
                                                        " is now " + result.live_fingerprint + "\n";
  return out;
}

}  // namespace

void add_plan_command(CLI::App& app, Action& action) {
  auto* plan = app.add_subcommand("plan", "Make, review and check a split plan");
  plan->require_subcommand(1);
  plan->footer(
      "Examples:\n"
      "  dbsplit plan show plans/shop/plan.json --format markdown > plans/shop/plan.md\n"
      "  dbsplit plan check plans/shop/plan.json --db postgresql://ci@localhost/shop");
  auto opts = std::make_shared<PlanOptions>();

  auto* show =
      plan->add_subcommand("show", "Print a plan as a review document, per stage and service");
  show->add_option("PLAN", opts->plan_file, "Plan file")->required();
  show->add_option("--format", opts->format, "text (default), markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  show->callback([&action, opts] {
    action = [opts] {
      plan::Plan p = plan::read_plan_file(opts->plan_file);
      std::cout << plan::render_plan(p, plan::show_format_from_string(opts->format));
      return 0;
    };
  });

  auto* check = plan->add_subcommand(
      "check",
      "CI dry-run gate: check a plan against the live schema and its own rules (no change "
      "to the database); exit 3 on error findings");
  check->add_option("PLAN", opts->plan_file, "Plan file")->required();
  check->add_option("--db", opts->db, "Connection URL of the database the plan splits")->required();
  check->add_option("--log", opts->logs,
                    "PostgreSQL log file (log_statement=all) whose statements must all be planned; "
                    "repeatable");
  check->add_option("--log-format", opts->log_format, "auto (default), stderr or csv");
  check->add_option("--log-prefix", opts->log_prefix, "log_line_prefix of stderr logs");
  check->add_option("--module-map", opts->module_map, "ROLE_OR_APP=MODULE, repeatable");
  check->add_option("--search-path", opts->search_path,
                    "Schemas for unqualified names (default public)");
  check->add_option("--format", opts->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  check->footer(
      "Examples:\n"
      "  dbsplit plan check plans/shop/plan.json --db postgresql://ci@localhost/shop\n"
      "  dbsplit plan check plans/shop/plan.json --db $DATABASE_URL --log postgresql.log "
      "--format json");
  check->callback([&action, opts] {
    action = [opts] {
      plan::Plan p = plan::read_plan_file(opts->plan_file);
      plan::CheckDatabaseOptions options;
      options.db = opts->db;
      options.logs = opts->logs;
      options.log.format = log_format(opts->log_format);
      if (!opts->log_prefix.empty()) options.log.line_prefix = opts->log_prefix;
      options.attribution.module_map = module_map(opts->module_map);
      options.search_path = split_list(opts->search_path);
      plan::CheckResult result = plan::check_plan_against_database(p, options);
      std::cout << (opts->format == "json" ? findings_json(result, p, opts->plan_file)
                                           : findings_text(result, p, opts->plan_file));
      return report::any_at_least(result.findings, report::Severity::error)
                 ? static_cast<int>(ExitCode::findings)
                 : 0;
    };
  });
}

}  // namespace dbsplit::cli
