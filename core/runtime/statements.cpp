#include "core/runtime/statements.hpp"

#include <map>

#include "core/codegen/command_model.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/values.hpp"

namespace dbsplit::runtime {
namespace {

using codegen::Field;
using codegen::Resource;
using pg::sql::join;

std::string json_of(const Resource& r, const std::vector<std::string>& columns,
                    const std::string& source) {
  std::vector<std::string> items;
  for (const auto& c : columns) items.push_back(output_expression(*r.field(c), source));
  return "(SELECT row_to_json(r) FROM (SELECT " + join(items, ", ") + ") r)::text";
}

std::vector<std::string> all_columns(const Resource& r) {
  std::vector<std::string> out;
  for (const auto& f : r.fields) out.push_back(f.name);
  return out;
}

std::string key_match(const Resource& r, Statement& st, const std::vector<std::string>& key) {
  std::vector<std::string> terms;
  for (size_t i = 0; i < r.key.size(); ++i)
    terms.push_back("t." + pg::quote_ident(r.key[i]) + " = $" + std::to_string(st.add(key[i])));
  return join(terms, " AND ");
}

// The outbox insert of a write whose changed row is `w`.
std::string outbox_cte(const Resource& r, const std::string& service, const std::string& outbox,
                       const std::string& change, Statement& st) {
  std::string id;
  if (r.key.size() == 1) {
    id = "w." + pg::quote_ident(r.key[0]) + "::text";
  } else if (r.key.empty()) {
    id = "''";
  } else {
    std::vector<std::string> parts;
    for (const auto& k : r.key) parts.push_back("w." + pg::quote_ident(k));
    id = "jsonb_build_array(" + join(parts, ", ") + ")::text";
  }
  int type = st.add(r.table);
  int event = st.add(codegen::event_type(service, r, change));
  return "o AS (INSERT INTO " + outbox +
         " (aggregate_type, aggregate_id, event_type, payload) SELECT $" + std::to_string(type) +
         ", " + id + ", $" + std::to_string(event) + ", to_jsonb(w) FROM w)";
}

}  // namespace

Statement select_by_key(const Resource& r, const std::vector<std::string>& key) {
  Statement st;
  std::string where = key_match(r, st, key);
  st.sql = "SELECT " + json_of(r, all_columns(r), "t") + " FROM " + pg::sql::table(r.table) +
           " t WHERE " + where;
  return st;
}

Statement select_by_keys(const Resource& r, const std::vector<std::string>& types,
                         const std::vector<std::vector<std::string>>& keys) {
  Statement st;
  std::vector<std::string> arrays, names, terms;
  for (size_t k = 0; k < r.key.size(); ++k) {
    std::vector<std::string> column;
    column.reserve(keys.size());
    for (const auto& key : keys) column.push_back(key[k]);
    int n = st.add(array_literal(column));
    arrays.push_back("$" + std::to_string(n) + "::" + types[k] + "[]");
    names.push_back("k" + std::to_string(k + 1));
    terms.push_back("t." + pg::quote_ident(r.key[k]) + " = u." + names.back());
  }
  // A scalar subquery per element: exactly one result row per lookup, an index probe
  // each, NULL for a key without a row.
  st.sql = "SELECT u.i, (SELECT " + json_of(r, all_columns(r), "t") + " FROM " +
           pg::sql::table(r.table) + " t WHERE " + join(terms, " AND ") + ") FROM unnest(" +
           join(arrays, ", ") + ") WITH ORDINALITY AS u(" + join(names, ", ") + ", i)";
  return st;
}

std::string array_literal(const std::vector<std::string>& elements) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : elements[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Statement select_page(const Resource& r, const std::vector<std::string>& columns,
                      const std::vector<Filter>& filters, const std::vector<std::string>& cursor,
                      int limit) {
  Statement st;
  std::vector<std::string> where;
  for (const auto& f : filters) {
    std::vector<std::string> params;
    for (const auto& v : f.values) params.push_back("$" + std::to_string(st.add(v)));
    where.push_back("t." + pg::quote_ident(f.field->name) + " IN (" + join(params, ", ") + ")");
  }
  std::vector<std::string> key_columns, key_texts;
  for (const auto& k : r.key) {
    key_columns.push_back("t." + pg::quote_ident(k));
    key_texts.push_back("t." + pg::quote_ident(k) + "::text");
  }
  if (!cursor.empty()) {
    std::vector<std::string> params;
    for (const auto& v : cursor) params.push_back("$" + std::to_string(st.add(v)));
    where.push_back("(" + join(key_columns, ", ") + ") > (" + join(params, ", ") + ")");
  }
  st.sql = "SELECT " + json_of(r, columns, "t");
  if (!key_texts.empty()) st.sql += ", " + join(key_texts, ", ");
  st.sql += " FROM " + pg::sql::table(r.table) + " t";
  if (!where.empty()) st.sql += " WHERE " + join(where, " AND ");
  if (!key_columns.empty()) st.sql += " ORDER BY " + join(key_columns, ", ");
  st.sql += " LIMIT " + std::to_string(limit + 1);
  return st;
}

Statement insert_row(
    const Resource& r, const std::string& service, const std::string& outbox,
    const std::vector<std::pair<const Field*, std::optional<std::string>>>& values) {
  Statement st;
  std::vector<std::string> columns, params;
  for (const auto& [field, value] : values) {
    columns.push_back(pg::quote_ident(field->name));
    params.push_back(param_expression(*field, st.add(value)));
  }
  std::string insert = "INSERT INTO " + pg::sql::table(r.table);
  insert += columns.empty() ? " DEFAULT VALUES"
                            : " (" + join(columns, ", ") + ") VALUES (" + join(params, ", ") + ")";
  std::string outbox_part = outbox_cte(r, service, outbox, "inserted", st);
  st.sql = "WITH w AS (" + insert + " RETURNING *), " + outbox_part + " SELECT " +
           json_of(r, all_columns(r), "w") + " FROM w";
  return st;
}

Statement update_row(
    const Resource& r, const std::string& service, const std::string& outbox,
    const std::vector<std::string>& key,
    const std::vector<std::pair<const Field*, std::optional<std::string>>>& values) {
  Statement st;
  std::vector<std::string> sets;
  for (const auto& [field, value] : values)
    sets.push_back(pg::quote_ident(field->name) + " = " + param_expression(*field, st.add(value)));
  std::string where = key_match(r, st, key);
  std::string outbox_part = outbox_cte(r, service, outbox, "updated", st);
  st.sql = "WITH w AS (UPDATE " + pg::sql::table(r.table) + " t SET " + join(sets, ", ") +
           " WHERE " + where + " RETURNING t.*), " + outbox_part + " SELECT " +
           json_of(r, all_columns(r), "w") + " FROM w";
  return st;
}

Statement delete_row(const Resource& r, const std::string& service, const std::string& outbox,
                     const std::vector<std::string>& key) {
  Statement st;
  std::string where = key_match(r, st, key);
  std::string outbox_part = outbox_cte(r, service, outbox, "deleted", st);
  st.sql = "WITH w AS (DELETE FROM " + pg::sql::table(r.table) + " t WHERE " + where +
           " RETURNING t.*), " + outbox_part + " SELECT " + json_of(r, all_columns(r), "w") +
           " FROM w";
  return st;
}

Statement command_statement(const codegen::Command& c, const Resource& r,
                            const std::string& service, const std::string& outbox,
                            const std::vector<std::optional<std::string>>& values) {
  Statement st;
  for (const auto& v : values) st.add(v);
  std::map<int, size_t> index;  // $N of the statement → argument
  for (size_t i = 0; i < c.arguments.size(); ++i) index[c.arguments[i].number] = i;
  // Edited from the last $N to the first, so the offsets before each edit stay right.
  // Argument i becomes $i+1: a statement may skip numbers, the parameters may not.
  std::string sql = c.statement;
  for (auto site = c.sites.rbegin(); site != c.sites.rend(); ++site) {
    size_t i = index.at(site->number);
    const codegen::CommandArgument& a = c.arguments[i];
    int n = static_cast<int>(i + 1);
    std::string expression = "$" + std::to_string(n);
    if (a.typed == codegen::CommandArgument::Typed::yes) {
      // "$3 * $4" of unknown types is ambiguous ("operator is not unique"): cast each.
      expression = param_expression(a.field, n);
      if (a.field.kind != codegen::ValueKind::json && a.field.kind != codegen::ValueKind::array)
        expression += "::" + a.field.sql_type;
      expression = "(" + expression + ")";
    }
    sql.replace(site->offset, site->length, expression);
  }
  // A newline first: the statement may end in a -- comment.
  std::string write = sql + "\nRETURNING " + pg::quote_ident(c.target) + ".*";
  std::string outbox_part = outbox_cte(r, service, outbox, codegen::change_of(c.kind), st);
  st.sql = "WITH w AS (" + write + "), " + outbox_part + " SELECT " + json_of(r, c.columns, "w") +
           " FROM w";
  return st;
}

}  // namespace dbsplit::runtime
