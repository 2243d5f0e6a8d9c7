// `dbsplit analyze`: who owns which table, and what stands in the way of the split.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/workload_options.hpp"
#include "core/analysis/run.hpp"
#include "core/analysis/render.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct AnalyzeCliOptions {
  analysis::AnalyzeDatabaseOptions core;
  WorkloadFlags workload;
  std::string format = "text";
  std::string output;
  std::string fail_on;
};

int run_analyze(AnalyzeCliOptions& o) {
  auto format = analysis::analysis_format_from_string(o.format);
  std::optional<diagnostics::Severity> fail_on;
  if (!o.fail_on.empty()) fail_on = diagnostics::severity_from_string(o.fail_on);
  apply_workload_flags(o.workload, o.core);

  analysis::Analysis result = analysis::analyze_database(o.core);

  // Colour only for a terminal, and never when NO_COLOR asks for none.
  bool terminal = o.output.empty() && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  std::string text =
      analysis::render_analysis(result, format, terminal ? Color::yes : Color::no);
  if (o.output.empty()) {
    std::cout << text << std::flush;
  } else {
    write_file_atomically(o.output, text);
    size_t errors = 0, warnings = 0;
    for (const auto& f : result.findings) {
      errors += f.severity == diagnostics::Severity::error;
      warnings += f.severity == diagnostics::Severity::warning;
    }
    std::cerr << fmt::format("dbsplit: wrote {} ({} tables, {} services, {} errors, {} warnings)\n",
                             o.output, result.tables.size(), result.services.size(), errors,
                             warnings);
  }
  if (fail_on && diagnostics::any_at_least(result.findings, *fail_on)) {
    std::cerr << fmt::format("dbsplit: findings at or above {} severity (--fail-on {})\n",
                             diagnostics::to_string(*fail_on), o.fail_on);
    return static_cast<int>(ExitCode::findings);
  }
  return 0;
}

}  // namespace

void add_analyze_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<AnalyzeCliOptions>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Propose an owning service for every table and report what stands in the way of the "
      "split");
  cmd->footer(
      "Workload: pg_stat_statements of the database (unless --no-stats) and any --log files\n"
      "(log_statement=all; a log_line_prefix with %u, %a and %v groups transactions).\n"
      "Modules come from a /* module='x' */ comment, else --module-map, else the application\n"
      "name, else the role. Pins file: {\"services\": [{\"name\": \"orders\", \"tables\":\n"
      "[\"public.order_*\"]}]}. Finding codes: docs/diagnostics.md; JSON: docs/analyze.md.\n\n"
      "Examples:\n"
      "  dbsplit analyze --db postgresql://app@db/shop\n"
      "  dbsplit analyze --db postgresql://app@db/shop --log /var/log/postgresql/pg.log \\\n"
      "      --module-map svc_orders=orders --pins pins.json --format json -o analysis.json\n"
      "  dbsplit analyze --db \"$DB\" --no-stats --format dot -o split.dot && dot -Tsvg split.dot\n"
      "  dbsplit analyze --db \"$DB\" --format markdown -o analysis.md --fail-on error\n\n"
      "Exit codes: 0 done, 1 database/file failure, 2 bad input, 3 findings at --fail-on.");
  cmd->add_option("--db", o->core.db_url, "Database URL (postgresql://user@host:port/db)")
      ->required();
  cmd->add_option("--log", o->core.log_files, "PostgreSQL log file to read (repeatable)");
  cmd->add_option("--log-format", o->workload.log_format, "auto, stderr or csv (default auto)");
  cmd->add_option("--log-prefix", o->workload.log_prefix,
                  "log_line_prefix of stderr logs (default '%m [%p] user=%u db=%d app=%a "
                  "vxid=%v xid=%x: ')");
  cmd->add_option("--module-map", o->workload.module_map,
                  "ROLE_OR_APP=MODULE: attribute a role's or application's statements to a "
                  "module (repeatable)");
  cmd->add_flag("--no-stats", o->workload.no_stats, "Do not read pg_stat_statements");
  cmd->add_option("--search-path", o->workload.search_path,
                  "Schemas for unqualified names, comma-separated (default public)");
  cmd->add_option("--exclude-schema", o->core.exclude_schemas,
                  "Leave a schema out of the analysis (repeatable)");
  cmd->add_option("--pins", o->core.pins_file, "JSON file pinning tables to services");
  cmd->add_option("--frequent-read-share", o->core.thresholds.frequent_read_share,
                  "Share of all calls at which a cross-service read counts as frequent "
                  "(default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--reporting-module", o->workload.reporting_modules,
                  "Module whose reads go to an analytics database (repeatable; default "
                  "reporting)");
  cmd->add_option("--format", o->format, "text, json, markdown or dot (default text)")
      ->check(CLI::IsMember({"text", "json", "markdown", "dot"}));
  cmd->add_option("-o,--output", o->output, "Write to FILE (atomically) instead of stdout");
  cmd->add_option("--fail-on", o->fail_on, "Exit 3 when a finding of this severity or worse exists")
      ->check(CLI::IsMember({"error", "warning", "info"}));
  cmd->callback([&action, o] { action = [o] { return run_analyze(*o); }; });
}

}  // namespace dbsplit::cli
