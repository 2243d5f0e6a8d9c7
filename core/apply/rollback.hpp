#pragma once
// `dbsplit rollback`: undoes one stage, running the rollbacks the journal recorded when its
// steps were applied, latest step first, each with its journal update in one transaction.
#include <functional>
#include <string>

#include "core/apply/operations.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::apply {

struct RollbackOutcome {
  std::string step_id;
  bool ok = true;
  std::string detail;  // what an operation did; why it failed
};
using RollbackSink = std::function<void(const RollbackOutcome&)>;

struct RollbackOptions {
  Target target;
  plan::StageName stage = plan::StageName::ownership;
};

// Returns how many steps were rolled back (0 when none of the stage was applied). Throws
// RuntimeError when another run holds the apply lock, when a later stage has applied steps,
// when a rollback needs an operation this dbsplit lacks (before running any), or when a
// rollback fails (after giving it to `sink`; the steps before it stay applied).
int rollback_stage(const plan::Plan& plan, const RollbackOptions& options,
                   const RollbackSink& sink);

}  // namespace dbsplit::apply
