// Plan rules (DS3xx) and workload coverage (DS220); drift is in drift.cpp.
#include "core/plan/check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/catalog/json.hpp"
#include "core/plan/json.hpp"

namespace dbsplit::plan {
namespace {

using diagnostics::Diagnostic;
using diagnostics::Severity;

Diagnostic finding(std::string code, Severity severity, std::vector<std::string> objects,
                   std::string message, std::string pattern = "") {
  return Diagnostic{std::move(code), severity, std::move(objects), std::move(message),
                    std::move(pattern)};
}

// The pattern member a dependency needs, or nullptr when it has it.
const char* missing_member(const Dependency& d) {
  using analysis::Pattern;
  switch (d.pattern) {
    case Pattern::api_composition:
    case Pattern::owner_api_write:
      return d.endpoint ? nullptr : "endpoint";
    case Pattern::event_replication:
      return d.cache ? nullptr : "cache";
    case Pattern::cqrs_read_model:
    case Pattern::analytics_database:
      return d.read_model ? nullptr : "read_model";
    case Pattern::saga:
      return d.saga ? nullptr : "saga";
    case Pattern::orphan_check:
      return d.orphan_check ? nullptr : "orphan_check";
    case Pattern::move_to_owner:
    case Pattern::per_service_object:
      return d.disposition ? nullptr : "disposition";
  }
  return nullptr;
}

}  // namespace

std::vector<Diagnostic> check_rules(const Plan& plan) {
  std::vector<Diagnostic> out;
  std::string snapshot = catalog::fingerprint(plan.schema);
  if (snapshot != plan.fingerprint)
    out.push_back(
        finding("DS308", Severity::error, {},
                fmt::format("the plan's fingerprint {} does not match its schema snapshot "
                            "({}): the plan was edited by hand",
                            plan.fingerprint, snapshot),
                "regenerate the plan with dbsplit plan"));
  std::map<std::string, std::vector<std::string>> owners;
  for (const auto& s : plan.services)
    for (const auto& t : s.tables) owners[t].push_back(s.name);
  for (const auto& t : plan.schema.tables) {
    auto it = owners.find(t.qualified());
    if (it == owners.end()) {
      // A partition not listed itself goes with its parent (the unit of ownership).
      if (!t.partition_of.empty() && owners.count(t.partition_of)) continue;
      out.push_back(
          finding("DS301", Severity::error, {t.qualified()},
                  fmt::format("table {} has no owning service in the plan", t.qualified()),
                  "add it to a service in the pins file and regenerate the plan"));
    }
  }
  for (const auto& [table, services] : owners)
    if (services.size() > 1)
      out.push_back(finding("DS302", Severity::error, {table},
                            fmt::format("table {} is owned by {} services: {}", table,
                                        services.size(), fmt::join(services, ", ")),
                            "keep it in exactly one service"));

  std::set<std::string> ids;
  size_t last_position = 0;
  std::string last_name;
  std::set<StageName> seen;
  for (const auto& stage : plan.stages) {
    auto pos = static_cast<size_t>(std::find(kStageOrder.begin(), kStageOrder.end(), stage.name) -
                                   kStageOrder.begin());
    if (!seen.insert(stage.name).second) {
      out.push_back(finding("DS305", Severity::error, {to_string(stage.name)},
                            fmt::format("stage {} appears twice", to_string(stage.name)),
                            "merge its steps into one stage"));
    } else if (!last_name.empty() && pos < last_position) {
      out.push_back(finding(
          "DS305", Severity::error, {to_string(stage.name)},
          fmt::format("stage {} comes after stage {}; stages run in the order ownership, apis, "
                      "reads, writes, database",
                      to_string(stage.name), last_name),
          "reorder the stages"));
    }
    if (pos >= last_position || last_name.empty()) {
      last_position = pos;
      last_name = to_string(stage.name);
    }
    for (const auto& step : stage.steps) {
      if (!ids.insert(step.id).second)
        out.push_back(finding("DS306", Severity::error, {step.id},
                              fmt::format("step id {} is used twice", step.id),
                              "give every step a unique id"));
      if (step.verify.check.empty())
        out.push_back(finding("DS303", Severity::error, {step.id},
                              fmt::format("step {} has no verification", step.id),
                              "add a \"verify\" SQL or operation"));
      if (step.rollback.empty())
        out.push_back(finding("DS304", Severity::error, {step.id},
                              fmt::format("step {} has no rollback", step.id),
                              "add a \"rollback\" SQL or operation"));
    }
  }
  for (const auto& d : plan.dependencies)
    if (const char* member = missing_member(d))
      out.push_back(finding("DS307", Severity::error, {d.id},
                            fmt::format("dependency {} (pattern {}) has no \"{}\"", d.id,
                                        pattern_name(d.pattern), member),
                            "regenerate the plan with dbsplit plan"));
  return out;
}

std::vector<Diagnostic> check_workload(const Plan& plan, const workload::Workload& workload) {
  std::map<std::string, const Service*> service_of_module;
  for (const auto& s : plan.services)
    for (const auto& m : s.modules) service_of_module[m] = &s;
  std::vector<Diagnostic> out;
  std::set<std::tuple<std::string, std::string, std::string>> reported;
  for (const auto& st : workload.statements) {
    auto it = service_of_module.find(st.module);
    if (it == service_of_module.end() || !st.analysis.parsed) continue;
    const Service& consumer = *it->second;
    for (const auto& access : st.analysis.accesses) {
      const Service* owner = plan.owner_of(access.table);
      if (owner == nullptr || owner->name == consumer.name) continue;
      bool planned =
          std::any_of(plan.dependencies.begin(), plan.dependencies.end(), [&](const Dependency& d) {
            bool who = d.consumer == consumer.name || d.module == st.module;
            return who &&
                   std::find(d.tables.begin(), d.tables.end(), access.table) != d.tables.end();
          });
      if (planned || !reported.insert({st.module, access.table, st.text}).second) continue;
      const char* verb = access.write ? "writes" : access.lock ? "locks" : "reads";
      out.push_back(finding(
          "DS220", Severity::error, {access.table, st.module},
          fmt::format("module {} (service {}) {} {} of service {} with no planned pattern: {}",
                      st.module, consumer.name, verb, access.table, owner->name, st.text),
          "regenerate the plan from a workload that includes this statement, or remove it"));
    }
  }
  return out;
}

std::vector<Diagnostic> check_plan(const Plan& plan, const catalog::Schema& live,
                                   const workload::Workload* workload) {
  std::vector<Diagnostic> out = check_drift(plan, live);
  auto rules = check_rules(plan);
  out.insert(out.end(), rules.begin(), rules.end());
  if (workload) {
    auto w = check_workload(plan, *workload);
    out.insert(out.end(), w.begin(), w.end());
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::make_tuple(-static_cast<int>(a.severity), a.code, a.objects, a.message) <
           std::make_tuple(-static_cast<int>(b.severity), b.code, b.objects, b.message);
  });
  return out;
}

}  // namespace dbsplit::plan
