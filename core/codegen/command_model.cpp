#include "core/codegen/command_model.hpp"

#include <algorithm>
#include <set>

#include "core/codegen/command_parse.hpp"

namespace dbsplit::codegen {
namespace {

using detail::calls_function;
using detail::contains_any;
using detail::Namer;
using detail::parse;
using detail::Parsed;
using json = nlohmann::json;

bool default_is_volatile(const catalog::Column& c) {
  if (!c.identity.empty()) return true;
  if (!c.default_expr) return false;
  Parsed p = parse("SELECT " + *c.default_expr);
  return !p.error.empty() || calls_function(p.tree);
}

bool value_is_volatile(const json& v, const catalog::Column* c) {
  if (calls_function(v)) return true;
  return v.is_object() && v.contains("SetToDefault") && c != nullptr && default_is_volatile(*c);
}

// The statement's part of the tree and what kind of write it is; "" when it is none.
std::string statement_kind(const json& stmt) {
  for (const char* kind : {"InsertStmt", "UpdateStmt", "DeleteStmt"})
    if (stmt.contains(kind)) return kind;
  return "";
}

std::string trimmed(const std::string& sql) {
  size_t end = sql.size();
  while (end > 0 && (std::isspace(static_cast<unsigned char>(sql[end - 1])) || sql[end - 1] == ';'))
    --end;
  return sql.substr(0, end);
}

// Names, types and volatile columns of an INSERT.
void describe_insert(const json& s, const catalog::Table& table, Namer& namer,
                     std::vector<std::string>& volatile_columns) {
  std::vector<std::string> columns;
  if (s.contains("cols"))
    for (const auto& c : s["cols"]) columns.push_back(c["ResTarget"].value("name", ""));
  if (columns.empty())
    for (const auto& c : table.columns) columns.push_back(c.name);
  std::vector<std::vector<const json*>> rows;
  if (s.contains("selectStmt") && s["selectStmt"].contains("SelectStmt")) {
    const json& sel = s["selectStmt"]["SelectStmt"];
    if (sel.contains("valuesLists")) {
      for (const auto& list : sel["valuesLists"]) {
        rows.emplace_back();
        for (const auto& item : list["List"]["items"]) rows.back().push_back(&item);
      }
    } else if (sel.contains("targetList")) {
      rows.emplace_back();
      for (const auto& target : sel["targetList"])
        if (target["ResTarget"].contains("val")) rows.back().push_back(&target["ResTarget"]["val"]);
      for (const auto& [key, value] : sel.items())
        if (key != "targetList") namer.walk(value, false);
    }
  }
  std::set<std::string> given, changing;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < columns.size(); ++i) {
      namer.value(*row[i], columns[i], ArgumentRole::insert_value);
      given.insert(columns[i]);
      if (value_is_volatile(*row[i], table.column(columns[i]))) changing.insert(columns[i]);
    }
  for (const auto& c : table.columns)
    if ((!given.count(c.name) && default_is_volatile(c)) || changing.count(c.name))
      volatile_columns.push_back(c.name);
}

// SET col = ... of an UPDATE (or of INSERT ... ON CONFLICT DO UPDATE).
void describe_sets(const json& targets, const catalog::Table& table, Namer& namer,
                   std::set<std::string>& changing) {
  for (const auto& t : targets) {
    if (!t.contains("ResTarget")) continue;
    const json& target = t["ResTarget"];
    std::string column = target.value("name", "");
    if (!target.contains("val")) continue;
    namer.value(target["val"], column, ArgumentRole::set);
    if (value_is_volatile(target["val"], table.column(column))) changing.insert(column);
  }
}

std::string why_unsupported(const std::string& kind, const json& s, const Resource& r) {
  if (kind.empty()) return "it is not an INSERT, UPDATE or DELETE";
  const json& relation = s["relation"];
  std::string schema = relation.value("schemaname", "");
  std::string name = relation.value("relname", "");
  if (name != r.name || (!schema.empty() && schema != r.schema))
    return "it writes " + (schema.empty() ? "" : schema + ".") + name +
           ", not the endpoint's table " + r.table;
  if (s.contains("returningList"))
    return "it has its own RETURNING clause; the command adds one to record its outbox events";
  if (s.contains("withClause") &&
      contains_any(s["withClause"], {"InsertStmt", "UpdateStmt", "DeleteStmt"}))
    return "its WITH clause writes; PostgreSQL allows that only at the top level, where the "
           "command's outbox insert goes";
  return "";
}

}  // namespace

const CommandArgument* Command::argument(const std::string& argument_name) const {
  for (const auto& a : arguments)
    if (a.name == argument_name) return &a;
  return nullptr;
}

std::string change_of(CommandKind kind) {
  switch (kind) {
    case CommandKind::insert:
      return "inserted";
    case CommandKind::update:
      return "updated";
    case CommandKind::remove:
      break;
  }
  return "deleted";
}

Command describe_command(const plan::ApiEndpoint& e, const Resource* resource,
                         const catalog::Schema& schema) {
  Command c;
  c.name = e.name;
  c.path = "/commands/" + e.name;
  c.operation = e.name + "_command";
  c.type_name = type_name_for(e.name, false);
  c.resource = e.resource;
  c.replaces = e.replaces;
  c.statement = trimmed(e.replaces);
  const catalog::Table* table = schema.find_table(e.resource);
  if (resource == nullptr || table == nullptr) {
    c.unsupported = "its table " + e.resource + " is not one the service owns";
    return c;
  }
  for (const auto& k : resource->key) c.columns.push_back(k);
  for (const auto& column : e.returned_columns) {
    if (resource->field(column) == nullptr) {
      c.unsupported = "it returns column " + column + ", which " + e.resource + " lacks";
      return c;
    }
    if (std::find(c.columns.begin(), c.columns.end(), column) == c.columns.end())
      c.columns.push_back(column);
  }
  Parsed parsed = parse(c.statement);
  if (!parsed.error.empty()) {
    c.unsupported = "it does not parse: " + parsed.error;
    return c;
  }
  size_t count = parsed.tree.contains("stmts") ? parsed.tree["stmts"].size() : 0;
  if (count != 1) {
    c.unsupported = "it holds " + std::to_string(count) + " statements; a command runs exactly one";
    return c;
  }
  const json& stmt = parsed.tree["stmts"][0]["stmt"];
  std::string kind = statement_kind(stmt);
  const json& s = kind.empty() ? stmt : stmt[kind];
  c.unsupported = why_unsupported(kind, s, *resource);
  if (!c.unsupported.empty()) return c;

  const json& relation = s["relation"];
  std::string relname = relation.value("relname", "");
  c.target = relation.contains("alias") ? relation["alias"].value("aliasname", relname) : relname;
  Namer namer(c.target, relname);
  std::set<std::string> changing;
  if (kind == "InsertStmt") {
    c.kind = CommandKind::insert;
    describe_insert(s, *table, namer, c.volatile_columns);
    if (s.contains("onConflictClause")) {
      const json& conflict = s["onConflictClause"];
      describe_sets(conflict.value("targetList", json::array()), *table, namer, changing);
      namer.walk(conflict.value("whereClause", json()), true);
    }
  } else if (kind == "UpdateStmt") {
    c.kind = CommandKind::update;
    describe_sets(s.value("targetList", json::array()), *table, namer, changing);
    namer.walk(s.value("whereClause", json()), true);
    namer.walk(s.value("fromClause", json()), false);
  } else {
    c.kind = CommandKind::remove;
    namer.walk(s.value("whereClause", json()), true);
    namer.walk(s.value("usingClause", json()), false);
  }
  namer.walk(s.value("withClause", json()), false);
  for (const auto& column : changing)
    if (std::find(c.volatile_columns.begin(), c.volatile_columns.end(), column) ==
        c.volatile_columns.end())
      c.volatile_columns.push_back(column);
  std::sort(c.volatile_columns.begin(), c.volatile_columns.end());

  std::vector<const json*> params;
  detail::collect_params(parsed.tree, params);
  std::set<int> numbers;
  for (const json* p : params) {
    ParamSite site;
    site.offset = static_cast<size_t>(p->value("location", 0));
    site.number = p->value("number", 0);
    site.length = 1;
    while (site.offset + site.length < c.statement.size() &&
           std::isdigit(static_cast<unsigned char>(c.statement[site.offset + site.length])))
      ++site.length;
    if (site.offset >= c.statement.size() || c.statement[site.offset] != '$') {
      c.unsupported =
          "the parser reports $" + std::to_string(site.number) + " where the text holds none";
      return c;
    }
    c.sites.push_back(site);
    numbers.insert(site.number);
  }
  std::sort(c.sites.begin(), c.sites.end(),
            [](const ParamSite& a, const ParamSite& b) { return a.offset < b.offset; });
  c.arguments = detail::name_arguments(namer.uses, numbers, *resource);
  return c;
}

}  // namespace dbsplit::codegen
