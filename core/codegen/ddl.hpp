#pragma once
// The DDL of a service's own database, in dependency order: schemas, types, sequences,
// tables with their keys and checks, indexes, foreign keys between its own tables, and
// the outbox table `dbsplit_outbox.<service>`.
#include <string>

#include "core/plan/model.hpp"

namespace dbsplit::codegen {

// schema.sql of the service. Throws UsageError for an unknown service.
std::string service_ddl(const plan::Plan& plan, const std::string& service);

// The DDL of the outbox table alone (idempotent): run on the shared database before
// `dbsplit serve`, and part of service_ddl.
std::string outbox_ddl(const std::string& service);

}  // namespace dbsplit::codegen
