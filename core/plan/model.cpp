#include "core/plan/model.hpp"

#include <cctype>

namespace dbsplit::plan {

const char* to_string(StageName stage) {
  switch (stage) {
    case StageName::ownership:
      return "ownership";
    case StageName::apis:
      return "apis";
    case StageName::reads:
      return "reads";
    case StageName::writes:
      return "writes";
    case StageName::database:
      return "database";
  }
  return "ownership";
}

const Service* Plan::find_service(const std::string& name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

const Service* Plan::owner_of(const std::string& table) const {
  for (const auto& s : services)
    for (const auto& t : s.tables)
      if (t == table) return &s;
  return nullptr;
}

const Stage* Plan::find_stage(StageName stage) const {
  for (const auto& s : stages)
    if (s.name == stage) return &s;
  return nullptr;
}

namespace {
// Lower-case identifier characters kept, everything else '_', so the result needs no quoting.
std::string identifier_part(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}
}  // namespace

std::string role_name(const std::string& service) { return "svc_" + identifier_part(service); }

std::string target_placeholder(const std::string& service) {
  std::string upper;
  for (char c : identifier_part(service))
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "${DBSPLIT_TARGET_" + upper + "}";
}

}  // namespace dbsplit::plan
