// Plan → JSON. Members are written in a fixed, documented order (not alphabetical) so
// that a plan reads top-down in review: version, services, dependencies, stages, schema.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/catalog/json.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::plan {
namespace {

using ojson = nlohmann::ordered_json;

// nlohmann::json keeps object members sorted; re-reading its text keeps that order.
ojson ordered(const nlohmann::json& value) { return ojson::parse(value.dump()); }

ojson strings(const std::vector<std::string>& values) {
  ojson out = ojson::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

ojson action_json(const Action& action) {
  ojson out = ojson::object();
  if (action.kind == ActionKind::sql) {
    out["sql"] = action.sql;
  } else {
    out["operation"] = action.operation;
    out["parameters"] =
        ordered(action.parameters.is_object() ? action.parameters : nlohmann::json::object());
  }
  return out;
}

const char* expect_name(Expect expect) {
  switch (expect) {
    case Expect::true_value:
      return "true";
    case Expect::zero_rows:
      return "zero_rows";
    case Expect::success:
      return "success";
  }
  return "true";
}

ojson endpoint_json(const ApiEndpoint& e) {
  ojson out;
  out["name"] = e.name;
  out["service"] = e.service;
  out["resource"] = e.resource;
  out["method"] = e.method == ApiEndpoint::Method::read ? "read" : "write";
  out["filter_columns"] = strings(e.filter_columns);
  out["returned_columns"] = strings(e.returned_columns);
  out["replaces"] = e.replaces;
  return out;
}

ojson dependency_json(const Dependency& d) {
  ojson out;
  out["id"] = d.id;
  out["kind"] = kind_name(d.kind);
  out["pattern"] = pattern_name(d.pattern);
  out["consumer"] = d.consumer;
  out["owner"] = d.owner;
  out["module"] = d.module;
  out["tables"] = strings(d.tables);
  out["object"] = d.object;
  out["statement"] = d.statement;
  out["calls"] = d.calls;
  out["rationale"] = d.rationale;
  if (d.endpoint) out["endpoint"] = endpoint_json(*d.endpoint);
  if (d.cache) {
    ojson c;
    c["name"] = d.cache->name;
    c["service"] = d.cache->service;
    c["source_table"] = d.cache->source_table;
    c["columns"] = strings(d.cache->columns);
    c["key"] = strings(d.cache->key);
    c["source_events"] = strings(d.cache->source_events);
    out["cache"] = c;
  }
  if (d.read_model) {
    ojson r;
    r["name"] = d.read_model->name;
    r["service"] = d.read_model->service;
    r["definition"] = d.read_model->definition;
    r["source_tables"] = strings(d.read_model->source_tables);
    r["source_events"] = strings(d.read_model->source_events);
    out["read_model"] = r;
  }
  if (d.saga) {
    ojson s;
    s["name"] = d.saga->name;
    s["coordinator"] = d.saga->coordinator;
    s["steps"] = ojson::array();
    for (const auto& step : d.saga->steps) {
      ojson j;
      j["service"] = step.service;
      j["action"] = step.action;
      j["compensation"] = step.compensation;
      s["steps"].push_back(j);
    }
    out["saga"] = s;
  }
  if (d.orphan_check) {
    const auto& o = *d.orphan_check;
    ojson j;
    j["constraint"] = o.constraint;
    j["child_table"] = o.child_table;
    j["child_columns"] = strings(o.child_columns);
    j["parent_table"] = o.parent_table;
    j["parent_columns"] = strings(o.parent_columns);
    j["definition"] = o.definition;
    j["sql"] = o.sql;
    out["orphan_check"] = j;
  }
  if (d.disposition) {
    ojson j;
    j["object"] = d.disposition->object;
    j["service"] = d.disposition->service;
    j["services"] = strings(d.disposition->services);
    j["action"] = d.disposition->action;
    out["disposition"] = j;
  }
  return out;
}

ojson step_json(const Step& step) {
  ojson out;
  out["id"] = step.id;
  out["service"] = step.service;
  out["description"] = step.description;
  out["action"] = action_json(step.action);
  if (!step.verify.check.empty()) {
    ojson v = action_json(step.verify.check);
    v["expect"] = expect_name(step.verify.expect);
    out["verify"] = v;
  }
  if (!step.rollback.empty()) out["rollback"] = action_json(step.rollback);
  return out;
}

}  // namespace

// The plan file spells patterns and kinds exactly as the analysis JSON does.
const char* pattern_name(analysis::Pattern pattern) { return analysis::to_string(pattern); }

const char* kind_name(analysis::DependencyKind kind) { return analysis::to_string(kind); }

nlohmann::ordered_json to_json(const Plan& plan) {
  ojson out;
  out["version"] = plan.version;
  out["dbsplit_version"] = plan.dbsplit_version;
  out["database"] = plan.database;
  out["fingerprint"] = plan.fingerprint;
  out["services"] = ojson::array();
  for (const auto& s : plan.services) {
    ojson j;
    j["name"] = s.name;
    j["tables"] = strings(s.tables);
    j["modules"] = strings(s.modules);
    j["role"] = s.role;
    j["target"] = s.target;
    out["services"].push_back(j);
  }
  out["dependencies"] = ojson::array();
  for (const auto& d : plan.dependencies) out["dependencies"].push_back(dependency_json(d));
  out["stages"] = ojson::array();
  for (const auto& stage : plan.stages) {
    ojson j;
    j["name"] = to_string(stage.name);
    j["steps"] = ojson::array();
    for (const auto& step : stage.steps) j["steps"].push_back(step_json(step));
    out["stages"].push_back(j);
  }
  out["schema"] = ordered(catalog::to_json(plan.schema));
  return out;
}

std::string to_json_text(const Plan& plan) {
  // Invalid UTF-8 (never expected from the catalog) is replaced rather than thrown on,
  // so writing a plan cannot fail halfway.
  return to_json(plan).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

void write_plan_file(const Plan& plan, const std::string& path) {
  namespace fs = std::filesystem;
  std::string text = to_json_text(plan);
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw RuntimeError(fmt::format(
          "cannot write the plan file {}; check that its directory exists and is writable", path));
    }
  }
  fs::rename(temp, target, ec);
  if (ec) {
    std::remove(temp.c_str());
    throw RuntimeError(fmt::format("cannot write the plan file {}: {}", path, ec.message()));
  }
}

}  // namespace dbsplit::plan
