// The analysis as a design-review document a team can paste into a pull request or wiki.
#include <fmt/format.h>

#include "core/analysis/render.hpp"

namespace dbsplit::analysis {
namespace {

using diagnostics::Severity;

// Table cells: pipes would end the cell, newlines the row.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string code_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "`" : ", `") + cell(i) + "`";
  return out;
}

const char* severity_heading(Severity s) {
  switch (s) {
    case Severity::error:
      return "Errors (block the split until decided)";
    case Severity::warning:
      return "Warnings (each needs the pattern named)";
    case Severity::info:
      return "Information";
  }
  return "";
}

}  // namespace

std::string render_analysis_markdown(const analysis::Analysis& a) {
  std::string out = fmt::format("# Database split analysis: {}\n\n", cell(a.database));
  std::string sources;
  for (const auto& s : a.workload.sources) sources += (sources.empty() ? "" : ", ") + s;
  out += fmt::format(
      "{} tables in {} proposed services, from {} calls in {} statements ({}). Thresholds: a "
      "cross-service read is frequent at {:.2f}% of all calls or more; reporting modules: {}.\n",
      a.tables.size(), a.services.size(), a.total_calls, a.workload.statements.size(),
      sources.empty() ? std::string("no workload") : sources,
      a.thresholds.frequent_read_share * 100,
      a.thresholds.reporting_modules.empty() ? std::string("none")
                                             : code_list(a.thresholds.reporting_modules));

  out += "\n## Proposed services\n\n| Service | Tables | Modules |\n|---|---|---|\n";
  for (const auto& s : a.services)
    out += fmt::format("| **{}** | {} | {} |\n", cell(s.name), code_list(s.tables),
                       code_list(s.modules));

  out +=
      "\n## Ownership of every table\n\n"
      "| Table | Service | Signal | Confidence | Reason |\n|---|---|---|---:|---|\n";
  for (const auto& t : a.tables)
    out += fmt::format("| `{}` | {} | {} | {:.2f} | {} |\n", cell(t.table), cell(t.service),
                       analysis::to_string(t.signal), t.confidence, cell(t.reason));

  if (!a.matrix.empty()) {
    out +=
        "\n## Access matrix (calls)\n\n| Module | Table | Reads | Writes | Locks |\n"
        "|---|---|---:|---:|---:|\n";
    for (const auto& c : a.matrix)
      out += fmt::format("| {} | `{}` | {} | {} | {} |\n", cell(c.module), cell(c.table),
                         c.read_calls, c.write_calls, c.lock_calls);
  }

  out += "\n## Cross-service dependencies\n\n";
  if (a.dependencies.empty()) {
    out += "None.\n";
  } else {
    out +=
        "| Kind | Consumer | Owner | Tables | Calls | Share | Pattern | Why |\n"
        "|---|---|---|---|---:|---:|---|---|\n";
    for (const auto& d : a.dependencies)
      out += fmt::format("| {} | {} | {} | {} | {} | {:.2f}% | **{}** | {} |\n",
                         analysis::to_string(d.kind), cell(d.consumer), cell(d.owner),
                         code_list(d.tables), d.calls, d.calls_share * 100,
                         analysis::to_string(d.pattern),
                         cell(d.object.empty() ? d.rationale : d.object + ": " + d.rationale));
  }

  out += "\n## Findings\n";
  if (a.findings.empty()) out += "\nNone.\n";
  for (Severity severity : {Severity::error, Severity::warning, Severity::info}) {
    bool any = false;
    for (const auto& f : a.findings) {
      if (f.severity != severity) continue;
      if (!any) out += fmt::format("\n### {}\n\n", severity_heading(severity));
      any = true;
      out += fmt::format("- **{}** {}", f.code, cell(f.message));
      if (!f.objects.empty()) out += " — " + code_list(f.objects);
      if (!f.pattern.empty()) out += "  \n  *Resolution:* " + cell(f.pattern);
      out += "\n";
    }
  }
  out += "\nFinding codes are documented in docs/diagnostics.md.\n";
  return out;
}

}  // namespace dbsplit::analysis
