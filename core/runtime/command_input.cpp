#include "core/runtime/command_input.hpp"

#include <httplib.h>

#include "core/runtime/values.hpp"

namespace dbsplit::runtime {

// From the target's query string, not req.params: those also hold the fields of a body
// sent as a form (curl -d without a Content-Type), and a command's body is JSON.
DryRun dry_run_of(const std::string& target) {
  DryRun out = DryRun::no;
  httplib::Params query;
  if (auto mark = target.find('?'); mark != std::string::npos)
    httplib::detail::parse_query_text(target.substr(mark + 1), query);
  for (const auto& [name, value] : query) {
    if (name != "dry_run")
      throw BadInput(valid_text(name) ? name : "",
                     "unknown parameter; a command takes dry_run only");
    if (value != "true" && value != "false")
      throw BadInput("dry_run", "dry_run: expected true or false, got '" + value + "'");
    out = value == "true" ? DryRun::yes : DryRun::no;
  }
  return out;
}

std::vector<std::optional<std::string>> command_params(const codegen::Command& c,
                                                       const nlohmann::json& body) {
  for (const auto& [name, value] : body.items()) {
    if (c.argument(name) != nullptr) continue;
    std::string names;
    for (const auto& a : c.arguments) names += (names.empty() ? "" : ", ") + a.name;
    throw BadInput(valid_text(name) ? name : "",
                   "unknown argument; arguments of " + c.name + ": " + names);
  }
  std::vector<std::optional<std::string>> params;
  for (const auto& a : c.arguments) {
    if (!body.contains(a.name))
      throw BadInput(a.name, a.name + " is required (" + a.field.sql_type + "; null for NULL)");
    params.push_back(param_from_json(a.field, body[a.name]));
  }
  return params;
}

}  // namespace dbsplit::runtime
