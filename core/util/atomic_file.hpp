#pragma once
// Writing an output file so that readers see the old file or the whole new one, never
// a half-written one: write a temporary file beside it, then rename it into place.
#include <string>

namespace dbsplit {

// Throws RuntimeError naming the path; leaves nothing behind on failure.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace dbsplit
