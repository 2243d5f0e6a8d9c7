// FROM items, expressions and column references: where names meet the scopes.
#include <algorithm>

#include "core/workload/sql_walker.hpp"

namespace dbsplit::workload::detail {

std::string string_value(const Json& node) {
  auto it = node.find("String");
  if (it == node.end()) return "";
  auto sval = it->find("sval");
  return sval == it->end() ? "" : sval->get<std::string>();
}

namespace {

bool is_node_name(const std::string& key) { return !key.empty() && key[0] >= 'A' && key[0] <= 'Z'; }

std::string alias_name(const Json& body) {
  auto alias = body.find("alias");
  if (alias == body.end()) return "";
  return alias->value("aliasname", "");
}

}  // namespace

TableAccess& Walker::access(const std::string& table) {
  auto& a = accesses_[table];
  a.table = table;
  return a;
}

void Walker::add_pairs(const std::set<std::string>& left, const std::set<std::string>& right) {
  for (const auto& l : left)
    for (const auto& r : right)
      if (l != r) joins_.insert(l < r ? std::make_pair(l, r) : std::make_pair(r, l));
}

std::optional<std::set<std::string>> Walker::catalog_columns(const std::string& table) const {
  if (!resolver_.schema) return std::nullopt;
  const catalog::Table* t = resolver_.schema->find_table(table);
  if (!t) return std::nullopt;
  std::set<std::string> columns;
  for (const auto& c : t->columns) columns.insert(c.name);
  return columns;
}

std::string Walker::qualified(const Json& range_var) const {
  return resolver_.resolve(range_var.value("schemaname", ""), range_var.value("relname", ""));
}

// A relation named in FROM: a CTE when an unqualified name matches one in scope (a CTE
// name is not a table), else a table or view, which is then read.
Range Walker::relation_range(const Json& range_var, Scope& scope) {
  std::string relname = range_var.value("relname", "");
  std::string alias = alias_name(range_var);
  Range range;
  range.refname = alias.empty() ? relname : alias;
  if (!range_var.contains("schemaname")) {
    for (const Scope* s = &scope; s; s = s->parent) {
      auto cte = s->ctes.find(relname);
      if (cte != s->ctes.end()) {
        range.tables = cte->second.tables;
        range.columns = cte->second.columns;
        return range;
      }
    }
  }
  range.table = qualified(range_var);
  range.tables = {range.table};
  range.columns = catalog_columns(range.table);
  access(range.table).read = true;
  return range;
}

void Walker::from_item(const Json& item, Scope& scope) {
  if (!item.is_object() || item.empty()) return;
  const std::string& kind = item.begin().key();
  const Json& body = item.begin().value();
  if (kind == "RangeVar") {
    scope.ranges.push_back(relation_range(body, scope));
  } else if (kind == "RangeSubselect") {
    Output out;
    if (auto sub = body.find("subquery"); sub != body.end() && !sub->empty())
      out = statement(sub->begin().key(), sub->begin().value(), &scope);
    scope.ranges.push_back(Range{alias_name(body), "", out.tables, out.columns});
  } else if (kind == "JoinExpr") {
    size_t left_begin = scope.ranges.size();
    if (auto larg = body.find("larg"); larg != body.end()) from_item(*larg, scope);
    size_t right_begin = scope.ranges.size();
    if (auto rarg = body.find("rarg"); rarg != body.end()) from_item(*rarg, scope);
    if (auto quals = body.find("quals"); quals != body.end())
      expr(*quals, scope, ColumnUse::filtered);
    if (auto names = body.find("usingClause"); names != body.end())
      using_columns(*names, scope, left_begin, right_begin);
  } else if (kind == "RangeTableSample") {
    if (auto rel = body.find("relation"); rel != body.end()) from_item(*rel, scope);
    if (auto args = body.find("args"); args != body.end()) expr(*args, scope, ColumnUse::none);
  } else if (kind == "RangeFunction" || kind == "RangeTableFunc") {
    expr(body, scope, ColumnUse::read);
    scope.ranges.push_back(Range{alias_name(body), "", {}, std::nullopt});
  } else {
    expr(item, scope, ColumnUse::read);
  }
}

// JOIN ... USING (c): c is compared on both sides, each side's table holding it.
void Walker::using_columns(const Json& names, Scope& scope, size_t left_begin, size_t right_begin) {
  size_t right_end = scope.ranges.size();
  for (const auto& n : names) {
    std::string column = string_value(n);
    for (auto [begin, end] :
         {std::make_pair(left_begin, right_begin), std::make_pair(right_begin, right_end)}) {
      auto [range, owner] = find_unqualified(column, scope, begin, end);
      if (range && owner == &scope) use_column(*range, scope, scope, column, ColumnUse::filtered);
    }
  }
}

void Walker::expr(const Json& value, Scope& scope, ColumnUse use) {
  if (value.is_array()) {
    for (const auto& v : value) expr(v, scope, use);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (is_node_name(it.key()) && it.value().is_object())
        node(it.key(), it.value(), scope, use);
      else if (it.value().is_structured())
        expr(it.value(), scope, use);
    }
  }
}

void Walker::node(const std::string& kind, const Json& body, Scope& scope, ColumnUse use) {
  if (kind == "ColumnRef") {
    column_ref(body, scope, use);
  } else if (kind == "SubLink") {
    sublink(body, scope, use);
  } else if (kind == "SelectStmt" || kind == "InsertStmt" || kind == "UpdateStmt" ||
             kind == "DeleteStmt" || kind == "MergeStmt") {
    statement(kind, body, &scope);
  } else if (kind == "RangeVar") {
    access(qualified(body)).read = true;
  } else if (kind == "JoinExpr" || kind == "RangeSubselect" || kind == "RangeFunction" ||
             kind == "RangeTableSample") {
    from_item(Json{{kind, body}}, scope);
  } else if (kind != "String" && kind != "A_Const" && kind != "ParamRef") {
    expr(body, scope, use);
  }
}

// x IN (SELECT ...) compares x with the subquery's tables: a semi-join, so the tables of
// x and of the subquery count as joined, like a correlated subquery's.
void Walker::sublink(const Json& link, Scope& scope, ColumnUse use) {
  std::set<std::string> tested;
  if (auto test = link.find("testexpr"); test != link.end()) {
    std::set<std::string>* saved = scope.capture;
    scope.capture = &tested;
    expr(*test, scope, use == ColumnUse::none ? ColumnUse::none : ColumnUse::filtered);
    scope.capture = saved;
  }
  if (auto sub = link.find("subselect"); sub != link.end() && !sub->empty()) {
    Output out = statement(sub->begin().key(), sub->begin().value(), &scope);
    add_pairs(tested, out.tables);
  }
}

std::pair<const Range*, const Scope*> Walker::find_refname(const std::string& name,
                                                           const Scope& scope) const {
  for (const Scope* s = &scope; s; s = s->parent)
    for (auto it = s->ranges.rbegin(); it != s->ranges.rend(); ++it)
      if (it->refname == name) return {&*it, s};
  return {nullptr, nullptr};
}

// An unqualified column belongs to the one range of the innermost scope that has it. With
// the catalog that is the only range whose columns hold it (outer scopes are tried when no
// range of a fully known scope has it); without, only a scope's single range can be meant.
std::pair<const Range*, const Scope*> Walker::find_unqualified(const std::string& column,
                                                               const Scope& scope, size_t begin,
                                                               size_t end) const {
  for (const Scope* s = &scope; s; s = s->parent) {
    size_t first = s == &scope ? begin : 0;
    size_t last = s == &scope ? std::min(end, s->ranges.size()) : s->ranges.size();
    if (first >= last) continue;
    const Range* found = nullptr;
    int matches = 0;
    bool all_known = true;
    for (size_t i = first; i < last; ++i) {
      const Range& r = s->ranges[i];
      if (!r.columns) {
        all_known = false;
      } else if (r.columns->count(column)) {
        found = &r;
        ++matches;
      }
    }
    if (matches == 1) return {found, s};
    if (matches > 1) return {nullptr, nullptr};
    if (!all_known) {
      if (last - first == 1) return {&s->ranges[first], s};
      return {nullptr, nullptr};
    }
  }
  return {nullptr, nullptr};
}

void Walker::use_column(const Range& range, const Scope& owner, Scope& at,
                        const std::string& column, ColumnUse use) {
  if (&owner != &at) {  // a correlated reference joins this level's tables with the outer one
    std::set<std::string> here;
    for (const auto& r : at.ranges) here.insert(r.tables.begin(), r.tables.end());
    add_pairs(here, range.tables);
  }
  if (at.capture) at.capture->insert(range.tables.begin(), range.tables.end());
  if (range.table.empty() || use == ColumnUse::none) return;
  auto& a = access(range.table);
  (use == ColumnUse::read ? a.columns_read : a.columns_filtered).insert(column);
}

void Walker::use_all_columns(const Range& range, const Scope& owner, Scope& at, ColumnUse use) {
  if (range.columns && !range.table.empty()) {
    for (const auto& c : *range.columns) use_column(range, owner, at, c, use);
  } else {
    use_column(range, owner, at, "", ColumnUse::none);
  }
}

void Walker::column_ref(const Json& ref, Scope& scope, ColumnUse use) {
  std::vector<std::string> names;
  bool star = false;
  for (const auto& f : ref.value("fields", Json::array())) {
    if (f.contains("A_Star"))
      star = true;
    else
      names.push_back(string_value(f));
  }
  if (star) {
    if (names.empty()) {
      for (const Scope* s = &scope; s; s = s->parent) {
        if (s->ranges.empty()) continue;
        for (const auto& r : s->ranges) use_all_columns(r, *s, scope, use);
        break;
      }
    } else if (auto [range, owner] = find_refname(names.back(), scope); range) {
      use_all_columns(*range, *owner, scope, use);
    }
    return;
  }
  if (names.empty()) return;
  const Range* range = nullptr;
  const Scope* owner = nullptr;
  std::string column = names.back();
  if (names.size() == 3) {  // schema.table.column
    std::string table = resolver_.resolve(names[0], names[1]);
    for (const Scope* s = &scope; s && !range; s = s->parent)
      for (const auto& r : s->ranges)
        if (r.table == table && r.refname == names[1]) range = &r, owner = s;
  } else if (names.size() == 2) {
    std::tie(range, owner) = find_refname(names[0], scope);
    if (!range) {  // composite_column.field
      column = names[0];
      std::tie(range, owner) = find_unqualified(column, scope, 0, scope.ranges.size());
    }
  } else if (names.size() == 1) {
    std::tie(range, owner) = find_unqualified(column, scope, 0, scope.ranges.size());
  }
  if (range) use_column(*range, *owner, scope, column, use);
}

}  // namespace dbsplit::workload::detail
