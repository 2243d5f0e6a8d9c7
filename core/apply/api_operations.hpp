#pragma once
// The operations of the apis stage (internal to core/apply; registered in operations.cpp).
#include "core/apply/operations.hpp"

namespace dbsplit::apply {

// serve_api {service, role, database: "source", endpoints}: starts `dbsplit serve` for the
// service on the source database, connected as its role, in the background; waits until
// it answers /ready; records it in dbsplit.services. A recorded server that still answers
// is kept.
std::string serve_api(const OperationContext& ctx, const nlohmann::json& parameters);

// contract_check {service, endpoints}: the recorded server answers /ready and each of the
// step's endpoints does what the SQL it replaces does: a read returns the same rows, a
// command touches the same ones (runtime::check_contracts); throws listing the differences.
std::string contract_check(const OperationContext& ctx, const nlohmann::json& parameters);

// stop_api {service}: SIGTERM to the recorded server, wait for it, forget it.
std::string stop_api(const OperationContext& ctx, const nlohmann::json& parameters);

}  // namespace dbsplit::apply
