// `dbsplit generate PLAN -o DIR [--service NAME]`: each service's OpenAPI document, C++
// client and database DDL (docs/generate.md).
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "core/codegen/api_model.hpp"
#include "core/codegen/generate.hpp"
#include "core/plan/json.hpp"

namespace dbsplit::cli {
namespace {

struct GenerateCliOptions {
  std::string plan;
  codegen::GenerateOptions options;
};

}  // namespace

void add_generate_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<GenerateCliOptions>();
  auto* cmd = app.add_subcommand(
      "generate", "Write each service's OpenAPI document, C++ client and schema.sql");
  cmd->add_option("PLAN", opts->plan, "Plan file (from `dbsplit plan`)")->required();
  cmd->add_option("-o,--output", opts->options.output_dir, "Output directory")->required();
  cmd->add_option("--service", opts->options.service, "Only this service (default: all)");
  cmd->footer(
      "Writes DIR/<service>/openapi.json, client.hpp, client.cpp and schema.sql, the same\n"
      "bytes for the same plan. Prints the files written.\n\n"
      "Examples:\n"
      "  dbsplit generate plan.json -o generated\n"
      "  dbsplit generate plan.json -o generated --service orders");
  cmd->callback([&action, opts] {
    action = [opts] {
      plan::Plan plan = plan::read_plan_file(opts->plan);
      for (const auto& path : codegen::generate(plan, opts->options)) std::cout << path << "\n";
      // Write endpoints dbsplit cannot serve are left out of the API; say which and why.
      for (const auto& service : plan.services) {
        if (!opts->options.service.empty() && service.name != opts->options.service) continue;
        for (const auto& c : codegen::describe_service(plan, service.name).commands)
          if (!c.unsupported.empty())
            std::cerr << "dbsplit generate: note: command " << service.name << "." << c.name
                      << " is not generated: " << c.unsupported << "\n";
      }
      return 0;
    };
  });
}

}  // namespace dbsplit::cli
