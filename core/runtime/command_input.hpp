#pragma once
// What a command's request asks for (POST /commands/<name>, docs/serve.md): its arguments
// as SQL parameters and whether it is a dry run, checked so that every mistake is a
// BadInput (400) naming the argument or parameter.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/codegen/api_model.hpp"

namespace dbsplit::runtime {

enum class DryRun { no, yes };

// `?dry_run=true|false` of a request target ("/commands/x?dry_run=true"); no other
// parameter is allowed. Throws BadInput.
DryRun dry_run_of(const std::string& target);

// One parameter per argument of the command, in argument order (nullopt: NULL). Every
// argument is required (null for NULL) and no other member is allowed. Throws BadInput.
std::vector<std::optional<std::string>> command_params(const codegen::Command& c,
                                                       const nlohmann::json& body);

}  // namespace dbsplit::runtime
