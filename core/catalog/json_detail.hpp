#pragma once
// Internals of the catalog JSON shared by its tree, its writer and fingerprint.cpp.
#include <functional>
#include <string>
#include <vector>

#include "core/catalog/model.hpp"

namespace dbsplit::catalog::detail {

// The lists of schema objects in their JSON order (pointers: sorting copies of whole
// tables would cost more than writing them), for the tree and for the writer.
std::vector<const Table*> sorted_tables(const Schema& schema);
std::vector<const ForeignKey*> sorted_foreign_keys(const Schema& schema);
std::vector<const View*> sorted_views(const Schema& schema);
std::vector<const Sequence*> sorted_sequences(const Schema& schema);
std::vector<const Function*> sorted_functions(const Schema& schema);
std::vector<const Trigger*> sorted_triggers(const Schema& schema);
std::vector<const UserType*> sorted_types(const Schema& schema);

// Streams, in pieces, exactly the text of to_json(schema).dump() without the
// "database" and "server_version" members: what the fingerprint hashes. Building it
// one table at a time avoids holding the JSON of a 10,000-table schema at once.
void write_structure(const Schema& schema, const std::function<void(const std::string&)>& sink);

}  // namespace dbsplit::catalog::detail
