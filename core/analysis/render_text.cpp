// The text report: services with their tables, the access matrix, the cross-service
// dependencies with their pattern, and the findings, readable in 100 columns.
#include "core/analysis/render.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/analysis/json.hpp"
#include "core/diagnostics/render.hpp"
#include "core/util/error.hpp"

namespace dbsplit::analysis {
namespace {

size_t widest(size_t minimum, size_t maximum, size_t value) {
  return std::clamp(value, minimum, maximum);
}

std::string header(const analysis::Analysis& a, Color color) {
  std::string sources;
  for (const auto& s : a.workload.sources) sources += (sources.empty() ? "" : ", ") + s;
  std::string out = paint("dbsplit analyze", "1", color) + ": " +
                    (a.database.empty() ? std::string("(database)") : a.database) + "\n";
  out += fmt::format("{} tables, {} services, {} calls in {} statements from {}", a.tables.size(),
                     a.services.size(), a.total_calls, a.workload.statements.size(),
                     sources.empty() ? std::string("no workload") : sources);
  if (a.unparsed_statements > 0) out += fmt::format(" ({} unparsed)", a.unparsed_statements);
  return out + "\n";
}

std::string services(const analysis::Analysis& a, Color color) {
  size_t name_width = 0;
  for (const auto& t : a.tables) name_width = std::max(name_width, t.table.size());
  name_width = widest(12, 40, name_width);
  std::string out = "\n" + paint("Services", "1", color) + "\n";
  for (const auto& s : a.services) {
    std::string modules;
    for (const auto& m : s.modules) modules += (modules.empty() ? "" : ", ") + m;
    out += fmt::format("  {} ({} table{}{})\n", paint(s.name, "1", color), s.tables.size(),
                       s.tables.size() == 1 ? "" : "s",
                       modules.empty() ? std::string() : "; modules: " + modules);
    for (const auto& table : s.tables) {
      const auto* t = a.assignment(table);
      if (!t) continue;
      std::string line = fmt::format("    {} {} {:.2f}  ", pad(t->table, name_width),
                                     pad(analysis::to_string(t->signal), 15), t->confidence);
      size_t indent = line.size() <= 60 ? line.size() : 10;  // keep reasons in their column
      out += line + paint(wrap(t->reason, line.size(), indent), "2", color) + "\n";
    }
  }
  return out;
}

std::string matrix(const analysis::Analysis& a, Color color) {
  if (a.matrix.empty()) return "";
  size_t module_width = 6, table_width = 5;
  for (const auto& c : a.matrix) {
    module_width = std::max(module_width, c.module.size());
    table_width = std::max(table_width, c.table.size());
  }
  module_width = widest(6, 20, module_width);
  table_width = widest(5, 40, table_width);
  std::string out = "\n" + paint("Access matrix", "1", color) + " (calls)\n";
  out += fmt::format("  {} {} {:>10} {:>10} {:>8}\n", pad("module", module_width),
                     pad("table", table_width), "reads", "writes", "locks");
  for (const auto& c : a.matrix) {
    out += fmt::format("  {} {} {:>10} {:>10} {:>8}\n", pad(c.module, module_width),
                       pad(c.table, table_width), c.read_calls, c.write_calls, c.lock_calls);
  }
  return out;
}

std::string dependencies(const analysis::Analysis& a, Color color) {
  std::string reporting;
  for (const auto& m : a.thresholds.reporting_modules)
    reporting += (reporting.empty() ? "" : ", ") + m;
  std::string out = "\n" + paint("Cross-service dependencies", "1", color) +
                    fmt::format(" (frequent_read_share {:.2f}%, reporting modules: {})\n",
                                a.thresholds.frequent_read_share * 100,
                                reporting.empty() ? std::string("none") : reporting);
  if (a.dependencies.empty()) return out + "  none\n";
  for (const auto& d : a.dependencies) {
    std::string tables;
    for (const auto& t : d.tables) tables += (tables.empty() ? "" : ", ") + t;
    std::string who = (d.consumer.empty() ? d.owner : d.consumer + " -> " + d.owner) + ":";
    std::string what = d.object.empty() || d.kind == analysis::DependencyKind::transaction
                           ? tables
                           : d.object + " (" + tables + ")";
    std::string share = d.calls > 0 && d.calls_share > 0
                            ? fmt::format(" {} calls, {:.2f}%", d.calls, d.calls_share * 100)
                        : d.calls > 0 ? fmt::format(" {} times", d.calls)
                                      : "";
    std::string line = fmt::format("  {} {} ", pad(analysis::to_string(d.kind), 11), who);
    out += line +
           wrap(what + share + " => " + paint(analysis::to_string(d.pattern), "1", color),
                line.size(), 14) +
           "\n";
  }
  return out;
}

}  // namespace

AnalysisFormat analysis_format_from_string(const std::string& name) {
  if (name == "text") return AnalysisFormat::text;
  if (name == "json") return AnalysisFormat::json;
  if (name == "markdown") return AnalysisFormat::markdown;
  if (name == "dot") return AnalysisFormat::dot;
  throw UsageError("unknown format '" + name + "'; use text, json, markdown or dot");
}

std::string render_analysis_text(const analysis::Analysis& a, Color color) {
  return header(a, color) + services(a, color) + matrix(a, color) + dependencies(a, color) + "\n" +
         diagnostics::render_diagnostics_text(a.findings, color);
}

std::string render_analysis(const analysis::Analysis& a, AnalysisFormat format, Color color) {
  switch (format) {
    case AnalysisFormat::text:
      return render_analysis_text(a, color);
    case AnalysisFormat::json: {
      std::string out;
      JsonWriter writer(out);
      analysis::write_json(a, writer);
      out += '\n';
      return out;
    }
    case AnalysisFormat::markdown:
      return render_analysis_markdown(a);
    case AnalysisFormat::dot:
      return render_analysis_dot(a);
  }
  return render_analysis_text(a, color);
}

}  // namespace dbsplit::analysis
