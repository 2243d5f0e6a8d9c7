// `dbsplit plan`: make a plan file; `plan show`: review it; `plan check`: the CI gate.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/workload_options.hpp"
#include "core/analysis/json.hpp"
#include "core/analysis/run.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/builder.hpp"
#include "core/plan/check_run.hpp"
#include "core/plan/json.hpp"
#include "core/plan/render.hpp"
#include "core/diagnostics/render.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct MakeOptions {
  std::string from_analysis;
  analysis::AnalyzeDatabaseOptions db;
  WorkloadFlags workload;
  std::string target = "env";
  std::string output;
};

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

std::string findings_json(const plan::CheckResult& result, const plan::Plan& p,
                          const std::string& file) {
  nlohmann::ordered_json out;
  out["plan"] = file;
  out["plan_fingerprint"] = p.fingerprint;
  out["live_fingerprint"] = result.live_fingerprint;
  out["statements_checked"] = result.statements_checked;
  out["findings"] =
      nlohmann::ordered_json::parse(diagnostics::diagnostics_to_json(result.findings).dump());
  return out.dump(2) + "\n";
}

std::string findings_text(const plan::CheckResult& result, const plan::Plan& p,
                          const std::string& file) {
  bool terminal = ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  std::string out = diagnostics::render_diagnostics_text(
      result.findings, terminal ? Color::yes : Color::no, "plan check " + file);
  out += p.fingerprint == result.live_fingerprint
             ? "\nschema unchanged since the plan was made (" + p.fingerprint + ")"
             : "\nschema fingerprint " + p.fingerprint + " is now " + result.live_fingerprint;
  if (result.statements_checked > 0)
    out += fmt::format("; {} workload statements checked", result.statements_checked);
  return out + "\n";
}

analysis::Analysis read_analysis_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UsageError(
        fmt::format("cannot read the analysis file {}; make one with `dbsplit analyze "
                    "--db URL --format json -o {}`",
                    path, path));
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(
        fmt::format("the analysis file {} is not valid JSON ({}); regenerate it with "
                    "`dbsplit analyze --format json`",
                    path, e.what()));
  }
  try {
    return analysis::analysis_from_json(json);
  } catch (const UsageError& e) {
    throw UsageError(path + ": " + e.what());
  }
}

int make_plan(MakeOptions& o) {
  analysis::Analysis result;
  if (!o.from_analysis.empty()) {
    if (!o.db.pins_file.empty())
      throw UsageError(
          "--pins needs --db: an analysis file holds no workload statements to re-analyse; pass "
          "the pins to `dbsplit analyze` and plan from its output, or plan with --db");
    result = read_analysis_file(o.from_analysis);
  } else {
    apply_workload_flags(o.workload, o.db);
    result = analysis::analyze_database(o.db);
  }
  plan::BuildOptions build;
  build.target =
      o.target == "embedded" ? plan::TargetKind::embedded : plan::TargetKind::environment;
  plan::Plan p = plan::build_plan(result, build);
  if (o.output.empty()) {
    std::cout << plan::to_json_text(p);
    return 0;
  }
  plan::write_plan_file(p, o.output);
  size_t steps = 0;
  for (const auto& stage : p.stages) steps += stage.steps.size();
  std::cerr << fmt::format(
      "dbsplit: wrote {} ({} services, {} cross-service dependencies, {} steps in {} stages)\n",
      o.output, p.services.size(), p.dependencies.size(), steps, p.stages.size());
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, Action& action) {
  auto* plan = app.add_subcommand("plan", "Make, review and check a split plan");
  plan->require_subcommand(0, 1);
  auto make = std::make_shared<MakeOptions>();
  plan->add_option("--from-analysis", make->from_analysis,
                   "Analysis JSON file (dbsplit analyze --format json -o FILE)");
  plan->add_option("--db", make->db.db_url,
                   "Database URL: analyse it now (same options as analyze)");
  plan->add_option("--log", make->db.log_files, "PostgreSQL log file to read (repeatable)");
  plan->add_option("--log-format", make->workload.log_format, "auto, stderr or csv (default auto)");
  plan->add_option("--log-prefix", make->workload.log_prefix, "log_line_prefix of stderr logs");
  plan->add_option("--module-map", make->workload.module_map, "ROLE_OR_APP=MODULE (repeatable)");
  plan->add_flag("--no-stats", make->workload.no_stats, "Do not read pg_stat_statements");
  plan->add_option("--search-path", make->workload.search_path,
                   "Schemas for unqualified names (default public)");
  plan->add_option("--exclude-schema", make->db.exclude_schemas, "Leave a schema out (repeatable)");
  plan->add_option("--pins", make->db.pins_file,
                   "JSON file pinning tables to services (with --db)");
  plan->add_option("--frequent-read-share", make->db.thresholds.frequent_read_share,
                   "Share of all calls at which a cross-service read is frequent (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  plan->add_option(
      "--reporting-module", make->workload.reporting_modules,
      "Module whose reads go to an analytics database (repeatable; default reporting)");
  plan->add_option("--target", make->target,
                   "Where service databases go: env (${DBSPLIT_TARGET_<SERVICE>} URLs, default) or "
                   "embedded (local instances)")
      ->check(CLI::IsMember({"env", "embedded"}));
  plan->add_option("-o,--output", make->output, "Plan file to write, e.g. plans/shop/plan.json");
  plan->footer(
      "Examples:\n"
      "  dbsplit plan --from-analysis analysis.json -o plans/shop/plan.json\n"
      "  dbsplit plan --db postgresql://app@db/shop --log pg.log --pins pins.json -o "
      "plans/shop/plan.json\n"
      "  dbsplit plan show plans/shop/plan.json --format markdown > plans/shop/plan.md\n"
      "  dbsplit plan check plans/shop/plan.json --db postgresql://ci@localhost/shop");
  auto opts = std::make_shared<PlanOptions>();
  plan->callback([&action, plan, make] {
    if (!plan->get_subcommands().empty()) return;  // plan show / plan check
    if (make->from_analysis.empty() == make->db.db_url.empty())
      throw CLI::ValidationError("plan", "give exactly one of --from-analysis FILE and --db URL");
    action = [make] { return make_plan(*make); };
  });

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
      options.log.format = parse_log_format(opts->log_format);
      if (!opts->log_prefix.empty()) options.log.line_prefix = opts->log_prefix;
      options.attribution.module_map = parse_module_map(opts->module_map);
      options.search_path = split_list(opts->search_path);
      plan::CheckResult result = plan::check_plan_against_database(p, options);
      std::cout << (opts->format == "json" ? findings_json(result, p, opts->plan_file)
                                           : findings_text(result, p, opts->plan_file));
      return diagnostics::any_at_least(result.findings, diagnostics::Severity::error)
                 ? static_cast<int>(ExitCode::findings)
                 : 0;
    };
  });
}

}  // namespace dbsplit::cli
