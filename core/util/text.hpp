#pragma once
// Small helpers for terminal text shared by the renderers.
#include <string>

namespace dbsplit {

// Colour only goes to a terminal; cli/ decides and passes it down.
enum class Color { no, yes };

// ANSI colour around `text` when colour is on (codes: "31" red, "33" yellow, "36" cyan,
// "1" bold, "2" dim).
std::string paint(const std::string& text, const char* code, Color color);

// Greedy word wrap to `width` columns; lines after the first start with `indent` spaces.
std::string wrap(const std::string& text, size_t first_column, size_t indent, size_t width = 100);

// `text` padded with spaces to `width` (never cut).
std::string pad(const std::string& text, size_t width);

}  // namespace dbsplit
