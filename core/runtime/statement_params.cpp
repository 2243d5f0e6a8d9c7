#include "core/runtime/statement_params.hpp"

#include <pg_query.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace dbsplit::runtime {
namespace {

using json = nlohmann::json;

json parse_tree(const std::string& sql) {
  PgQueryParseResult parsed = pg_query_parse(sql.c_str());
  std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
      &parsed, [](PgQueryParseResult* p) { pg_query_free_parse_result(*p); });
  if (parsed.error != nullptr)
    throw UsageError("cannot parse the replaced statement `" + sql + "`: " + parsed.error->message);
  return json::parse(parsed.parse_tree);
}

int param_number(const json& node) {
  if (node.contains("TypeCast")) return param_number(node["TypeCast"]["arg"]);
  if (node.contains("ParamRef")) return node["ParamRef"].value("number", 0);
  return 0;
}

std::string column_name(const json& node) {
  if (node.contains("TypeCast")) return column_name(node["TypeCast"]["arg"]);
  if (!node.contains("ColumnRef")) return "";
  const json& fields = node["ColumnRef"]["fields"];
  if (fields.empty() || !fields.back().contains("String")) return "";
  return fields.back()["String"].value("sval", "");
}

void collect(const json& node, std::map<int, std::string>& columns, int& highest) {
  if (node.is_array()) {
    for (const auto& item : node) collect(item, columns, highest);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("ParamRef")) highest = std::max(highest, node["ParamRef"].value("number", 0));
  if (node.contains("A_Expr")) {
    const json& e = node["A_Expr"];
    std::string kind = e.value("kind", "");
    if ((kind == "AEXPR_OP" || kind == "AEXPR_IN") && e.contains("lexpr") && e.contains("rexpr")) {
      std::string column = column_name(e["lexpr"]);
      const json* other = &e["rexpr"];
      if (column.empty()) {
        column = column_name(e["rexpr"]);
        other = &e["lexpr"];
      }
      if (!column.empty()) {
        std::vector<const json*> values = {other};
        if (other->contains("List"))
          for (const auto& item : (*other)["List"]["items"]) values.push_back(&item);
        for (const auto* v : values)
          if (int n = param_number(*v)) columns[n] = column;
      }
    }
  }
  for (const auto& [key, value] : node.items()) collect(value, columns, highest);
}

bool is_read_only_query_tree(const json& tree) {
  if (!tree.contains("stmts") || tree["stmts"].size() != 1) return false;
  const json& stmt = tree["stmts"][0]["stmt"];
  std::string text = stmt.dump();
  return stmt.contains("SelectStmt") && text.find("\"InsertStmt\"") == std::string::npos &&
         text.find("\"UpdateStmt\"") == std::string::npos &&
         text.find("\"DeleteStmt\"") == std::string::npos &&
         text.find("\"lockingClause\"") == std::string::npos;
}

}  // namespace

std::map<int, std::string> parameter_columns(const std::string& sql) {
  std::map<int, std::string> columns;
  int highest = 0;
  collect(parse_tree(sql), columns, highest);
  return columns;
}

int parameter_count(const std::string& sql) {
  std::map<int, std::string> columns;
  int highest = 0;
  collect(parse_tree(sql), columns, highest);
  return highest;
}

bool is_read_only_query(const std::string& sql) { return is_read_only_query_tree(parse_tree(sql)); }

}  // namespace dbsplit::runtime
