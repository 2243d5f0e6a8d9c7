// Statements: which tables each kind reads, writes and locks, and which of its parts
// filter, return or assign columns.
#include <unordered_set>

#include "core/workload/sql_walker.hpp"

namespace dbsplit::workload::detail {

namespace {

const Json& field(const Json& body, const char* name) {
  static const Json null_json;
  auto it = body.find(name);
  return it == body.end() ? null_json : *it;
}

// The body of a wrapped node ({"SelectStmt": {...}}) and its kind.
std::pair<std::string, const Json*> unwrap(const Json& node) {
  if (!node.is_object() || node.empty()) return {"", nullptr};
  return {node.begin().key(), &node.begin().value()};
}

// The output names of a target/returning list, unknown when it holds a '*' of a range
// whose columns are not known.
std::optional<std::set<std::string>> output_columns(const Json& list, const Scope& scope) {
  std::set<std::string> columns;
  for (const auto& item : list) {
    const Json& target = field(item, "ResTarget");
    if (target.contains("name")) {
      columns.insert(target["name"].get<std::string>());
      continue;
    }
    const Json& ref = field(field(target, "val"), "ColumnRef");
    if (ref.is_null()) continue;
    const Json& fields = ref["fields"];
    if (fields.empty()) continue;
    if (!fields.back().contains("A_Star")) {
      columns.insert(string_value(fields.back()));
      continue;
    }
    std::string refname = fields.size() > 1 ? string_value(fields[0]) : "";
    for (const auto& r : scope.ranges) {
      if (!refname.empty() && r.refname != refname) continue;
      if (!r.columns) return std::nullopt;
      columns.insert(r.columns->begin(), r.columns->end());
    }
  }
  return columns;
}

}  // namespace

void Walker::top_level(const Json& node) {
  auto [kind, body] = unwrap(node);
  if (!body) return;
  kinds_.push_back(kind);
  if (kind == "SelectStmt" || kind == "InsertStmt" || kind == "UpdateStmt" ||
      kind == "DeleteStmt" || kind == "MergeStmt") {
    statement(kind, *body, nullptr);
  } else if (kind == "CopyStmt") {
    copy(*body);
  } else if (kind == "LockStmt" || kind == "TruncateStmt") {
    for (const auto& rel : field(*body, "relations")) {
      auto& a = access(qualified(field(rel, "RangeVar")));
      (kind == "LockStmt" ? a.lock : a.write) = true;
    }
  } else if (kind == "ExplainStmt" || kind == "DeclareCursorStmt" || kind == "PrepareStmt" ||
             kind == "CreateTableAsStmt") {
    // What the wrapped query would touch; CREATE TABLE AS also writes its new table.
    kinds_.pop_back();
    top_level(field(*body, "query"));
    if (kind == "CreateTableAsStmt")
      access(qualified(field(field(*body, "into"), "rel"))).write = true;
  }
  // Every other statement is a utility statement (SET, BEGIN, DDL): it accesses no data.
}

StatementAnalysis Walker::finish() && {
  StatementAnalysis result;
  result.parsed = true;
  for (auto& [table, a] : accesses_) result.accesses.push_back(std::move(a));
  result.joins = std::move(joins_);
  result.statement_kinds = std::move(kinds_);
  return result;
}

Output Walker::statement(const std::string& kind, const Json& body, Scope* parent) {
  if (kind == "SelectStmt") return select(body, parent);
  if (kind == "InsertStmt") return insert(body, parent);
  if (kind == "UpdateStmt") return update(body, parent);
  if (kind == "DeleteStmt") return remove(body, parent);
  if (kind == "MergeStmt") return merge(body, parent);
  Scope scope(parent);
  expr(body, scope, ColumnUse::read);
  return {};
}

// Non-recursive CTEs see only the ones before them; a recursive WITH sees all of its names.
void Walker::with_clause(const Json& with, Scope& scope) {
  bool recursive = with.value("recursive", false);
  const Json& ctes = field(with, "ctes");
  if (recursive)
    for (const auto& c : ctes) scope.ctes[field(c, "CommonTableExpr").value("ctename", "")];
  for (const auto& c : ctes) {
    const Json& cte = field(c, "CommonTableExpr");
    auto [kind, body] = unwrap(field(cte, "ctequery"));
    Output out = body ? statement(kind, *body, &scope) : Output{};
    scope.ctes[cte.value("ctename", "")] = std::move(out);
  }
}

void Walker::pair_ranges(const Scope& scope) {
  std::set<std::string> tables;
  for (const auto& r : scope.ranges) tables.insert(r.tables.begin(), r.tables.end());
  add_pairs(tables, tables);
}

Output Walker::select(const Json& s, Scope* parent) {
  static const std::unordered_set<std::string> handled = {
      "withClause",    "fromClause", "targetList", "whereClause", "havingClause",
      "lockingClause", "larg",       "rarg",       "intoClause"};
  Scope scope(parent);
  Output out;
  if (s.contains("withClause")) with_clause(s["withClause"], scope);
  for (const char* side : {"larg", "rarg"}) {  // UNION / INTERSECT / EXCEPT
    if (auto [kind, body] = unwrap(field(s, side)); body) {
      Output part = statement(kind, *body, &scope);
      out.tables.insert(part.tables.begin(), part.tables.end());
      if (side[0] == 'l') out.columns = part.columns;
    }
  }
  for (const auto& item : field(s, "fromClause")) from_item(item, scope);
  pair_ranges(scope);
  for (const auto& r : scope.ranges) out.tables.insert(r.tables.begin(), r.tables.end());
  if (s.contains("targetList")) {
    expr(s["targetList"], scope, ColumnUse::read);
    out.columns = output_columns(s["targetList"], scope);
  }
  if (s.contains("whereClause")) expr(s["whereClause"], scope, ColumnUse::filtered);
  if (s.contains("havingClause")) expr(s["havingClause"], scope, ColumnUse::filtered);
  for (auto it = s.begin(); it != s.end(); ++it)
    if (!handled.count(it.key())) expr(it.value(), scope, ColumnUse::read);
  if (s.contains("lockingClause")) locking_clause(s["lockingClause"], scope);
  if (s.contains("intoClause")) access(qualified(field(s["intoClause"], "rel"))).write = true;
  return out;
}

// FOR UPDATE/SHARE locks the named ranges' tables, or every table of the FROM.
void Walker::locking_clause(const Json& clauses, Scope& scope) {
  for (const auto& c : clauses) {
    const Json& rels = field(field(c, "LockingClause"), "lockedRels");
    for (const auto& r : scope.ranges) {
      bool named = rels.is_null();
      for (const auto& rel : rels)
        if (field(rel, "RangeVar").value("relname", "") == r.refname) named = true;
      if (named)
        for (const auto& t : r.tables) access(t).lock = true;
    }
  }
}

// The table an INSERT/UPDATE/DELETE/MERGE writes, as a range of its scope.
Range Walker::target_range(const Json& relation, Scope& scope) {
  Range range;
  std::string relname = relation.value("relname", "");
  std::string alias = relation.contains("alias") ? relation["alias"].value("aliasname", "") : "";
  range.refname = alias.empty() ? relname : alias;
  range.table = qualified(relation);
  range.tables = {range.table};
  range.columns = catalog_columns(range.table);
  access(range.table).write = true;
  scope.ranges.push_back(range);
  return range;
}

// SET targets / INSERT columns are written; the values assigned are read.
void Walker::written_columns(const Json& target_list, const Range& target) {
  for (const auto& item : target_list) {
    const Json& t = field(item, "ResTarget");
    if (t.contains("name"))
      access(target.table).columns_written.insert(t["name"].get<std::string>());
  }
}

void Walker::returning(const Json& s, Scope& scope, Output& out) {
  if (!s.contains("returningList")) return;
  expr(s["returningList"], scope, ColumnUse::read);
  for (const auto& r : scope.ranges) out.tables.insert(r.tables.begin(), r.tables.end());
  out.columns = output_columns(s["returningList"], scope);
}

Output Walker::insert(const Json& s, Scope* parent) {
  Scope scope(parent);
  Output out;
  if (s.contains("withClause")) with_clause(s["withClause"], scope);
  const Json& relation = field(s, "relation");
  size_t values = 0;
  if (auto [kind, body] = unwrap(field(s, "selectStmt")); body) {
    statement(kind, *body, &scope);  // the source does not see the target
    const Json& rows = field(*body, "valuesLists");
    values = rows.empty() ? field(*body, "targetList").size()
                          : field(field(rows[0], "List"), "items").size();
  }
  Range target = target_range(relation, scope);
  if (s.contains("cols")) {
    written_columns(s["cols"], target);
  } else if (resolver_.schema) {  // INSERT INTO t VALUES (...) fills the first columns
    if (const catalog::Table* t = resolver_.schema->find_table(target.table)) {
      for (const auto& c : t->columns)
        if (c.position > 0 && static_cast<size_t>(c.position) <= values)
          access(target.table).columns_written.insert(c.name);
    }
  }
  if (const Json& conflict = field(s, "onConflictClause"); !conflict.is_null()) {
    scope.ranges.push_back(Range{"excluded", "", {}, target.columns});
    written_columns(field(conflict, "targetList"), target);
    expr(field(conflict, "targetList"), scope, ColumnUse::read);
    expr(field(conflict, "whereClause"), scope, ColumnUse::filtered);
    scope.ranges.pop_back();  // "excluded" is not visible in RETURNING
  }
  returning(s, scope, out);
  return out;
}

Output Walker::update(const Json& s, Scope* parent) {
  Scope scope(parent);
  Output out;
  if (s.contains("withClause")) with_clause(s["withClause"], scope);
  Range target = target_range(field(s, "relation"), scope);
  for (const auto& item : field(s, "fromClause")) from_item(item, scope);
  pair_ranges(scope);
  written_columns(field(s, "targetList"), target);
  expr(field(s, "targetList"), scope, ColumnUse::read);
  expr(field(s, "whereClause"), scope, ColumnUse::filtered);
  returning(s, scope, out);
  return out;
}

Output Walker::remove(const Json& s, Scope* parent) {
  Scope scope(parent);
  Output out;
  if (s.contains("withClause")) with_clause(s["withClause"], scope);
  target_range(field(s, "relation"), scope);
  for (const auto& item : field(s, "usingClause")) from_item(item, scope);
  pair_ranges(scope);
  expr(field(s, "whereClause"), scope, ColumnUse::filtered);
  returning(s, scope, out);
  return out;
}

Output Walker::merge(const Json& s, Scope* parent) {
  Scope scope(parent);
  if (s.contains("withClause")) with_clause(s["withClause"], scope);
  Range target = target_range(field(s, "relation"), scope);
  from_item(field(s, "sourceRelation"), scope);
  pair_ranges(scope);
  expr(field(s, "joinCondition"), scope, ColumnUse::filtered);
  for (const auto& w : field(s, "mergeWhenClauses")) {
    const Json& clause = field(w, "MergeWhenClause");
    expr(field(clause, "condition"), scope, ColumnUse::filtered);
    written_columns(field(clause, "targetList"), target);
    expr(field(clause, "targetList"), scope, ColumnUse::read);
    expr(field(clause, "values"), scope, ColumnUse::read);
  }
  return {};
}

// COPY t FROM writes t; COPY t TO reads it; COPY (query) TO reads what the query reads.
void Walker::copy(const Json& s) {
  if (auto [kind, body] = unwrap(field(s, "query")); body) {
    statement(kind, *body, nullptr);
    return;
  }
  const Json& relation = field(s, "relation");
  if (relation.is_null()) return;
  std::string table = qualified(relation);
  auto& a = access(table);
  bool from = s.value("is_from", false);
  (from ? a.write : a.read) = true;
  std::set<std::string> columns;
  for (const auto& c : field(s, "attlist")) columns.insert(string_value(c));
  if (columns.empty())
    if (auto all = catalog_columns(table)) columns = *all;
  (from ? a.columns_written : a.columns_read).insert(columns.begin(), columns.end());
}

}  // namespace dbsplit::workload::detail
