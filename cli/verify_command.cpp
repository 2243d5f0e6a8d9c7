// `dbsplit verify contracts PLAN --db URL --service-url NAME=URL...`: every endpoint
// that replaces a cross-service read returns what the replaced SQL reads, and every
// command does what the write it replaces does, on live data (changing none).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/plan/json.hpp"
#include "core/runtime/contracts.hpp"
#include "core/util/error.hpp"

namespace dbsplit::cli {
namespace {

struct VerifyOptions {
  std::string plan;
  std::vector<std::string> service_urls;
  std::string format = "text";
  runtime::ContractOptions options;
};

std::string render_text(const runtime::ContractReport& report) {
  int errors = 0, warnings = 0;
  std::string lines;
  for (const auto& d : report.diagnostics) {
    (d.severity == diagnostics::Severity::error ? errors : warnings)++;
    lines += d.code + " " + diagnostics::to_string(d.severity) + ": " + d.message + "\n";
  }
  return "Contracts: " + std::to_string(report.endpoints_checked) + " endpoints checked with " +
         std::to_string(report.calls) + " calls; " + std::to_string(errors) + " differences, " +
         std::to_string(warnings) + " warnings\n" + lines;
}

std::string render_json(const runtime::ContractReport& report) {
  nlohmann::ordered_json out;
  out["endpoints_checked"] = report.endpoints_checked;
  out["calls"] = report.calls;
  out["diagnostics"] = nlohmann::ordered_json::array();
  for (const auto& d : report.diagnostics)
    out["diagnostics"].push_back({{"code", d.code},
                                  {"severity", diagnostics::to_string(d.severity)},
                                  {"message", d.message},
                                  {"objects", d.objects},
                                  {"pattern", d.pattern}});
  return out.dump(2) + "\n";
}

}  // namespace

void add_verify_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<VerifyOptions>();
  auto* verify = app.add_subcommand("verify", "Re-run the verifications of a split");
  verify->require_subcommand(1);
  auto* contracts = verify->add_subcommand(
      "contracts",
      "Check every endpoint replacing a cross-service read or write against the SQL it "
      "replaces");
  contracts->add_option("PLAN", opts->plan, "Plan file")->required();
  contracts->add_option("--db", opts->options.db_url, "URL of the live (shared) database")
      ->required();
  contracts
      ->add_option("--service-url", opts->service_urls, "NAME=URL of a running `dbsplit serve`")
      ->required();
  contracts
      ->add_option("--samples", opts->options.samples,
                   "Parameter values tried per endpoint (default 20)")
      ->check(CLI::Range(1, 10000));
  contracts->add_option("--format", opts->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  contracts->footer(
      "Exit codes: 0 no difference, 3 differences (DS401-DS403, DS405, DS406), 1 the "
      "database failed.\n"
      "Commands are compared on a dry run (dry_run=true) and the replaced statement in a\n"
      "transaction that is rolled back: no data is kept.\n\n"
      "Example:\n"
      "  dbsplit verify contracts plan.json --db postgresql://localhost/shop \\\n"
      "      --service-url orders=http://127.0.0.1:8081 --service-url "
      "accounts=http://127.0.0.1:8082");
  contracts->callback([&action, opts] {
    action = [opts] {
      for (const auto& item : opts->service_urls) {
        auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
          throw UsageError("--service-url " + item +
                           ": expected NAME=URL, e.g. orders=http://127.0.0.1:8081");
        opts->options.service_urls[item.substr(0, eq)] = item.substr(eq + 1);
      }
      plan::Plan plan = plan::read_plan_file(opts->plan);
      auto report = runtime::check_contracts(plan, opts->options);
      std::cout << (opts->format == "json" ? render_json(report) : render_text(report));
      return diagnostics::any_at_least(report.diagnostics, diagnostics::Severity::error)
                 ? static_cast<int>(ExitCode::findings)
                 : 0;
    };
  });
  add_verify_events_command(*verify, action);
}

}  // namespace dbsplit::cli
