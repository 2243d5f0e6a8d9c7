#include "core/events/names.hpp"

#include <cctype>
#include <regex>

namespace dbsplit::events {
namespace {

std::string token(const std::string& part) {
  std::string out;
  for (char c : part) {
    bool bad = c == '*' || c == '>' || c == '.' || std::isspace(static_cast<unsigned char>(c)) ||
               std::iscntrl(static_cast<unsigned char>(c));
    out += bad ? '_' : c;
  }
  return out.empty() ? "_" : out;
}

// Lower-case letters, digits and '_' only: slot names allow nothing else.
std::string identifier_part(const std::string& service) {
  std::string out;
  for (char c : service) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out;
}

}  // namespace

std::string capture_slot_name(const std::string& service) {
  return "dbsplit_capture_" + identifier_part(service);
}

std::string analytics_name(const std::string& service) {
  return "dbsplit_analytics_" + identifier_part(service);
}

std::string stream_name(const std::string& service) {
  std::string out = "DBSPLIT_";
  for (char c : service) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '_' || c == '-' ? static_cast<char>(std::toupper(u)) : '_';
  }
  return out;
}

std::string subject_for(const std::string& service, const std::string& event_type) {
  std::string out = "dbsplit." + token(service);
  size_t start = 0;
  size_t first_dot = event_type.find('.');
  if (first_dot != std::string::npos && token(event_type.substr(0, first_dot)) == token(service))
    start = first_dot + 1;
  while (true) {
    size_t dot = event_type.find('.', start);
    out += "." + token(event_type.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string service_subjects(const std::string& service) {
  return "dbsplit." + token(service) + ".>";
}

std::string durable_name(const std::string& holder) {
  std::string out = "dbsplit_";
  for (char c : holder) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '_' || c == '-' ? c : '_';
  }
  return out;
}

std::string redact_nats_url(const std::string& url) {
  static const std::regex user_info(R"(://([^@/,:]*)(:[^@/,]*)?@)");
  std::string out;
  auto begin = std::sregex_iterator(url.begin(), url.end(), user_info);
  size_t done = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out += url.substr(done, static_cast<size_t>(m.position()) - done);
    // user:password keeps the user; a lone user part is a token and is hidden whole.
    out += m[2].matched ? "://" + m[1].str() + ":***@" : std::string("://***@");
    done = static_cast<size_t>(m.position() + m.length());
  }
  return out + url.substr(done);
}

}  // namespace dbsplit::events
