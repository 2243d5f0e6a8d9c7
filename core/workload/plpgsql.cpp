// The SQL inside function bodies, for the tables functions and triggers touch.
#include "core/workload/plpgsql.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace dbsplit::workload {

namespace {

using Json = nlohmann::json;

std::optional<Json> parse_json(const char* text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<Json> parse_plpgsql(const std::string& create_function_sql) {
  PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(create_function_sql.c_str());
  std::optional<Json> tree;
  if (!r.error && r.plpgsql_funcs) tree = parse_json(r.plpgsql_funcs);
  pg_query_free_plpgsql_parse_result(r);
  return tree;
}

std::optional<Json> parse_sql(const std::string& sql) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  std::optional<Json> tree;
  if (!r.error) tree = parse_json(r.parse_tree);
  pg_query_free_parse_result(r);
  return tree;
}

bool starts_with_create(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string word = text.substr(i, 6);
  std::transform(word.begin(), word.end(), word.begin(), ::tolower);
  return word == "create";
}

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A dollar quote the body does not contain.
std::string dollar_tag(const std::string& body) {
  std::string tag = "$dbsplit$";
  for (int n = 0; body.find(tag) != std::string::npos; ++n)
    tag = "$dbsplit" + std::to_string(n) + "$";
  return tag;
}

// Only the body is known (prosrc): the return type decides which RETURN forms parse, so
// try the ones that accept RETURN NEW / RETURN x, RETURN NEXT / QUERY, and bare RETURN.
// The arguments (pg_get_function_identity_arguments) let a body assign to its parameters.
std::optional<Json> parse_body(const std::string& schema, const std::string& name,
                               const std::string& body, const std::string& arguments = "") {
  std::string tag = dollar_tag(body);
  for (const char* returns : {"trigger", "SETOF record", "void"}) {
    std::string sql = "CREATE FUNCTION " + quote_identifier(schema.empty() ? "public" : schema) +
                      "." + quote_identifier(name.empty() ? "f" : name) + "(" + arguments +
                      ") RETURNS " + returns + " LANGUAGE plpgsql AS " + tag + body + tag;
    if (auto tree = parse_plpgsql(sql)) return tree;
  }
  return std::nullopt;
}

// The string of EXECUTE 'constant', nullopt for a computed one.
std::optional<std::string> constant_string(const std::string& expression) {
  auto tree = parse_sql("SELECT " + expression);
  if (!tree) return std::nullopt;
  const Json& stmts = (*tree)["stmts"];
  if (stmts.size() != 1) return std::nullopt;
  const Json& targets =
      stmts[0]["stmt"].value("SelectStmt", Json::object()).value("targetList", Json::array());
  if (targets.size() != 1) return std::nullopt;
  const Json& val = targets[0]["ResTarget"].value("val", Json::object());
  if (!val.contains("A_Const") || !val["A_Const"].contains("sval")) return std::nullopt;
  return val["A_Const"]["sval"].value("sval", "");
}

bool parses(const std::string& sql) { return parse_sql(sql).has_value(); }

// An expression's query text as a statement: SQL statements as they are; `v := expr`
// (assignments) and bare expressions (IF, RETURN, WHILE ...) as SELECT expr.
std::string as_statement(std::string query, bool assignment) {
  if (assignment) {
    size_t op = query.find(":=");
    if (op == std::string::npos) op = query.find('=');
    if (op != std::string::npos) query = query.substr(op + (query[op] == ':' ? 2 : 1));
    query.erase(0, query.find_first_not_of(" \t\n"));
  } else if (parses(query)) {
    return query;
  }
  return "SELECT " + query;
}

class Collector {
 public:
  std::vector<std::string> statements;

  void walk(const Json& value, bool assignment = false) {
    if (value.is_array()) {
      for (const auto& v : value) walk(v, assignment);
      return;
    }
    if (!value.is_object()) return;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.key() == "PLpgSQL_expr") {
        add(as_statement(it.value().value("query", ""), assignment));
      } else if (it.key() == "PLpgSQL_stmt_dynexecute") {
        dynamic(it.value());
      } else {
        walk(it.value(), assignment || it.key() == "PLpgSQL_stmt_assign");
      }
    }
  }

 private:
  void dynamic(const Json& stmt) {
    for (auto it = stmt.begin(); it != stmt.end(); ++it) {
      if (it.key() != "query") {
        walk(it.value());
        continue;
      }
      std::string text = it.value().value("PLpgSQL_expr", Json::object()).value("query", "");
      if (auto constant = constant_string(text)) add(*constant);
    }
  }

  // Expressions without a relation (RETURN NEW, IF v > 0) carry no table: leave them out.
  void add(const std::string& sql) {
    auto a = analyze_statement(sql, NameResolver{});
    if (a.parsed && !a.accesses.empty()) statements.push_back(sql);
  }
};

void add_accesses(const StatementAnalysis& a, std::set<std::string>& reads,
                  std::set<std::string>& writes) {
  for (const auto& t : a.accesses) {
    if (t.read || t.lock) reads.insert(t.table);
    if (t.write) writes.insert(t.table);
  }
}

}  // namespace

std::vector<std::string> plpgsql_statements(const std::string& create_function_sql) {
  std::optional<Json> tree = starts_with_create(create_function_sql)
                                 ? parse_plpgsql(create_function_sql)
                                 : parse_body("public", "f", create_function_sql);
  if (!tree) return {};
  Collector collector;
  collector.walk(*tree);
  return collector.statements;
}

void resolve_function_accesses(catalog::Schema& schema, const NameResolver& resolver) {
  std::map<std::string, std::set<std::string>> touched;  // "schema.function" → tables
  for (auto& f : schema.functions) {
    std::vector<std::string> statements;
    if (f.language == "plpgsql") {
      if (auto tree = parse_body(f.schema, f.name, f.body, f.arguments)) {
        Collector collector;
        collector.walk(*tree);
        statements = std::move(collector.statements);
      }
    } else if (f.language == "sql") {
      statements = {f.body};
    }
    std::set<std::string> reads, writes;
    for (const auto& sql : statements)
      add_accesses(analyze_statement(sql, resolver), reads, writes);
    f.reads.assign(reads.begin(), reads.end());
    f.writes.assign(writes.begin(), writes.end());
    auto& t = touched[f.schema + "." + f.name];
    t.insert(reads.begin(), reads.end());
    t.insert(writes.begin(), writes.end());
  }
  for (auto& trigger : schema.triggers) {
    std::set<std::string> tables = touched[trigger.function];
    tables.erase(trigger.table);
    trigger.touches.assign(tables.begin(), tables.end());
  }
}

}  // namespace dbsplit::workload
