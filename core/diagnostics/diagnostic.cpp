#include "core/diagnostics/diagnostic.hpp"

#include "core/util/error.hpp"

namespace dbsplit::diagnostics {

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "error";
}

Severity severity_from_string(const std::string& text) {
  if (text == "info") return Severity::info;
  if (text == "warning") return Severity::warning;
  if (text == "error") return Severity::error;
  throw UsageError("unknown severity '" + text + "'; use info, warning or error");
}

bool any_at_least(const std::vector<Diagnostic>& diagnostics, Severity severity) {
  for (const auto& d : diagnostics)
    if (static_cast<int>(d.severity) >= static_cast<int>(severity)) return true;
  return false;
}

}  // namespace dbsplit::diagnostics
