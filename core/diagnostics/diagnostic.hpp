#pragma once
// Findings and drift are data: a stable code, a severity, the objects involved, a
// message and the pattern that resolves them. Rendered by report/render_diagnostics.
// Codes are documented in docs/diagnostics.md and never reused.
#include <string>
#include <vector>

namespace dbsplit::diagnostics {

enum class Severity { info, warning, error };

const char* to_string(Severity severity);
Severity severity_from_string(const std::string& text);  // throws UsageError

struct Diagnostic {
  std::string code;  // e.g. "DS101"
  Severity severity = Severity::warning;
  std::vector<std::string> objects;  // "schema.table", "schema.table.column", module names
  std::string message;
  std::string pattern;  // the pattern or action that resolves it ("" when none)
};

// True when any diagnostic has at least the given severity.
bool any_at_least(const std::vector<Diagnostic>& diagnostics, Severity severity);

}  // namespace dbsplit::diagnostics
