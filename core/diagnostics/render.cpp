#include "core/diagnostics/render.hpp"

#include <fmt/format.h>

#include "core/util/error.hpp"

namespace dbsplit::diagnostics {
namespace {

const char* colour_of(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "31";
    case Severity::warning:
      return "33";
    case Severity::info:
      return "36";
  }
  return "0";
}

std::string plural(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string string_member(const nlohmann::json& j, const char* key, const std::string& at) {
  if (!j.contains(key) || !j[key].is_string())
    throw UsageError(fmt::format("{}/{}: expected a string", at, key));
  return j[key].get<std::string>();
}

}  // namespace

std::string render_diagnostics_text(const std::vector<Diagnostic>& diagnostics, Color color,
                                    const std::string& title) {
  size_t counts[3] = {0, 0, 0};
  for (const auto& d : diagnostics) counts[static_cast<int>(d.severity)] += 1;
  std::string out = fmt::format(
      "{}: {}, {}, {}\n", paint(title, "1", color), plural(counts[2], "error", "errors"),
      plural(counts[1], "warning", "warnings"), plural(counts[0], "info", "info"));
  for (Severity severity : {Severity::error, Severity::warning, Severity::info}) {
    if (counts[static_cast<int>(severity)] == 0) continue;
    out += "\n" + paint(to_string(severity), colour_of(severity), color) + "\n";
    for (const auto& d : diagnostics) {
      if (d.severity != severity) continue;
      out += "  " + paint(d.code, colour_of(severity), color) + " " + wrap(d.message, 8, 8) + "\n";
      if (!d.objects.empty()) {
        std::string objects;
        for (const auto& o : d.objects) objects += (objects.empty() ? "" : ", ") + o;
        out += "        " + paint("objects:", "2", color) + " " + wrap(objects, 17, 17) + "\n";
      }
      if (!d.pattern.empty())
        out += "        " + paint("fix:", "2", color) + " " + wrap(d.pattern, 13, 13) + "\n";
    }
  }
  return out;
}

nlohmann::json diagnostic_to_json(const Diagnostic& d) {
  return {{"code", d.code},
          {"severity", to_string(d.severity)},
          {"message", d.message},
          {"objects", d.objects},
          {"pattern", d.pattern}};
}

nlohmann::json diagnostics_to_json(const std::vector<Diagnostic>& diagnostics) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : diagnostics) out.push_back(diagnostic_to_json(d));
  return out;
}

std::vector<Diagnostic> diagnostics_from_json(const nlohmann::json& json,
                                              const std::string& pointer) {
  if (!json.is_array()) throw UsageError(pointer + ": expected an array of findings");
  std::vector<Diagnostic> out;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string at = fmt::format("{}/{}", pointer, i);
    const auto& j = json[i];
    if (!j.is_object()) throw UsageError(at + ": expected an object");
    Diagnostic d;
    d.code = string_member(j, "code", at);
    std::string severity = string_member(j, "severity", at);
    try {
      d.severity = severity_from_string(severity);
    } catch (const UsageError& e) {
      throw UsageError(at + "/severity: " + e.what());
    }
    d.message = string_member(j, "message", at);
    d.pattern = string_member(j, "pattern", at);
    if (!j.contains("objects") || !j["objects"].is_array())
      throw UsageError(at + "/objects: expected an array of strings");
    for (size_t k = 0; k < j["objects"].size(); ++k) {
      if (!j["objects"][k].is_string())
        throw UsageError(fmt::format("{}/objects/{}: expected a string", at, k));
      d.objects.push_back(j["objects"][k].get<std::string>());
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace dbsplit::diagnostics
