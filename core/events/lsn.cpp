#include "core/events/lsn.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "core/util/error.hpp"

namespace dbsplit::events {

std::string format_lsn(Lsn lsn) {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32),
                     static_cast<std::uint32_t>(lsn));
}

Lsn parse_lsn(const std::string& text, const std::string& what) {
  size_t slash = text.find('/');
  auto bad = [&] {
    return UsageError(fmt::format("{} '{}' is not a WAL position like 16/B374D848", what, text));
  };
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8)
    throw bad();
  for (size_t i = 0; i < text.size(); ++i)
    if (i != slash && !std::isxdigit(static_cast<unsigned char>(text[i]))) throw bad();
  Lsn high = std::strtoull(text.substr(0, slash).c_str(), nullptr, 16);
  Lsn low = std::strtoull(text.substr(slash + 1).c_str(), nullptr, 16);
  return (high << 32) | low;
}

}  // namespace dbsplit::events
