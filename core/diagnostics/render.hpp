#pragma once
// The one renderer of diagnostics (findings, drift, plan-rule violations) shared by every
// command, as text grouped by severity or as JSON.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/diagnostics/diagnostic.hpp"
#include "core/util/text.hpp"

namespace dbsplit::diagnostics {

// "Findings: 1 error, 2 warnings, 0 info" then each severity group, errors first; each
// diagnostic on one wrapped line with its objects and the pattern that resolves it.
std::string render_diagnostics_text(const std::vector<Diagnostic>& diagnostics, Color color,
                                    const std::string& title = "Findings");

// {code, severity, message, objects, pattern}: one element of diagnostics_to_json.
nlohmann::json diagnostic_to_json(const Diagnostic& diagnostic);
// [{code, severity, message, objects, pattern}], in the given order.
nlohmann::json diagnostics_to_json(const std::vector<Diagnostic>& diagnostics);
// Throws UsageError naming the JSON pointer (under `pointer`) of a malformed member.
std::vector<Diagnostic> diagnostics_from_json(const nlohmann::json& json,
                                              const std::string& pointer);

}  // namespace dbsplit::diagnostics
