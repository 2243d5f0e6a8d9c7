#pragma once
// Internal to the SQL analyzer: a walk over libpg_query's JSON parse tree that keeps the
// scopes of a statement (its FROM ranges and CTE names) so that every column reference
// and relation name can be tied to the table it means.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/workload/sql_analyzer.hpp"

namespace dbsplit::workload::detail {

using Json = nlohmann::json;

// How a column reference is used where it appears.
enum class ColumnUse { none, read, filtered };

// One entry of a FROM list (or a DML target): a table, a CTE, a subquery or a function.
struct Range {
  std::string refname;           // alias, else relation name; what "refname.col" names
  std::string table;             // "schema.table" when the range is a table or view
  std::set<std::string> tables;  // base tables behind it (a subquery's or CTE's tables)
  std::optional<std::set<std::string>> columns;  // output columns, when known
};

// What a (sub)statement produces, for the range that refers to it.
struct Output {
  std::set<std::string> tables;
  std::optional<std::set<std::string>> columns;
};

// The names visible at one level of a statement.
struct Scope {
  explicit Scope(Scope* parent_scope) : parent(parent_scope) {}
  Scope* parent;
  std::vector<Range> ranges;
  std::map<std::string, Output> ctes;
  // Tables referenced by the test expression of an IN/ANY/ALL subquery being walked.
  std::set<std::string>* capture = nullptr;
};

class Walker {
 public:
  explicit Walker(const NameResolver& resolver) : resolver_(resolver) {}

  // Walks one top-level statement node ({"SelectStmt": {...}}).
  void top_level(const Json& node);
  StatementAnalysis finish() &&;

 private:
  // Statements (sql_walker_statements.cpp).
  Output statement(const std::string& kind, const Json& body, Scope* parent);
  Output select(const Json& s, Scope* parent);
  Output insert(const Json& s, Scope* parent);
  Output update(const Json& s, Scope* parent);
  Output remove(const Json& s, Scope* parent);
  Output merge(const Json& s, Scope* parent);
  void copy(const Json& s);
  void with_clause(const Json& with, Scope& scope);
  void locking_clause(const Json& clauses, Scope& scope);
  Range target_range(const Json& relation, Scope& scope);
  void written_columns(const Json& target_list, const Range& target);
  void returning(const Json& s, Scope& scope, Output& out);
  void pair_ranges(const Scope& scope);

  // FROM items and expressions (sql_walker_expressions.cpp).
  void from_item(const Json& node, Scope& scope);
  Range relation_range(const Json& range_var, Scope& scope);
  void expr(const Json& value, Scope& scope, ColumnUse use);
  void node(const std::string& kind, const Json& body, Scope& scope, ColumnUse use);
  void column_ref(const Json& ref, Scope& scope, ColumnUse use);
  void sublink(const Json& link, Scope& scope, ColumnUse use);
  void using_columns(const Json& names, Scope& scope, size_t left_begin, size_t right_begin);
  std::pair<const Range*, const Scope*> find_refname(const std::string& name,
                                                     const Scope& scope) const;
  std::pair<const Range*, const Scope*> find_unqualified(const std::string& column,
                                                         const Scope& scope, size_t begin,
                                                         size_t end) const;
  void use_column(const Range& range, const Scope& owner, Scope& at, const std::string& column,
                  ColumnUse use);
  void use_all_columns(const Range& range, const Scope& owner, Scope& at, ColumnUse use);
  std::optional<std::set<std::string>> catalog_columns(const std::string& table) const;
  std::string qualified(const Json& range_var) const;

  TableAccess& access(const std::string& table);
  void add_pairs(const std::set<std::string>& left, const std::set<std::string>& right);

  const NameResolver& resolver_;
  std::map<std::string, TableAccess> accesses_;
  std::set<std::pair<std::string, std::string>> joins_;
  std::vector<std::string> kinds_;
};

// The string of a {"String": {"sval": ...}} node, "" for anything else.
std::string string_value(const Json& node);

}  // namespace dbsplit::workload::detail
