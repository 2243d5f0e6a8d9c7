#pragma once
// What the contract check needs to know about a replaced statement, from the real
// PostgreSQL parser (libpg_query): which column each $N is compared with, and whether it
// only reads.
#include <map>
#include <string>

namespace dbsplit::runtime {

// The column each $N of a statement is compared with ("col = $1", "col IN ($2, $3)");
// parameters compared with no column are missing. Throws UsageError when it does not parse.
std::map<int, std::string> parameter_columns(const std::string& sql);
// The highest $N of a statement (0 when none). Throws UsageError when it does not parse.
int parameter_count(const std::string& sql);
// True for a single SELECT without data-modifying parts or row locks.
bool is_read_only_query(const std::string& sql);

}  // namespace dbsplit::runtime
