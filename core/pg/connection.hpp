#pragma once
// Connecting to PostgreSQL with errors that name the database but never its password.
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace dbsplit::pg {

// The URL or key=value connection string with any password replaced by "***".
std::string redact(const std::string& conninfo);

// Opens a connection; throws RuntimeError naming the (redacted) target and what to do.
// `what` says which input it came from, e.g. "--db".
std::unique_ptr<pqxx::connection> connect(const std::string& conninfo,
                                          const std::string& what = "--db");

// Quotes an identifier the way PostgreSQL's quote_ident does.
std::string quote_ident(const std::string& name);

// "schema.table", each part quoted only when it needs quoting.
std::string qualified_name(const std::string& schema, const std::string& name);

}  // namespace dbsplit::pg
