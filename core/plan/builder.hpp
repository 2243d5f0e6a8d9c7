#pragma once
// Turns an analysis into a plan: the services, what each cross-service dependency's
// pattern implies (endpoints, caches, read models, sagas, orphan checks), and the staged
// steps with real SQL or named operations, each with its verification and rollback.
#include "core/analysis/model.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::plan {

// Where the services' databases go in the database stage.
enum class TargetKind {
  environment,  // "${DBSPLIT_TARGET_<SERVICE>}": a URL from the environment at apply time
  embedded,     // "embedded": a local instance dbsplit starts
};

struct BuildOptions {
  TargetKind target = TargetKind::environment;
};

// Deterministic: the same analysis gives the same plan. Throws nothing for a valid
// analysis; tables the analysis left without a service are not planned (plan check
// reports them as DS301).
Plan build_plan(const analysis::Analysis& analysis, const BuildOptions& options = {});

}  // namespace dbsplit::plan
