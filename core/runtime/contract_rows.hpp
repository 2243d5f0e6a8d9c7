#pragma once
// Rows as the contract checks compare them: each value as text (nullopt: NULL), shown as
// a JSON object in a diagnostic, and multiset differences of sorted row lists. Shared by
// the read endpoint checks (contracts.cpp) and the command checks (command_contracts.cpp).
#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/plan/model.hpp"
#include "core/diagnostics/diagnostic.hpp"

namespace dbsplit::runtime {

using ContractRow = std::vector<std::optional<std::string>>;

// {"column": "value", ...} of a row, names in column order (null for NULL).
inline std::string show_row(const std::vector<std::string>& names, const ContractRow& row) {
  nlohmann::json object = nlohmann::json::object();
  for (size_t i = 0; i < names.size() && i < row.size(); ++i)
    object[names[i]] = row[i] ? nlohmann::json(*row[i]) : nlohmann::json(nullptr);
  return object.dump();
}

// Elements of `a` not in `b` (multisets, both sorted).
template <class T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// A DS4xx diagnostic about `endpoint` ("service.name") of the plan dependency `d`, naming
// the endpoint, its table and the consumer; `last_shown` adds that further differences of
// the same `what` ("endpoint", "command") are not shown.
inline diagnostics::Diagnostic contract_diagnostic(const std::string& code, diagnostics::Severity severity,
                                              const std::string& endpoint,
                                              const plan::Dependency& d, const std::string& message,
                                              const std::string& pattern, bool last_shown,
                                              const std::string& what) {
  diagnostics::Diagnostic diagnostic;
  diagnostic.code = code;
  diagnostic.severity = severity;
  diagnostic.objects = {endpoint, d.endpoint->resource};
  if (!d.consumer.empty()) diagnostic.objects.push_back(d.consumer);
  diagnostic.message =
      last_shown ? message + " (further differences of this " + what + " not shown)" : message;
  diagnostic.pattern = pattern;
  return diagnostic;
}

}  // namespace dbsplit::runtime
