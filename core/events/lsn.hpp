#pragma once
// WAL positions (LSNs) as PostgreSQL prints them ("16/B374D848") and as numbers.
#include <cstdint>
#include <string>

namespace dbsplit::events {

using Lsn = std::uint64_t;

// "16/B374D848", as pg_lsn prints.
std::string format_lsn(Lsn lsn);
// The inverse; throws UsageError naming `what` for text that is no LSN.
Lsn parse_lsn(const std::string& text, const std::string& what = "LSN");

}  // namespace dbsplit::events
