#include "core/pg/connection.hpp"

#include <fmt/format.h>

#include <regex>
#include <unordered_map>

#include "core/util/error.hpp"

extern "C" {
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
}

namespace dbsplit::pg {
namespace {

// PostgreSQL quotes every keyword that is not unreserved; ask its own scanner.
bool scan_keyword_needing_quotes(const std::string& word) {
  PgQueryScanResult scan = pg_query_scan(word.c_str());
  bool needs = false;
  if (scan.error == nullptr) {
    PgQuery__ScanResult* result = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    if (result != nullptr) {
      needs = result->n_tokens == 1 &&
              result->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD &&
              result->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD;
      pg_query__scan_result__free_unpacked(result, nullptr);
    }
  }
  pg_query_free_scan_result(scan);
  return needs;
}

// The scan costs microseconds and `serve` quotes the same few names in every request's SQL,
// so each thread remembers its answers (bounded: a schema of 10,000 tables cycles through).
bool is_keyword_needing_quotes(const std::string& word) {
  constexpr size_t kRemembered = 4096;
  thread_local std::unordered_map<std::string, bool> remembered;
  if (auto it = remembered.find(word); it != remembered.end()) return it->second;
  if (remembered.size() >= kRemembered) remembered.clear();
  return remembered.emplace(word, scan_keyword_needing_quotes(word)).first->second;
}

}  // namespace

std::string redact(const std::string& conninfo) {
  // URL form: scheme://user:password@host...
  static const std::regex url_password(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/]*):[^@/]*@)");
  // key=value form: password=secret or password='se cret'
  static const std::regex kv_password(R"((\bpassword\s*=\s*)('([^'\\]|\\.)*'|\S+))");
  // URL query parameter: ?password=secret
  static const std::regex query_password(R"(([?&]password=)[^&]*)");
  std::string out = std::regex_replace(conninfo, url_password, "$1:***@");
  out = std::regex_replace(out, kv_password, "$1***");
  out = std::regex_replace(out, query_password, "$1***");
  return out;
}

std::unique_ptr<pqxx::connection> connect(const std::string& conninfo, const std::string& what) {
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    std::string reason = e.what();
    // libpq may echo parts of the conninfo; keep only its first line, redacted.
    reason = redact(reason.substr(0, reason.find('\n')));
    throw RuntimeError(fmt::format(
        "cannot connect to {} ({}): {}; check that the server is running and the URL is right",
        redact(conninfo), what, reason));
  }
}

std::string quote_ident(const std::string& name) {
  bool plain =
      !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      plain = false;
  }
  if (plain && is_keyword_needing_quotes(name)) plain = false;
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string qualified_name(const std::string& schema, const std::string& name) {
  return quote_ident(schema) + "." + quote_ident(name);
}

}  // namespace dbsplit::pg
