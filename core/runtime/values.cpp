#include "core/runtime/values.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <regex>

#include "core/pg/connection.hpp"

namespace dbsplit::runtime {
namespace {

using codegen::Field;
using codegen::ValueKind;

std::pair<int64_t, int64_t> integer_range(ValueKind kind) {
  if (kind == ValueKind::int16) return {-32768, 32767};
  if (kind == ValueKind::int32)
    return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
}

bool is_integer_kind(ValueKind kind) {
  return kind == ValueKind::int16 || kind == ValueKind::int32 || kind == ValueKind::int64;
}

std::string type_phrase(const Field& f) { return f.name + " is " + f.sql_type; }

// ^[+-]?[0-9]{1,40}$, without std::regex: this runs for every key of every GET.
bool is_integer_text(const std::string& text) {
  size_t digits_from = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  size_t digits = text.size() - digits_from;
  if (digits < 1 || digits > 40) return false;
  for (size_t i = digits_from; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  return true;
}

std::string check_integer_text(const Field& f, ValueKind kind, const std::string& text) {
  if (!is_integer_text(text))
    throw BadInput(f.name, type_phrase(f) + ": expected an integer, got '" + text + "'");
  errno = 0;
  long long value = std::strtoll(text.c_str(), nullptr, 10);
  auto [low, high] = integer_range(kind);
  if (errno == ERANGE || value < low || value > high)
    throw BadInput(f.name, type_phrase(f) + ": " + text + " is out of range");
  return std::to_string(value);
}

std::string check_numeric_text(const Field& f, const std::string& text) {
  static const std::regex kNumeric("^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$");
  if (f.sql_type == "money" || text == "NaN" || std::regex_match(text, kNumeric)) return text;
  throw BadInput(f.name,
                 type_phrase(f) + ": expected a decimal number as a string, got '" + text + "'");
}

std::string check_scalar_text(const Field& f, ValueKind kind, const std::string& text) {
  if (!valid_text(text))
    throw BadInput(f.name, f.name + ": not valid UTF-8 text (or contains a NUL character)");
  if (is_integer_kind(kind)) return check_integer_text(f, kind, text);
  switch (kind) {
    case ValueKind::numeric:
      return check_numeric_text(f, text);
    case ValueKind::boolean:
      if (text == "true" || text == "false") return text;
      throw BadInput(f.name, type_phrase(f) + ": expected true or false, got '" + text + "'");
    case ValueKind::floating: {
      char* end = nullptr;
      std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        throw BadInput(f.name, type_phrase(f) + ": expected a number, got '" + text + "'");
      return text;
    }
    case ValueKind::enumeration:
      if (std::find(f.labels.begin(), f.labels.end(), text) != f.labels.end()) return text;
      throw BadInput(f.name, type_phrase(f) + ": '" + text + "' is not one of its values");
    default:
      return text;
  }
}

}  // namespace

bool valid_text(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && (code < 0x10000 || code > 0x10FFFF)) || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

std::optional<std::string> param_from_json(const Field& f, const nlohmann::json& v) {
  if (v.is_null()) {
    if (!f.nullable) throw BadInput(f.name, f.name + " may not be null");
    return std::nullopt;
  }
  ValueKind kind = f.kind;
  if (kind == ValueKind::json) return v.dump();
  if (kind == ValueKind::array) {
    if (!v.is_array()) throw BadInput(f.name, type_phrase(f) + ": expected a JSON array");
    for (const auto& item : v) {
      if (item.is_null()) continue;
      if (item.is_string()) {
        check_scalar_text(f, f.element, item.get<std::string>());
      } else if (item.is_structured()) {
        throw BadInput(f.name, type_phrase(f) + ": nested arrays and objects are not supported");
      } else {
        check_scalar_text(f, f.element, item.dump());
      }
    }
    return v.dump();
  }
  if (is_integer_kind(kind)) {
    if (!v.is_number_integer())
      throw BadInput(
          f.name, type_phrase(f) + ": expected a JSON integer, got " + std::string(v.type_name()));
    return check_integer_text(f, kind, v.dump());
  }
  if (kind == ValueKind::boolean) {
    if (!v.is_boolean())
      throw BadInput(
          f.name, type_phrase(f) + ": expected true or false, got " + std::string(v.type_name()));
    return v.dump();
  }
  if (kind == ValueKind::floating) {
    if (!v.is_number())
      throw BadInput(f.name,
                     type_phrase(f) + ": expected a number, got " + std::string(v.type_name()));
    return v.dump();
  }
  if (kind == ValueKind::numeric && v.is_number_integer()) return v.dump();
  if (!v.is_string())
    throw BadInput(f.name,
                   type_phrase(f) + ": expected a string, got " + std::string(v.type_name()));
  return check_scalar_text(f, kind, v.get<std::string>());
}

std::string param_from_text(const Field& f, const std::string& text) {
  if (f.kind == ValueKind::array || f.kind == ValueKind::json) {
    if (!valid_text(text)) throw BadInput(f.name, f.name + ": not valid UTF-8 text");
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded()) throw BadInput(f.name, type_phrase(f) + ": expected JSON");
    return *param_from_json(f, parsed.is_null() ? nlohmann::json("null") : parsed);
  }
  return check_scalar_text(f, f.kind, text);
}

std::string param_expression(const Field& f, int n) {
  std::string p = "$" + std::to_string(n);
  if (f.kind == ValueKind::json) return p + "::" + f.sql_type;
  if (f.kind == ValueKind::array)
    return "(SELECT array_agg(e) FROM jsonb_array_elements_text(" + p +
           "::jsonb) e)::" + f.sql_type;
  return p;
}

std::string output_expression(const Field& f, const std::string& source) {
  std::string column = source + "." + pg::quote_ident(f.name);
  if (f.kind == ValueKind::numeric) return column + "::text AS " + pg::quote_ident(f.name);
  if (f.kind == ValueKind::array && f.element == ValueKind::numeric)
    return column + "::text[] AS " + pg::quote_ident(f.name);
  return column;
}

std::string encode_cursor(const std::vector<std::string>& key_values) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string in = nlohmann::json(key_values).dump();
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    for (int s = 18; s >= 6; s -= 6) out += alphabet[(n >> s) & 63];
  }
  return out;
}

std::vector<std::string> decode_cursor(const std::string& cursor, size_t key_size) {
  std::string bytes;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : cursor) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    if (v < 0) throw BadInput("cursor", "cursor: not a cursor this service returned");
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array() || parsed.size() != key_size)
    throw BadInput("cursor", "cursor: not a cursor this service returned");
  std::vector<std::string> out;
  for (const auto& v : parsed) {
    if (!v.is_string() || !valid_text(v.get<std::string>()))
      throw BadInput("cursor", "cursor: not a cursor this service returned");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace dbsplit::runtime
