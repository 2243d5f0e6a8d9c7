// The pins file: the user's own decisions, which beat every signal of the workload.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/analysis/ownership.hpp"
#include "core/util/error.hpp"

namespace dbsplit::analysis {
namespace {

constexpr const char* kFormatHint =
    "a pins file is {\"services\": [{\"name\": \"orders\", \"tables\": [\"public.order_*\"]}]} "
    "(see docs/analyze.md)";

[[noreturn]] void fail(const std::string& path, const std::string& pointer,
                       const std::string& problem) {
  throw UsageError(fmt::format("pins file {}: {}: {}; {}", path, pointer, problem, kFormatHint));
}

bool has_glob(const std::string& pattern) {
  return pattern.find_first_of("*?") != std::string::npos;
}

std::string pins_label(const std::string& path) {
  return path.empty() ? std::string("pins") : "pins file " + path;
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<Pin> read_pins_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw UsageError(fmt::format("cannot read pins file {}: {}; check the --pins path", path,
                                 std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(
        fmt::format("pins file {}: not valid JSON at byte {}; {}", path, e.byte, kFormatHint));
  }
  if (!doc.is_object()) fail(path, "/", "expected an object with a \"services\" array");
  for (const auto& [key, value] : doc.items())
    if (key != "services") fail(path, "/" + key, "unknown member (expected only \"services\")");
  if (!doc.contains("services") || !doc["services"].is_array())
    fail(path, "/services", "expected an array of services");

  std::vector<Pin> pins;
  const auto& services = doc["services"];
  for (size_t i = 0; i < services.size(); ++i) {
    std::string at = fmt::format("/services/{}", i);
    const auto& service = services[i];
    if (!service.is_object()) fail(path, at, "expected an object with \"name\" and \"tables\"");
    for (const auto& [key, value] : service.items())
      if (key != "name" && key != "tables")
        fail(path, at + "/" + key, "unknown member (expected \"name\" and \"tables\")");
    if (!service.contains("name") || !service["name"].is_string() ||
        service["name"].get<std::string>().empty())
      fail(path, at + "/name", "expected a non-empty string naming the service");
    if (!service.contains("tables") || !service["tables"].is_array())
      fail(path, at + "/tables", "expected an array of \"schema.table\" names or globs");
    Pin pin;
    pin.service = service["name"].get<std::string>();
    const auto& tables = service["tables"];
    for (size_t j = 0; j < tables.size(); ++j) {
      std::string table_at = fmt::format("{}/tables/{}", at, j);
      if (!tables[j].is_string()) fail(path, table_at, "expected a string \"schema.table\"");
      std::string table = tables[j].get<std::string>();
      if (table.find('.') == std::string::npos)
        fail(path, table_at,
             fmt::format("'{}' is not \"schema.table\" (write e.g. public.{})", table, table));
      pin.tables.push_back(table);
    }
    pins.push_back(std::move(pin));
  }
  return pins;
}

std::map<std::string, PinnedTable> resolve_pins(const std::vector<Pin>& pins,
                                                const std::string& pins_path,
                                                const Relations& relations) {
  // An exact name beats a glob, so "public.*" for one service can carve out exceptions.
  struct Claim {
    PinnedTable pin;
    bool exact = false;
    std::string pointer;
  };
  std::map<std::string, Claim> claims;
  for (size_t i = 0; i < pins.size(); ++i) {
    for (size_t j = 0; j < pins[i].tables.size(); ++j) {
      const std::string& pattern = pins[i].tables[j];
      std::string pointer = fmt::format("/services/{}/tables/{}", i, j);
      bool exact = !has_glob(pattern);
      bool matched = false;
      auto claim = [&](const std::string& unit) {
        matched = true;
        auto [it, inserted] =
            claims.emplace(unit, Claim{{pins[i].service, pattern}, exact, pointer});
        if (inserted || it->second.pin.service == pins[i].service) return;
        if (exact && !it->second.exact) {
          it->second = Claim{{pins[i].service, pattern}, exact, pointer};
        } else if (exact == it->second.exact) {
          throw UsageError(
              fmt::format("{}: {}: '{}' gives {} to service '{}', but {} already gives it to '{}'; "
                          "pin each table to one service",
                          pins_label(pins_path), pointer, pattern, unit, pins[i].service,
                          it->second.pointer, it->second.pin.service));
        }
      };
      if (exact) {
        const auto& units = relations.units(pattern);
        if (!relations.is_view(pattern))
          for (const auto& unit : units) claim(unit);
      } else {
        for (const auto& unit : relations.unit_tables())
          if (glob_match(pattern, unit)) claim(unit);
      }
      if (!matched)
        throw UsageError(fmt::format(
            "{}: {}: '{}' matches no table; pins name tables as \"schema.table\" (globs * and ? "
            "allowed); check the spelling or remove the pin",
            pins_label(pins_path), pointer, pattern));
    }
  }
  std::map<std::string, PinnedTable> out;
  for (auto& [table, claim] : claims) out.emplace(table, claim.pin);
  return out;
}

}  // namespace dbsplit::analysis
