#pragma once
// The parse-tree side of the command model (command_model.hpp): the real PostgreSQL
// parser's JSON tree of a replaced statement, and the naming rules of its $N parameters.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/codegen/command_model.hpp"

namespace dbsplit::codegen::detail {

// The parse tree of `sql` (pg_query_parse), or the parser's message in `error`.
struct Parsed {
  nlohmann::json tree;
  std::string error;
};
Parsed parse(const std::string& sql);

// A function call (now(), nextval(), ...) or CURRENT_TIMESTAMP and the like below `node`:
// the value can differ between two runs of the statement.
bool calls_function(const nlohmann::json& node);
// True when a key of `kinds` names a node anywhere below `node`.
bool contains_any(const nlohmann::json& node, const std::set<std::string>& kinds);
// Every ParamRef node below `node`, in tree order.
void collect_params(const nlohmann::json& node, std::vector<const nlohmann::json*>& out);

// A use of $N that the naming rules recognise, at the ParamRef's location.
struct Use {
  int location = 0;
  int number = 0;
  ArgumentRole role = ArgumentRole::other;
  std::string column;
  bool of_target = false;  // the column is one of the written table's
};

// Finds the uses of $N in the parts of one INSERT, UPDATE or DELETE whose written table
// is `table`, named `alias` in the statement (the table's name when it has no alias).
class Namer {
 public:
  Namer(std::string alias, std::string table)
      : alias_(std::move(alias)), table_(std::move(table)) {}

  // Comparisons with a column anywhere below `node`; `target_scope` is false inside
  // subqueries and other tables, where an unqualified column is not the written table's.
  void walk(const nlohmann::json& node, bool target_scope);
  // The value given to `column` by SET or INSERT: $N itself (`direct`), col ± $N (an
  // update), or parameters inside another expression (col_1, col_2, ...).
  void value(const nlohmann::json& v, const std::string& column, ArgumentRole direct);

  std::vector<Use> uses;

 private:
  bool of_target(const std::string& qualifier, bool target_scope) const;
  void add(const nlohmann::json& param, ArgumentRole role, const std::string& column, bool target);
  void comparison(const nlohmann::json& e, bool target_scope);
  void find_steps(const nlohmann::json& node, const std::string& column, std::set<int>& stepped);

  std::string alias_;
  std::string table_;
};

// One argument per distinct $N of `numbers`, named by its first use in text order (names
// made unique with _2, _3 in $N order) and typed by the resource's column.
std::vector<CommandArgument> name_arguments(std::vector<Use> uses, const std::set<int>& numbers,
                                            const Resource& r);

}  // namespace dbsplit::codegen::detail
