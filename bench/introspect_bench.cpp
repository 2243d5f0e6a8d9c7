// introspect() + fingerprint() of one database, timed from outside by
// analyze_vs_pg_dump.sh until `dbsplit analyze` exists; prints its phases on stderr.
// usage: introspect_bench --db URL [-o FILE]   (FILE gets the catalog JSON)
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "core/catalog/introspect.hpp"
#include "core/catalog/json.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace {

using Clock = std::chrono::steady_clock;

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::string output;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--db") db = argv[i + 1];
    if (flag == "-o") output = argv[i + 1];
  }
  if (db.empty()) {
    std::cerr << "usage: introspect_bench --db URL [-o FILE]\n";
    return 2;
  }
  try {
    auto start = Clock::now();
    auto conn = dbsplit::pg::connect(db);
    auto connected = Clock::now();
    auto schema = dbsplit::catalog::introspect(*conn);
    auto introspected = Clock::now();
    std::string fingerprint = dbsplit::catalog::fingerprint(schema);
    auto fingerprinted = Clock::now();
    if (!output.empty()) {
      std::ofstream out(output);
      out << dbsplit::catalog::to_json(schema, dbsplit::catalog::WithStatistics::yes).dump(2);
    }
    auto written = Clock::now();
    std::cerr << schema.tables.size() << " tables, " << schema.foreign_keys.size()
              << " foreign keys, " << fingerprint << "; ms: connect "
              << ms_between(start, connected) << ", introspect "
              << ms_between(connected, introspected) << ", fingerprint "
              << ms_between(introspected, fingerprinted) << ", json "
              << ms_between(fingerprinted, written) << "\n";
  } catch (const dbsplit::Error& e) {
    std::cerr << "introspect_bench: error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  }
  return 0;
}
