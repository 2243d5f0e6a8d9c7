// A cheap key for "the same statement up to its constants", computed without parsing.
#include <cctype>

#include "core/workload/statement_set.hpp"

namespace dbsplit::workload::detail {

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Past a quoted run starting at `i` (the opening quote); '' or "" inside is the quote
// itself, and a backslash escapes in E'...' strings.
size_t skip_quoted(const std::string& sql, size_t i, char quote, bool backslash) {
  for (++i; i < sql.size(); ++i) {
    if (backslash && sql[i] == '\\') {
      ++i;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote)
        ++i;
      else
        return i + 1;
    }
  }
  return sql.size();
}

// The end of a $tag$...$tag$ string starting at `i`, or npos when `i` starts none.
size_t skip_dollar_quoted(const std::string& sql, size_t i) {
  size_t j = i + 1;
  if (j < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[j])) || sql[j] == '_'))
    while (j < sql.size() && sql[j] != '$' && ident_char(sql[j])) ++j;
  if (j >= sql.size() || sql[j] != '$') return std::string::npos;
  std::string tag = sql.substr(i, j - i + 1);
  size_t end = sql.find(tag, j + 1);
  return end == std::string::npos ? sql.size() : end + tag.size();
}

size_t skip_number(const std::string& sql, size_t i) {
  while (i < sql.size() &&
         (std::isdigit(static_cast<unsigned char>(sql[i])) || sql[i] == '.' || sql[i] == '_'))
    ++i;
  if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
    size_t j = i + 1;
    if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
    if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
      i = j;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
    }
  }
  return i;
}

}  // namespace

std::string literal_free_key(const std::string& sql) {
  std::string key;
  key.reserve(sql.size());
  bool space = false;
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = sql.find('\n', i);
      if (i == std::string::npos) i = sql.size();
      space = true;
      continue;
    }
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {  // comments nest in PostgreSQL
      int depth = 0;
      do {
        if (sql.compare(i, 2, "/*") == 0)
          ++depth, i += 2;
        else if (sql.compare(i, 2, "*/") == 0)
          --depth, i += 2;
        else
          ++i;
      } while (depth > 0 && i < sql.size());
      space = true;
      continue;
    }
    bool after_ident = !space && !key.empty() && ident_char(key.back());
    if (space && !key.empty()) key += ' ';
    space = false;
    if (c == '\'') {
      // E'...' (a lone E before the quote) lets a backslash escape the quote
      bool escapes = !key.empty() && (key.back() == 'E' || key.back() == 'e') &&
                     (key.size() == 1 || !ident_char(key[key.size() - 2]));
      i = skip_quoted(sql, i, '\'', escapes);
      key += '?';
    } else if (c == '"') {
      size_t end = skip_quoted(sql, i, '"', false);
      key.append(sql, i, end - i);
      i = end;
    } else if (c == '$' && !after_ident && i + 1 < sql.size() &&
               !std::isdigit(static_cast<unsigned char>(sql[i + 1])) &&
               skip_dollar_quoted(sql, i) != std::string::npos) {
      i = skip_dollar_quoted(sql, i);
      key += '?';
    } else if (!after_ident && (std::isdigit(static_cast<unsigned char>(c)) ||
                                (c == '.' && i + 1 < sql.size() &&
                                 std::isdigit(static_cast<unsigned char>(sql[i + 1]))))) {
      i = skip_number(sql, i);
      key += '?';
    } else {
      key += c;
      ++i;
    }
  }
  return key;
}

}  // namespace dbsplit::workload::detail
