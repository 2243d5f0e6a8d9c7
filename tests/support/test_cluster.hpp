#pragma once
// The PostgreSQL cluster of one test process: started on first use, stopped and
// removed when the process exits (or by the next run, if this one was killed).
#include <string>

#include "core/pg/local_instance.hpp"

namespace dbsplit::test {

// The cluster of this test process (started on first call).
const pg::LocalInstance& cluster();

// Creates a new, empty database in the cluster with pg_stat_statements installed,
// and returns its URL. Each call gives a distinct database.
std::string fresh_database(const std::string& prefix = "t");

// Runs SQL (several statements allowed) on a database URL as superuser.
void exec_sql(const std::string& url, const std::string& sql);

// Stops the cluster if one was started (called at exit and on fatal signals).
void shutdown_cluster();

// Root of the source tree, for test data.
std::string source_dir();

}  // namespace dbsplit::test
