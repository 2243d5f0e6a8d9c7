#pragma once
// What must hold before `dbsplit apply` runs anything of a stage. Each check throws the
// error the user sees, naming what is missing and the command that fixes it.
#include <set>
#include <string>

#include "core/apply/journal.hpp"
#include "core/apply/operations.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::apply {

// The plan breaks none of its rules (exit 3), and: with no step applied yet, the live
// schema is the one the plan was made from (exit 3, listing the drift); with steps
// applied, they all came from a plan of the same schema (exit 1). Once steps are applied
// the schema differs on purpose (views dropped, tables archived), hence the journal.
void check_plan_and_schema(const plan::Plan& plan, const Target& target, const Journal& journal);

// Every step of the stages before `stage` is journaled as applied and verified with the
// plan's checksum, or in `done` (applied in this run). Throws RuntimeError naming the first
// that is not.
void check_earlier_stages(const plan::Plan& plan, const Target& target, const Journal& journal,
                          const std::set<std::string>& done, const plan::Stage& stage);

// No step of the stage needs an operation this dbsplit lacks; throws RuntimeError naming
// the first step and operation.
void check_operations(const plan::Stage& stage);

// The rest of "step X ..." when a journaled step's checksum differs from the plan's.
std::string edited_message(const Target& target, const plan::Stage& stage, const plan::Step& step,
                           const JournalRow& row);

}  // namespace dbsplit::apply
