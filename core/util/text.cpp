#include "core/util/text.hpp"

#include <sstream>

namespace dbsplit {

std::string paint(const std::string& text, const char* code, Color color) {
  if (color == Color::no) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

std::string wrap(const std::string& text, size_t first_column, size_t indent, size_t width) {
  std::istringstream words(text);
  std::string word, out;
  size_t column = first_column;
  bool line_start = true;
  while (words >> word) {
    if (!line_start && column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
      line_start = true;
    }
    if (!line_start) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_start = false;
  }
  return out;
}

std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

}  // namespace dbsplit
