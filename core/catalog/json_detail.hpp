#pragma once
// Internals of the catalog JSON shared with fingerprint.cpp and its tests.
#include <functional>
#include <string>

#include "core/catalog/model.hpp"

namespace dbsplit::catalog::detail {

// Streams, in pieces, exactly the text of to_json(schema).dump() without the
// "database" and "server_version" members: what the fingerprint hashes. Building it
// one table at a time avoids holding the JSON of a 10,000-table schema at once.
void write_structure(const Schema& schema, const std::function<void(const std::string&)>& sink);

}  // namespace dbsplit::catalog::detail
