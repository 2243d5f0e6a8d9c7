#pragma once
// Ownership proposal and findings from a schema and a workload.
#include <string>
#include <vector>

#include "core/analysis/model.hpp"

namespace dbsplit::analysis {

// A user's pin: these tables (globs on "schema.table", e.g. "public.order_*") belong to
// this service. Read from a JSON pins file (docs/analyze.md).
struct Pin {
  std::string service;
  std::vector<std::string> tables;
};
// Throws UsageError naming the file and the JSON pointer of what is wrong.
std::vector<Pin> read_pins_file(const std::string& path);

struct AnalyzeOptions {
  std::vector<Pin> pins;  // in file order: errors point at /services/i/tables/j
  std::string pins_path;  // named in errors about pins ("" when pins came from code)
  Thresholds thresholds;
};

// Assigns every table exactly one service and reports findings. Throws UsageError when
// a pin names a table that does not exist.
Analysis analyze(catalog::Schema schema, workload::Workload workload,
                 const AnalyzeOptions& options);

}  // namespace dbsplit::analysis
