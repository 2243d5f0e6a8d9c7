#pragma once
// `dbsplit analyze` output: text for a terminal, JSON for tools (docs/analyze.md),
// markdown for a design review, Graphviz dot for a picture.
#include <string>

#include "core/analysis/model.hpp"
#include "core/util/text.hpp"

namespace dbsplit::analysis {

enum class AnalysisFormat { text, json, markdown, dot };
// Throws UsageError listing the formats.
AnalysisFormat analysis_format_from_string(const std::string& name);

std::string render_analysis(const analysis::Analysis& analysis, AnalysisFormat format,
                            Color color = Color::no);

std::string render_analysis_text(const analysis::Analysis& analysis, Color color);
std::string render_analysis_markdown(const analysis::Analysis& analysis);
// Services as clusters, tables as nodes, FK edges (arrows) and co-access edges (dashed);
// edges crossing services red and bold.
std::string render_analysis_dot(const analysis::Analysis& analysis);

}  // namespace dbsplit::analysis
