#pragma once
// Reads the catalog model of a live database: one batched query per object kind,
// never one query per table, sizes from reltuples/relpages.
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/catalog/model.hpp"

namespace dbsplit::catalog {

struct IntrospectOptions {
  // Schemas left out besides pg_catalog, information_schema, pg_toast* and dbsplit.
  std::vector<std::string> exclude_schemas;
};

// Throws RuntimeError (naming the object kind whose query failed) on database errors.
// Opens a second connection with the same connection string, in the same snapshot, to
// deparse constraints and indexes in parallel; without it, reads them on `conn`.
Schema introspect(pqxx::connection& conn, const IntrospectOptions& options = {});

}  // namespace dbsplit::catalog
