#pragma once
// The write endpoints of the plan ("commands", pattern owner_api_write; the Command types
// are in api_model.hpp): names and types of their arguments from the PostgreSQL parse tree
// (libpg_query) of the statement each replaces.
#include <string>

#include "core/catalog/model.hpp"
#include "core/codegen/api_model.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::codegen {

// The command for a write endpoint of the plan. `resource` is the written table as the
// service serves it (nullptr when the service does not own it). Never throws for a
// statement it cannot serve (several statements, its own RETURNING, a data-modifying
// WITH, another table, not INSERT/UPDATE/DELETE): it says why in `unsupported`.
Command describe_command(const plan::ApiEndpoint& endpoint, const Resource* resource,
                         const catalog::Schema& schema);

// The event suffix of a command's kind: "inserted", "updated" or "deleted".
std::string change_of(CommandKind kind);

}  // namespace dbsplit::codegen
