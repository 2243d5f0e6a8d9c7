#pragma once
// `dbsplit apply`: runs the stages of a plan on the source database, step by step, each
// step journaled and verified, under the apply lock; resumable; with a dry run that runs
// the same code in a transaction rolled back at the end (docs/apply.md).
#include <functional>
#include <optional>
#include <string>

#include "core/apply/executor.hpp"
#include "core/apply/operations.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::apply {

enum class StepResult {
  applied,      // ran and passed its verification
  skipped,      // journaled earlier with the same checksum; verified again
  would_apply,  // dry run: ran and passed its verification, then rolled back
  listed,       // dry run: an operation, not run
  failed,       // nothing of it was kept
};
const char* to_string(StepResult result);

struct StepOutcome {
  plan::StageName stage = plan::StageName::ownership;
  std::string step_id;
  StepResult result = StepResult::applied;
  std::string detail;  // what an operation did, why a step failed
};

// Receives each step's outcome as soon as it is known (a stage may take hours).
using OutcomeSink = std::function<void(const StepOutcome&)>;

struct ApplyOptions {
  Target target;
  std::optional<plan::StageName> stage;  // nullopt: every stage, in order
  DryRun dry_run = DryRun::no;
};

// Runs the stage (or every stage). Throws Error with exit code 3 when the plan breaks its
// rules or the live schema drifted from it before the first step; RuntimeError (exit 1)
// when another run holds the lock, an earlier stage is not complete, a step needs an
// operation this dbsplit lacks, a journaled step was edited since, or a step fails (after
// giving the failed step to `sink`); the message names the step and what to do.
void apply_plan(const plan::Plan& plan, const ApplyOptions& options, const OutcomeSink& sink);

}  // namespace dbsplit::apply
