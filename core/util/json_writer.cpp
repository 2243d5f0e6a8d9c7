#include "core/util/json_writer.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace dbsplit {
namespace {

// Strings of printable ASCII without quote or backslash print as they are; anything
// else goes through nlohmann, so escapes and UTF-8 checks stay exactly its own.
bool plain(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}

void append_string(std::string& out, const std::string& s) {
  if (!plain(s)) {
    out += nlohmann::json(s).dump();
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

}  // namespace

void JsonWriter::element() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  if (level.object) throw std::logic_error("JsonWriter: a member needs a key first");
  out_ += level.empty ? "\n" : ",\n";
  level.empty = false;
  indent(levels_.size());
}

void JsonWriter::key(const std::string& name) {
  if (levels_.empty() || !levels_.back().object || after_key_)
    throw std::logic_error("JsonWriter: key '" + name + "' outside an object");
  Level& level = levels_.back();
  if (!level.empty && !(level.last_key < name))
    throw std::logic_error("JsonWriter: key '" + name + "' after '" + level.last_key +
                           "' (members must come in key order)");
  out_ += level.empty ? "\n" : ",\n";
  level.empty = false;
  level.last_key = name;
  indent(levels_.size());
  append_string(out_, name);
  out_ += ": ";
  after_key_ = true;
}

void JsonWriter::open(char bracket) {
  element();
  out_ += bracket;
  levels_.push_back(Level{bracket == '{', true, {}});
}

void JsonWriter::close(char bracket) {
  if (levels_.empty() || after_key_) throw std::logic_error("JsonWriter: unbalanced close");
  bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) {
    out_ += '\n';
    indent(levels_.size());
  }
  out_ += bracket;
}

void JsonWriter::scalar(const char* text) {
  element();
  out_ += text;
}

void JsonWriter::value(const std::string& s) {
  element();
  append_string(out_, s);
}

void JsonWriter::value(int64_t n) {
  element();
  out_ += fmt::format_int(n).c_str();
}

void JsonWriter::value(const std::vector<std::string>& items) {
  begin_array();
  for (const auto& item : items) value(item);
  end_array();
}

void JsonWriter::value(const nlohmann::json& v) {
  element();
  // nlohmann prints a subtree from column 0: shift its lines to the current depth.
  // A newline only ever separates structure (strings escape theirs).
  std::string text = v.dump(2);
  size_t shift = 2 * levels_.size();
  if (shift == 0 || text.find('\n') == std::string::npos) {
    out_ += text;
    return;
  }
  out_.reserve(out_.size() + text.size());
  for (char c : text) {
    out_ += c;
    if (c == '\n') out_.append(shift, ' ');
  }
}

}  // namespace dbsplit
