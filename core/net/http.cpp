#include "core/net/http.hpp"

#include <strings.h>

#include <set>

namespace dbsplit::net {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `digits` hex digits at text[at], or -1.
int hex_at(const std::string& text, size_t at, size_t digits) {
  if (at + digits > text.size()) return -1;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    int d = hex_value(text[at + i]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

void append_utf8(std::string& out, int code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0xD800 || code >= 0xE000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }  // a lone surrogate decodes to nothing, as in httplib
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

const std::string& Request::header(const std::string& name) const {
  static const std::string none;
  auto it = headers.find(name);
  return it == headers.end() ? none : it->second;
}

std::string decode_url(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 1 < s.size()) {
      if (s[i + 1] == 'u') {
        int code = hex_at(s, i + 2, 4);
        if (code >= 0) {
          append_utf8(out, code);
          i += 5;
          continue;
        }
      } else {
        int code = hex_at(s, i + 1, 2);
        if (code >= 0) {
          out += static_cast<char>(code);
          i += 2;
          continue;
        }
      }
      out += s[i];
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

void parse_query(const std::string& query, Params& params) {
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty() || !seen.insert(pair).second) continue;
    // httplib's reading: the first non-empty piece before '=' is the name, the last
    // non-empty piece after it the value.
    std::string key, value;
    size_t at = 0;
    while (at <= pair.size()) {
      size_t stop = pair.find('=', at);
      if (stop == std::string::npos) stop = pair.size();
      if (stop > at) (key.empty() ? key : value) = pair.substr(at, stop - at);
      at = stop + 1;
    }
    if (!key.empty()) params.emplace(decode_url(key, true), decode_url(value, true));
  }
}

bool split_target(Request& req) {
  std::string target = req.target.substr(0, req.target.find('#'));
  size_t mark = target.find('?');
  if (mark == std::string::npos) {
    req.path = decode_url(target, false);
    return true;
  }
  if (target.find('?', mark + 1) != std::string::npos) return false;
  req.path = decode_url(target.substr(0, mark), false);
  parse_query(target.substr(mark + 1), req.params);
  return true;
}

}  // namespace dbsplit::net
