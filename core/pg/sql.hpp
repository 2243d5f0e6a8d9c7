#pragma once
// Small SQL text helpers (plan steps, serve's statements, apply): literals, qualified names, lists.
#include <string>
#include <utility>
#include <vector>

namespace dbsplit::pg::sql {

// 'text' with single quotes doubled (standard_conforming_strings is on since 9.1).
std::string literal(const std::string& text);
// "schema.table" (raw, as in the catalog model) → quoted qualified name, e.g. public."Order".
std::string table(const std::string& qualified);
// The schema and name parts of "schema.table" (split at the first dot).
std::pair<std::string, std::string> split(const std::string& qualified);
// Items joined with a separator.
std::string join(const std::vector<std::string>& items, const std::string& separator);
// Each table quoted and joined with ", ".
std::string table_list(const std::vector<std::string>& tables);
// A DO block running `body` (PL/pgSQL statements) with a dollar quote that cannot clash.
std::string do_block(const std::string& body);

}  // namespace dbsplit::pg::sql
