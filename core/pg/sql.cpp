#include "core/pg/sql.hpp"

#include "core/pg/connection.hpp"

namespace dbsplit::pg::sql {

std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::pair<std::string, std::string> split(const std::string& qualified) {
  auto dot = qualified.find('.');
  if (dot == std::string::npos) return {"public", qualified};
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

std::string table(const std::string& qualified) {
  auto [schema, name] = split(qualified);
  return pg::qualified_name(schema, name);
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string table_list(const std::vector<std::string>& tables) {
  std::vector<std::string> quoted;
  for (const auto& t : tables) quoted.push_back(table(t));
  return join(quoted, ", ");
}

std::string do_block(const std::string& body) {
  std::string tag = "$dbsplit$";
  while (body.find(tag) != std::string::npos) tag.insert(tag.size() - 1, "_");
  return "DO " + tag + " BEGIN " + body + " END " + tag + ";";
}

}  // namespace dbsplit::pg::sql
