#pragma once
// `dbsplit verify contracts`: for every read the plan replaces with an API endpoint, run
// the replaced SQL on live data for a sample of parameter values taken from the table and
// call the endpoint with the same values; for every write, compare the replaced statement
// and the command on sampled arguments without keeping either (command_contracts.hpp).
// Every difference is a DS4xx diagnostic (docs/diagnostics.md, "contracts").
#include <map>
#include <string>
#include <vector>

#include "core/plan/model.hpp"
#include "core/diagnostics/diagnostic.hpp"

namespace dbsplit::runtime {

struct ContractOptions {
  std::string db_url;                               // the live (shared) database
  std::map<std::string, std::string> service_urls;  // service → "http://host:port"
  int samples = 20;                                 // parameter values tried per endpoint
};

struct ContractReport {
  std::vector<diagnostics::Diagnostic> diagnostics;  // in plan order
  int endpoints_checked = 0;
  int calls = 0;  // endpoint calls made (pages included)
};

// Throws RuntimeError when the database cannot be reached. Endpoints that cannot be
// checked (no --service-url, unbound parameters, unsupported commands) are reported as
// DS404 warnings.
ContractReport check_contracts(const plan::Plan& plan, const ContractOptions& options);

}  // namespace dbsplit::runtime
