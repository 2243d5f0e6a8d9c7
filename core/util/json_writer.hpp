#pragma once
// Writes indented JSON piece by piece, text-identical to nlohmann's dump(2) of the
// whole document, without holding the document as one nlohmann tree: a 10,000-table
// analysis costs more to build, print and free as a tree than to analyse.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dbsplit {

class JsonWriter {
 public:
  // Appends to out. Object members must come in key order (as nlohmann sorts them).
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // The next member's key; throws std::logic_error when keys come out of order.
  void key(const std::string& name);
  // One value, a whole subtree or a scalar, at the current depth.
  void value(const nlohmann::json& v);
  void value(const std::string& s);
  void value(const char* s) { value(std::string(s)); }
  void value(bool b) { scalar(b ? "true" : "false"); }
  void value(int64_t n);
  void value(const std::vector<std::string>& items);

 private:
  struct Level {
    bool object;
    bool empty = true;
    std::string last_key;
  };
  std::string& out_;
  std::vector<Level> levels_;
  bool after_key_ = false;

  void open(char bracket);
  void close(char bracket);
  void element();  // separator and indentation before an element or member
  void scalar(const char* text);
  void indent(size_t depth) { out_.append(2 * depth, ' '); }
};

}  // namespace dbsplit
