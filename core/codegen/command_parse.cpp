#include "core/codegen/command_parse.hpp"

#include <pg_query.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

namespace dbsplit::codegen::detail {
namespace {

using json = nlohmann::json;

const json* param_of(const json& node) {
  if (!node.is_object()) return nullptr;
  if (node.contains("TypeCast")) return param_of(node["TypeCast"]["arg"]);
  if (node.contains("ParamRef")) return &node["ParamRef"];
  return nullptr;
}

struct ColumnName {
  std::string qualifier;  // "" when unqualified
  std::string name;
};

std::optional<ColumnName> column_of(const json& node) {
  if (!node.is_object()) return std::nullopt;
  if (node.contains("TypeCast")) return column_of(node["TypeCast"]["arg"]);
  if (!node.contains("ColumnRef")) return std::nullopt;
  const json& fields = node["ColumnRef"]["fields"];
  if (fields.empty() || !fields.back().contains("String")) return std::nullopt;
  ColumnName out;
  out.name = fields.back()["String"].value("sval", "");
  if (fields.size() >= 2 && fields[fields.size() - 2].contains("String"))
    out.qualifier = fields[fields.size() - 2]["String"].value("sval", "");
  return out;
}

std::string operator_of(const json& a_expr) {
  if (!a_expr.contains("name") || a_expr["name"].empty()) return "";
  const json& last = a_expr["name"].back();
  return last.contains("String") ? last["String"].value("sval", "") : "";
}

std::string base_name(const Use& use, int part) {
  switch (use.role) {
    case ArgumentRole::equals:
    case ArgumentRole::set:
    case ArgumentRole::insert_value:
      return use.column;
    case ArgumentRole::at_least:
      return use.column + "_at_least";
    case ArgumentRole::above:
      return use.column + "_above";
    case ArgumentRole::at_most:
      return use.column + "_at_most";
    case ArgumentRole::below:
      return use.column + "_below";
    case ArgumentRole::not_equal:
      return use.column + "_not";
    case ArgumentRole::increment:
      return use.column + "_increment";
    case ArgumentRole::decrement:
      return use.column + "_decrement";
    case ArgumentRole::expression_part:
      return use.column + "_" + std::to_string(part);
    case ArgumentRole::other:
      break;
  }
  return "arg" + std::to_string(use.number);
}

}  // namespace

Parsed parse(const std::string& sql) {
  PgQueryParseResult result = pg_query_parse(sql.c_str());
  std::unique_ptr<PgQueryParseResult, void (*)(PgQueryParseResult*)> guard(
      &result, [](PgQueryParseResult* p) { pg_query_free_parse_result(*p); });
  if (result.error != nullptr) return {json(), result.error->message};
  return {json::parse(result.parse_tree), ""};
}

bool contains_any(const json& node, const std::set<std::string>& kinds) {
  if (node.is_array()) {
    for (const auto& item : node)
      if (contains_any(item, kinds)) return true;
    return false;
  }
  if (!node.is_object()) return false;
  for (const auto& [key, value] : node.items())
    if (kinds.count(key) || contains_any(value, kinds)) return true;
  return false;
}

bool calls_function(const json& node) {
  return contains_any(node, {"FuncCall", "SQLValueFunction", "NextValueExpr"});
}

void collect_params(const json& node, std::vector<const json*>& out) {
  if (node.is_array()) {
    for (const auto& item : node) collect_params(item, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("ParamRef")) out.push_back(&node["ParamRef"]);
  for (const auto& [key, value] : node.items()) collect_params(value, out);
}

bool Namer::of_target(const std::string& qualifier, bool target_scope) const {
  return qualifier.empty() ? target_scope : qualifier == alias_ || qualifier == table_;
}

void Namer::add(const json& param, ArgumentRole role, const std::string& column, bool target) {
  uses.push_back({param.value("location", 0), param.value("number", 0), role, column, target});
}

void Namer::walk(const json& node, bool target_scope) {
  if (node.is_array()) {
    for (const auto& item : node) walk(item, target_scope);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("A_Expr")) comparison(node["A_Expr"], target_scope);
  for (const auto& [key, value] : node.items()) walk(value, target_scope && key != "SelectStmt");
}

void Namer::value(const json& v, const std::string& column, ArgumentRole direct) {
  if (const json* p = param_of(v)) return add(*p, direct, column, true);
  std::set<int> stepped;
  if (direct == ArgumentRole::set) find_steps(v, column, stepped);
  std::vector<const json*> params;
  collect_params(v, params);
  for (const json* p : params)
    if (!stepped.count(p->value("location", -1)))
      add(*p, ArgumentRole::expression_part, column, true);
}

void Namer::comparison(const json& e, bool target_scope) {
  static const std::map<std::string, std::pair<ArgumentRole, ArgumentRole>> kOperators = {
      // role with the column on the left, role with it on the right
      {"=", {ArgumentRole::equals, ArgumentRole::equals}},
      {">=", {ArgumentRole::at_least, ArgumentRole::at_most}},
      {">", {ArgumentRole::above, ArgumentRole::below}},
      {"<=", {ArgumentRole::at_most, ArgumentRole::at_least}},
      {"<", {ArgumentRole::below, ArgumentRole::above}},
      {"<>", {ArgumentRole::not_equal, ArgumentRole::not_equal}}};
  std::string kind = e.value("kind", "");
  if (!e.contains("lexpr") || !e.contains("rexpr")) return;
  auto column = column_of(e["lexpr"]);
  if (kind == "AEXPR_OP") {
    auto op = kOperators.find(operator_of(e));
    if (op == kOperators.end()) return;
    if (const json* p = param_of(e["rexpr"]); column && p)
      return add(*p, op->second.first, column->name, of_target(column->qualifier, target_scope));
    auto right = column_of(e["rexpr"]);
    if (const json* p = param_of(e["lexpr"]); right && p)
      add(*p, op->second.second, right->name, of_target(right->qualifier, target_scope));
  } else if ((kind == "AEXPR_IN" || kind == "AEXPR_BETWEEN") && column &&
             e["rexpr"].contains("List")) {
    const json& items = e["rexpr"]["List"]["items"];
    for (size_t i = 0; i < items.size(); ++i) {
      const json* p = param_of(items[i]);
      if (p == nullptr) continue;
      ArgumentRole role =
          kind == "AEXPR_BETWEEN"
              ? (i == 0 ? ArgumentRole::at_least : ArgumentRole::at_most)
              : (operator_of(e) == "<>" ? ArgumentRole::not_equal : ArgumentRole::equals);
      add(*p, role, column->name, of_target(column->qualifier, target_scope));
    }
  }
}

void Namer::find_steps(const json& node, const std::string& column, std::set<int>& stepped) {
  if (node.is_array()) {
    for (const auto& item : node) find_steps(item, column, stepped);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("A_Expr") && node["A_Expr"].value("kind", "") == "AEXPR_OP") {
    const json& e = node["A_Expr"];
    std::string op = operator_of(e);
    auto is_column = [&](const json& side) {
      auto c = column_of(side);
      return c && c->name == column && of_target(c->qualifier, true);
    };
    if ((op == "+" || op == "-") && e.contains("lexpr") && e.contains("rexpr")) {
      ArgumentRole role = op == "+" ? ArgumentRole::increment : ArgumentRole::decrement;
      const json* p = nullptr;
      if (is_column(e["lexpr"])) p = param_of(e["rexpr"]);
      if (p == nullptr && op == "+" && is_column(e["rexpr"])) p = param_of(e["lexpr"]);
      if (p != nullptr) {
        add(*p, role, column, true);
        stepped.insert(p->value("location", -1));
      }
    }
  }
  for (const auto& [key, value] : node.items()) find_steps(value, column, stepped);
}

std::vector<CommandArgument> name_arguments(std::vector<Use> uses, const std::set<int>& numbers,
                                            const Resource& r) {
  std::stable_sort(uses.begin(), uses.end(),
                   [](const Use& a, const Use& b) { return a.location < b.location; });
  std::map<int, Use> chosen;
  std::map<int, int> part;  // $N → k of col_k
  std::map<std::string, int> parts_of_column;
  for (const auto& use : uses) {
    if (!chosen.emplace(use.number, use).second) continue;
    if (use.role == ArgumentRole::expression_part) part[use.number] = ++parts_of_column[use.column];
  }
  std::vector<CommandArgument> out;
  std::set<std::string> taken;
  for (int n : numbers) {
    Use use;
    use.number = n;
    if (auto it = chosen.find(n); it != chosen.end()) use = it->second;
    std::string base = base_name(use, part[n]);
    std::string name = base;
    for (int k = 2; taken.count(name); ++k) name = base + "_" + std::to_string(k);
    taken.insert(name);
    CommandArgument a;
    a.name = name;
    a.number = n;
    a.role = use.role;
    a.column = use.column;
    const Field* column = use.of_target && !use.column.empty() ? r.field(use.column) : nullptr;
    if (column != nullptr) {
      a.field = *column;
      a.typed = CommandArgument::Typed::yes;
    } else {
      a.field.sql_type = "text";
    }
    a.field.name = name;
    a.field.nullable = true;  // an explicit null is SQL NULL
    a.field.has_default = false;
    a.field.read_only = false;
    out.push_back(a);
  }
  return out;
}

}  // namespace dbsplit::codegen::detail
