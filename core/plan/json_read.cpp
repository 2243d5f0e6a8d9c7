// JSON → Plan. Every problem is a UsageError that names the file and where in it:
// "<file>:<line>:<column>" for malformed JSON, "<file>: <json pointer>" for a well-formed
// file that is not a valid plan. Nothing else may escape: the parser is fuzzed.
#include <fmt/format.h>

#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>

#include "core/catalog/json.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::plan {
namespace {

using json = nlohmann::json;

// The message of a nlohmann exception without its "[json.exception.x.nnn] " prefix.
std::string nlohmann_reason(const std::exception& e) {
  std::string what = e.what();
  auto pos = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && pos != std::string::npos) what.erase(0, pos + 2);
  return what;
}

const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "a binary value";
  }
}

std::string child(const std::string& pointer, const std::string& key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer + "/" + escaped;
}
std::string child(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

// Walks the document, keeping the JSON pointer of each value for error messages.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw UsageError(fmt::format("{}: {}: {}", source_, pointer.empty() ? "/" : pointer, what));
  }

  const json& object(const json& value, const std::string& pointer,
                     std::initializer_list<const char*> allowed) const {
    if (!value.is_object())
      fail(pointer, fmt::format("expected an object, found {}", type_name(value)));
    for (const auto& item : value.items()) {
      bool known = false;
      for (const char* name : allowed) known = known || item.key() == name;
      if (!known)
        fail(child(pointer, item.key()), "unknown member; see docs/plan.md for the format");
    }
    return value;
  }

  const json& member(const json& obj, const std::string& pointer, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(pointer, fmt::format("missing member \"{}\"", key));
    return *it;
  }

  std::string string_at(const json& value, const std::string& pointer) const {
    if (!value.is_string())
      fail(pointer, fmt::format("expected a string, found {}", type_name(value)));
    return value.get<std::string>();
  }

  std::string string(const json& obj, const std::string& pointer, const char* key) const {
    return string_at(member(obj, pointer, key), child(pointer, key));
  }

  std::vector<std::string> strings(const json& obj, const std::string& pointer,
                                   const char* key) const {
    const json& value = member(obj, pointer, key);
    std::string here = child(pointer, key);
    std::vector<std::string> out;
    for (size_t i = 0; i < array(value, here).size(); ++i)
      out.push_back(string_at(value[i], child(here, i)));
    return out;
  }

  const json& array(const json& value, const std::string& pointer) const {
    if (!value.is_array())
      fail(pointer, fmt::format("expected an array, found {}", type_name(value)));
    return value;
  }

  int64_t integer(const json& obj, const std::string& pointer, const char* key) const {
    const json& value = member(obj, pointer, key);
    if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(value.get<uint64_t>());
    fail(child(pointer, key), fmt::format("expected an integer, found {}", type_name(value)));
  }

 private:
  std::string source_;
};

template <typename Enum, size_t N>
Enum enum_value(const Reader& r, const json& obj, const std::string& pointer, const char* key,
                const std::array<Enum, N>& values, const char* (*name)(Enum)) {
  std::string text = r.string(obj, pointer, key);
  std::string expected;
  for (Enum v : values) {
    if (text == name(v)) return v;
    expected += (expected.empty() ? "" : ", ") + std::string(name(v));
  }
  r.fail(child(pointer, key),
         fmt::format("unknown value \"{}\"; expected one of {}", text, expected));
}

constexpr std::array<analysis::Pattern, 9> kPatterns = {
    analysis::Pattern::api_composition,   analysis::Pattern::event_replication,
    analysis::Pattern::cqrs_read_model,   analysis::Pattern::analytics_database,
    analysis::Pattern::owner_api_write,   analysis::Pattern::saga,
    analysis::Pattern::orphan_check,      analysis::Pattern::move_to_owner,
    analysis::Pattern::per_service_object};
constexpr std::array<analysis::DependencyKind, 9> kKinds = {
    analysis::DependencyKind::read,        analysis::DependencyKind::write,
    analysis::DependencyKind::join,        analysis::DependencyKind::transaction,
    analysis::DependencyKind::foreign_key, analysis::DependencyKind::view,
    analysis::DependencyKind::trigger,     analysis::DependencyKind::sequence,
    analysis::DependencyKind::type};

Action read_action(const Reader& r, const json& value, const std::string& pointer, bool with_expect,
                   Expect* expect) {
  if (with_expect) {
    r.object(value, pointer, {"sql", "operation", "parameters", "expect"});
  } else {
    r.object(value, pointer, {"sql", "operation", "parameters"});
  }
  bool has_sql = value.contains("sql");
  bool has_operation = value.contains("operation");
  if (has_sql == has_operation)
    r.fail(pointer, "expected exactly one of the members \"sql\" and \"operation\"");
  Action action;
  if (has_sql) {
    action.kind = ActionKind::sql;
    action.sql = r.string(value, pointer, "sql");
    if (value.contains("parameters"))
      r.fail(child(pointer, "parameters"), "parameters belong to an operation, not to SQL");
  } else {
    action.kind = ActionKind::operation;
    action.operation = r.string(value, pointer, "operation");
    if (value.contains("parameters")) {
      const json& p = value["parameters"];
      if (!p.is_object())
        r.fail(child(pointer, "parameters"),
               fmt::format("expected an object, found {}", type_name(p)));
      action.parameters = p;
    }
  }
  if (with_expect) {
    std::string text = r.string(value, pointer, "expect");
    if (has_sql && text == "true") {
      *expect = Expect::true_value;
    } else if (has_sql && text == "zero_rows") {
      *expect = Expect::zero_rows;
    } else if (has_operation && text == "success") {
      *expect = Expect::success;
    } else {
      r.fail(child(pointer, "expect"), fmt::format("unknown value \"{}\"; expected {}", text,
                                                   has_sql ? "\"true\" or \"zero_rows\" for SQL"
                                                           : "\"success\" for an operation"));
    }
  }
  return action;
}

Service read_service(const Reader& r, const json& v, const std::string& p) {
  r.object(v, p, {"name", "tables", "modules", "role", "target"});
  Service s;
  s.name = r.string(v, p, "name");
  s.tables = r.strings(v, p, "tables");
  s.modules = r.strings(v, p, "modules");
  s.role = r.string(v, p, "role");
  s.target = r.string(v, p, "target");
  return s;
}

ApiEndpoint read_endpoint(const Reader& r, const json& v, const std::string& p) {
  r.object(
      v, p,
      {"name", "service", "resource", "method", "filter_columns", "returned_columns", "replaces"});
  ApiEndpoint e;
  e.name = r.string(v, p, "name");
  e.service = r.string(v, p, "service");
  e.resource = r.string(v, p, "resource");
  std::string method = r.string(v, p, "method");
  if (method == "read") {
    e.method = ApiEndpoint::Method::read;
  } else if (method == "write") {
    e.method = ApiEndpoint::Method::write;
  } else {
    r.fail(child(p, "method"),
           fmt::format("unknown value \"{}\"; expected one of read, write", method));
  }
  e.filter_columns = r.strings(v, p, "filter_columns");
  e.returned_columns = r.strings(v, p, "returned_columns");
  e.replaces = r.string(v, p, "replaces");
  return e;
}

Saga read_saga(const Reader& r, const json& v, const std::string& p) {
  r.object(v, p, {"name", "coordinator", "steps"});
  Saga saga;
  saga.name = r.string(v, p, "name");
  saga.coordinator = r.string(v, p, "coordinator");
  std::string sp = child(p, "steps");
  const json& steps = r.array(r.member(v, p, "steps"), sp);
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string here = child(sp, i);
    r.object(steps[i], here, {"service", "action", "compensation"});
    saga.steps.push_back({r.string(steps[i], here, "service"), r.string(steps[i], here, "action"),
                          r.string(steps[i], here, "compensation")});
  }
  return saga;
}

Dependency read_dependency(const Reader& r, const json& v, const std::string& p) {
  r.object(v, p,
           {"id", "kind", "pattern", "consumer", "owner", "module", "tables", "object", "statement",
            "calls", "rationale", "endpoint", "cache", "read_model", "saga", "orphan_check",
            "disposition"});
  Dependency d;
  d.id = r.string(v, p, "id");
  d.kind = enum_value(r, v, p, "kind", kKinds, kind_name);
  d.pattern = enum_value(r, v, p, "pattern", kPatterns, pattern_name);
  d.consumer = r.string(v, p, "consumer");
  d.owner = r.string(v, p, "owner");
  d.module = r.string(v, p, "module");
  d.tables = r.strings(v, p, "tables");
  d.object = r.string(v, p, "object");
  d.statement = r.string(v, p, "statement");
  d.calls = r.integer(v, p, "calls");
  d.rationale = r.string(v, p, "rationale");
  if (v.contains("endpoint")) d.endpoint = read_endpoint(r, v["endpoint"], child(p, "endpoint"));
  if (v.contains("cache")) {
    std::string cp = child(p, "cache");
    const json& c = r.object(
        v["cache"], cp, {"name", "service", "source_table", "columns", "key", "source_events"});
    d.cache = CacheTable{r.string(c, cp, "name"),         r.string(c, cp, "service"),
                         r.string(c, cp, "source_table"), r.strings(c, cp, "columns"),
                         r.strings(c, cp, "key"),         r.strings(c, cp, "source_events")};
  }
  if (v.contains("read_model")) {
    std::string rp = child(p, "read_model");
    const json& m = r.object(v["read_model"], rp,
                             {"name", "service", "definition", "source_tables", "source_events"});
    d.read_model = ReadModel{r.string(m, rp, "name"), r.string(m, rp, "service"),
                             r.string(m, rp, "definition"), r.strings(m, rp, "source_tables"),
                             r.strings(m, rp, "source_events")};
  }
  if (v.contains("saga")) d.saga = read_saga(r, v["saga"], child(p, "saga"));
  if (v.contains("orphan_check")) {
    std::string op = child(p, "orphan_check");
    const json& o = r.object(v["orphan_check"], op,
                             {"constraint", "child_table", "child_columns", "parent_table",
                              "parent_columns", "definition", "sql"});
    d.orphan_check = OrphanCheck{r.string(o, op, "constraint"),
                                 r.string(o, op, "child_table"),
                                 r.strings(o, op, "child_columns"),
                                 r.string(o, op, "parent_table"),
                                 r.strings(o, op, "parent_columns"),
                                 r.string(o, op, "definition"),
                                 r.string(o, op, "sql")};
  }
  if (v.contains("disposition")) {
    std::string dp = child(p, "disposition");
    const json& o = r.object(v["disposition"], dp, {"object", "service", "services", "action"});
    d.disposition = ObjectDisposition{r.string(o, dp, "object"), r.string(o, dp, "service"),
                                      r.strings(o, dp, "services"), r.string(o, dp, "action")};
  }
  return d;
}

Step read_step(const Reader& r, const json& v, const std::string& p) {
  r.object(v, p, {"id", "service", "description", "action", "verify", "rollback"});
  Step step;
  step.id = r.string(v, p, "id");
  step.service = r.string(v, p, "service");
  step.description = r.string(v, p, "description");
  step.action = read_action(r, r.member(v, p, "action"), child(p, "action"), false, nullptr);
  if (v.contains("verify"))
    step.verify.check = read_action(r, v["verify"], child(p, "verify"), true, &step.verify.expect);
  if (v.contains("rollback"))
    step.rollback = read_action(r, v["rollback"], child(p, "rollback"), false, nullptr);
  return step;
}

Plan read_plan(const Reader& r, const json& root) {
  r.object(root, "",
           {"version", "dbsplit_version", "database", "fingerprint", "services", "dependencies",
            "stages", "schema"});
  Plan plan;
  // The version decides how to read the rest, so it is checked before anything else.
  plan.version = static_cast<int>(r.integer(root, "", "version"));
  if (root["version"].get<int64_t>() != kPlanVersion)
    r.fail("/version", fmt::format("plan version {} is not supported by dbsplit {} (supports {})",
                                   root["version"].get<int64_t>(), DBSPLIT_VERSION, kPlanVersion));
  plan.dbsplit_version = r.string(root, "", "dbsplit_version");
  plan.database = r.string(root, "", "database");
  plan.fingerprint = r.string(root, "", "fingerprint");

  const json& services = r.array(r.member(root, "", "services"), "/services");
  std::set<std::string> names;
  for (size_t i = 0; i < services.size(); ++i) {
    plan.services.push_back(read_service(r, services[i], child("/services", i)));
    if (!names.insert(plan.services.back().name).second)
      r.fail(child(child("/services", i), "name"),
             fmt::format("service \"{}\" is listed twice", plan.services.back().name));
  }
  const json& deps = r.array(r.member(root, "", "dependencies"), "/dependencies");
  for (size_t i = 0; i < deps.size(); ++i)
    plan.dependencies.push_back(read_dependency(r, deps[i], child("/dependencies", i)));

  const json& stages = r.array(r.member(root, "", "stages"), "/stages");
  constexpr std::array<StageName, 5> order = kStageOrder;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::string sp = child("/stages", i);
    r.object(stages[i], sp, {"name", "steps"});
    Stage stage;
    stage.name = enum_value(r, stages[i], sp, "name", order, to_string);
    std::string stp = child(sp, "steps");
    const json& steps = r.array(r.member(stages[i], sp, "steps"), stp);
    for (size_t j = 0; j < steps.size(); ++j)
      stage.steps.push_back(read_step(r, steps[j], child(stp, j)));
    plan.stages.push_back(std::move(stage));
  }

  const json& schema = r.member(root, "", "schema");
  if (!schema.is_object())
    r.fail("/schema", fmt::format("expected an object, found {}", type_name(schema)));
  try {
    plan.schema = catalog::schema_from_json(schema);
  } catch (const std::exception& e) {
    // The catalog reader says "invalid catalog schema JSON at <pointer>: <what>"; point
    // into the plan file instead.
    std::string what = e.what();
    const std::string at = "invalid catalog schema JSON at ";
    auto colon = what.find(": ", at.size());
    if (what.rfind(at, 0) == 0 && colon != std::string::npos) {
      std::string pointer = what.substr(at.size(), colon - at.size());
      r.fail("/schema" + (pointer == "/" ? std::string() : pointer), what.substr(colon + 2));
    }
    r.fail("/schema", what);
  }
  for (size_t i = 0; i < plan.services.size(); ++i)
    for (size_t j = 0; j < plan.services[i].tables.size(); ++j) {
      const std::string& table = plan.services[i].tables[j];
      if (plan.schema.find_table(table) == nullptr)
        r.fail(child(child(child("/services", i), "tables"), j),
               fmt::format("table \"{}\" is not in the plan's schema snapshot; name tables as "
                           "\"schema.table\" of the database the plan was made from",
                           table));
    }
  return plan;
}

}  // namespace

Plan plan_from_json_text(const std::string& text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    size_t offset = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string reason = nlohmann_reason(e);
    auto colon = reason.find(": ");
    if (reason.rfind("parse error", 0) == 0 && colon != std::string::npos)
      reason.erase(0, colon + 2);
    // "last read: '...'" repeats raw input (newlines included); line:column says where.
    auto last = reason.find("; last read: '");
    auto last_end = last == std::string::npos ? last : reason.find("'; ", last + 14);
    if (last_end != std::string::npos) reason.erase(last, last_end + 1 - last);
    bool at_end = e.byte >= text.size();
    throw UsageError(fmt::format("{}:{}:{}: not valid JSON: {}{}", source, line, column, reason,
                                 at_end ? "; the file looks truncated" : ""));
  } catch (const json::exception& e) {
    throw UsageError(fmt::format("{}: not valid JSON: {}", source, nlohmann_reason(e)));
  }
  Reader reader(source);
  try {
    return read_plan(reader, root);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    // A defect in the reader, not in the file: still report it as bad input, never crash.
    throw UsageError(fmt::format("{}: cannot read the plan: {}", source, nlohmann_reason(e)));
  }
}

Plan read_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UsageError(
        fmt::format("cannot read the plan file {}; check the path (make one with "
                    "`dbsplit plan -o {}`)",
                    path, path));
  std::ostringstream text;
  text << in.rdbuf();
  return plan_from_json_text(text.str(), path);
}

}  // namespace dbsplit::plan
