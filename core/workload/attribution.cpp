// Which module ran a statement.
#include <cctype>

#include "core/workload/ingest.hpp"

namespace dbsplit::workload {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// sqlcommenter: values are URL-encoded (%XX); a quote inside is escaped with a backslash.
std::string decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out += text[++i];
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The module of one comment's key='value' list, "" when it has none.
std::string module_in_comment(const std::string& comment) {
  size_t pos = 0;
  while (pos < comment.size()) {
    size_t eq = comment.find('=', pos);
    if (eq == std::string::npos) return "";
    std::string key = decode(trim(comment.substr(pos, eq - pos)));
    size_t start = comment.find_first_not_of(" \t", eq + 1);
    if (start == std::string::npos) return "";
    std::string value;
    size_t next;
    if (comment[start] == '\'') {  // quoted: up to the next unescaped quote
      size_t end = start + 1;
      while (end < comment.size() && comment[end] != '\'') end += comment[end] == '\\' ? 2 : 1;
      value = comment.substr(start + 1, std::min(end, comment.size()) - start - 1);
      next = comment.find(',', end);
    } else {
      next = comment.find(',', start);
      value =
          trim(comment.substr(start, next == std::string::npos ? std::string::npos : next - start));
    }
    if (key == "module") return decode(value);
    if (next == std::string::npos) return "";
    pos = next + 1;
  }
  return "";
}

}  // namespace

std::string attribute_module(const std::string& sql, const std::string& role,
                             const std::string& application_name,
                             const AttributionOptions& options) {
  for (size_t open = sql.find("/*"); open != std::string::npos; open = sql.find("/*", open + 2)) {
    size_t close = sql.find("*/", open + 2);
    if (close == std::string::npos) break;
    std::string module = module_in_comment(sql.substr(open + 2, close - open - 2));
    if (!module.empty()) return module;
  }
  if (!application_name.empty()) {
    auto it = options.module_map.find(application_name);
    if (it != options.module_map.end()) return it->second;
  }
  auto it = options.module_map.find(role);
  if (it != options.module_map.end()) return it->second;
  return application_name.empty() ? role : application_name;
}

}  // namespace dbsplit::workload
