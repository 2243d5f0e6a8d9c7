#include "core/apply/operations.hpp"

#include <map>

#include "core/apply/api_operations.hpp"

namespace dbsplit::apply {
namespace {

// The plan's rollback of a read-only step (compare, verify) has nothing to undo.
std::string nothing(const OperationContext&, const nlohmann::json&) { return "nothing to undo"; }

const std::map<std::string, Operation>& registry() {
  static const std::map<std::string, Operation> operations = {
      {"contract_check", contract_check},
      {"none", nothing},
      {"serve_api", serve_api},
      {"stop_api", stop_api},
  };
  return operations;
}

}  // namespace

const Operation* find_operation(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> implemented_operations() {
  std::vector<std::string> out;
  for (const auto& [name, operation] : registry()) out.push_back(name);
  return out;
}

std::string missing_operation(const plan::Step& step) {
  for (const plan::Action* a : {&step.action, &step.verify.check, &step.rollback})
    if (a->kind == plan::ActionKind::operation && find_operation(a->operation) == nullptr)
      return a->operation;
  return "";
}

}  // namespace dbsplit::apply
