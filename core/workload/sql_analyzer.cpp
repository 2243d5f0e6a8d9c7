#include "core/workload/sql_analyzer.hpp"

#include <pg_query.h>

#include <algorithm>

#include "core/workload/sql_walker.hpp"

namespace dbsplit::workload {

namespace {

bool holds_relation(const catalog::Schema& schema, const std::string& qualified) {
  if (schema.find_table(qualified)) return true;
  return std::any_of(schema.views.begin(), schema.views.end(),
                     [&](const catalog::View& v) { return v.qualified() == qualified; });
}

}  // namespace

std::string NameResolver::resolve(const std::string& schema_name,
                                  const std::string& relation) const {
  if (!schema_name.empty()) return schema_name + "." + relation;
  std::string first;
  for (const auto& s : search_path) {
    if (s == "$user") continue;  // the role's own schema: not known here
    if (first.empty()) first = s;
    if (schema && holds_relation(*schema, s + "." + relation)) return s + "." + relation;
  }
  // pg_catalog is searched first implicitly; a system view is not one of the catalog's.
  if (relation.rfind("pg_", 0) == 0) return "pg_catalog." + relation;
  return (first.empty() ? "public" : first) + "." + relation;
}

StatementAnalysis analyze_statement(const std::string& sql, const NameResolver& resolver) {
  StatementAnalysis result;
  PgQueryParseResult parsed = pg_query_parse(sql.c_str());
  if (parsed.error) {
    result.parse_error = parsed.error->message;
    if (parsed.error->cursorpos > 0)
      result.parse_error += " at character " + std::to_string(parsed.error->cursorpos);
    pg_query_free_parse_result(parsed);
    return result;
  }
  detail::Json tree = detail::Json::parse(parsed.parse_tree, nullptr, false);
  pg_query_free_parse_result(parsed);
  if (tree.is_discarded()) {
    result.parse_error = "libpg_query returned a parse tree that is not JSON";
    return result;
  }
  try {
    detail::Walker walker(resolver);
    for (const auto& s : tree.value("stmts", detail::Json::array()))
      if (s.contains("stmt")) walker.top_level(s["stmt"]);
    return std::move(walker).finish();
  } catch (const detail::Json::exception& e) {
    // A parse tree of a shape this walker does not expect: report, never throw.
    result.parse_error = std::string("unexpected parse tree: ") + e.what();
    return result;
  }
}

bool is_utility(const StatementAnalysis& analysis) {
  if (!analysis.parsed) return false;
  static const char* const data_kinds[] = {"SelectStmt", "InsertStmt",  "UpdateStmt",
                                           "DeleteStmt", "MergeStmt",   "CopyStmt",
                                           "LockStmt",   "TruncateStmt"};
  for (const auto& k : analysis.statement_kinds)
    if (std::find(std::begin(data_kinds), std::end(data_kinds), k) != std::end(data_kinds))
      return false;
  return true;
}

}  // namespace dbsplit::workload
