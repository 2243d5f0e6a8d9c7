#pragma once
// Operations: the steps that are not SQL (start an API, check its contracts, copy a
// snapshot, ...), by name. A step naming an operation missing here is refused before
// anything of its stage runs: dbsplit never pretends to have done what it cannot.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/plan/model.hpp"

namespace dbsplit::apply {

// What a command needs to reach the world outside the plan.
struct Target {
  std::string plan_path;           // the plan file as given (messages, `dbsplit serve PLAN`)
  std::string db_url;              // the source database
  std::string state_dir;           // where the services apply starts write their logs
  std::string dbsplit_executable;  // the binary that runs `dbsplit serve`
};

struct OperationContext {
  const plan::Plan& plan;
  const Target& target;
  const plan::Step& step;
};

// Runs an operation with the step's parameters; returns one line saying what it did.
// Throws Error (with what failed and what to do) when it fails; a verification operation
// throws when what it checks does not hold.
using Operation = std::function<std::string(const OperationContext&, const nlohmann::json&)>;

// The implementation of an operation, or nullptr when this dbsplit has none.
const Operation* find_operation(const std::string& name);

// Names of the operations this dbsplit implements, sorted.
std::vector<std::string> implemented_operations();

// The first operation of the step (action, verification, rollback) without an
// implementation, or "".
std::string missing_operation(const plan::Step& step);

}  // namespace dbsplit::apply
