#include "core/analysis/json.hpp"

#include <fmt/format.h>

#include "core/catalog/json.hpp"
#include "core/diagnostics/render.hpp"
#include "core/util/error.hpp"

namespace dbsplit::analysis {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

// Reading with the JSON pointer of every member, so errors say where.
class Reader {
 public:
  Reader(const json& j, std::string at) : j_(j), at_(std::move(at)) {
    if (!j_.is_object()) fail("", "expected an object");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw UsageError(fmt::format("analysis JSON: {}{}: {}", at_.empty() ? "" : at_,
                                 key.empty() ? (at_.empty() ? "/" : "") : "/" + key, problem));
  }
  const json& member(const char* key) const {
    if (!j_.contains(key)) fail(key, "missing");
    return j_[key];
  }
  std::string str(const char* key) const {
    const json& v = member(key);
    if (!v.is_string()) fail(key, "expected a string");
    return v.get<std::string>();
  }
  int64_t integer(const char* key) const {
    const json& v = member(key);
    if (!v.is_number_integer()) fail(key, "expected an integer");
    return v.get<int64_t>();
  }
  double number(const char* key) const {
    const json& v = member(key);
    if (!v.is_number()) fail(key, "expected a number");
    return v.get<double>();
  }
  std::vector<std::string> strings(const char* key) const {
    const json& v = member(key);
    if (!v.is_array()) fail(key, "expected an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(fmt::format("{}/{}", key, i), "expected a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }
  // Each element of an array member as a Reader.
  template <typename F>
  void each(const char* key, F f) const {
    const json& v = member(key);
    if (!v.is_array()) fail(key, "expected an array");
    for (size_t i = 0; i < v.size(); ++i) f(Reader(v[i], fmt::format("{}/{}/{}", at_, key, i)));
  }
  template <typename E>
  E enumeration(const char* key, E (*parse)(const std::string&)) const {
    std::string text = str(key);
    try {
      return parse(text);
    } catch (const UsageError& e) {
      fail(key, e.what());
    }
  }
  const std::string& at() const { return at_; }

 private:
  const json& j_;
  std::string at_;
};

template <typename E>
E parse_enum(const std::string& name, const char* what, E last) {
  std::string known;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    E e = static_cast<E>(i);
    if (name == to_string(e)) return e;
    known += (known.empty() ? "" : ", ") + std::string(to_string(e));
  }
  throw UsageError(fmt::format("unknown {} '{}' (expected one of {})", what, name, known));
}

}  // namespace

Signal signal_from_string(const std::string& name) {
  return parse_enum(name, "signal", Signal::graph_community);
}
Pattern pattern_from_string(const std::string& name) {
  return parse_enum(name, "pattern", Pattern::per_service_object);
}
DependencyKind dependency_kind_from_string(const std::string& name) {
  return parse_enum(name, "dependency kind", DependencyKind::type);
}

namespace {

json thresholds_json(const Analysis& a) {
  return {{"frequent_read_share", a.thresholds.frequent_read_share},
          {"reporting_modules", a.thresholds.reporting_modules}};
}

json summary_json(const Analysis& a) {
  size_t counts[3] = {0, 0, 0};
  for (const auto& f : a.findings) counts[static_cast<int>(f.severity)] += 1;
  return {{"tables", a.tables.size()},
          {"services", a.services.size()},
          {"total_calls", a.total_calls},
          {"statements", a.workload.statements.size()},
          {"transactions", a.workload.transactions.size()},
          {"unparsed_statements", a.unparsed_statements},
          {"workload_sources", a.workload.sources},
          {"findings", {{"error", counts[2]}, {"warning", counts[1]}, {"info", counts[0]}}}};
}

json service_json(const Service& s) {
  return {{"name", s.name}, {"tables", s.tables}, {"modules", s.modules}};
}

json table_json(const TableAssignment& t) {
  return {{"name", t.table},
          {"service", t.service},
          {"signal", to_string(t.signal)},
          {"confidence", t.confidence},
          {"reason", t.reason}};
}

json cell_json(const AccessCell& c) {
  return {{"module", c.module},
          {"table", c.table},
          {"read_calls", c.read_calls},
          {"write_calls", c.write_calls},
          {"lock_calls", c.lock_calls}};
}

json dependency_json(const Dependency& d) {
  return {{"kind", to_string(d.kind)},
          {"consumer", d.consumer},
          {"owner", d.owner},
          {"module", d.module},
          {"tables", d.tables},
          {"columns", d.columns},
          {"filter_columns", d.filter_columns},
          {"object", d.object},
          {"statement", d.statement},
          {"calls", d.calls},
          {"calls_share", d.calls_share},
          {"pattern", to_string(d.pattern)},
          {"rationale", d.rationale}};
}

template <typename T, typename F>
json array_of(const std::vector<T>& items, F to_json) {
  json out = json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

template <typename T, typename F>
void write_array(JsonWriter& w, const char* key, const std::vector<T>& items, F to_json) {
  w.key(key);
  w.begin_array();
  for (const auto& item : items) w.value(to_json(item));
  w.end_array();
}

}  // namespace

json to_json(const Analysis& a) {
  json out;
  out["format"] = "dbsplit-analysis";
  out["version"] = kFormatVersion;
  out["database"] = a.database;
  out["thresholds"] = thresholds_json(a);
  out["summary"] = summary_json(a);
  out["services"] = array_of(a.services, service_json);
  out["tables"] = array_of(a.tables, table_json);
  out["matrix"] = array_of(a.matrix, cell_json);
  out["dependencies"] = array_of(a.dependencies, dependency_json);
  out["findings"] = diagnostics::diagnostics_to_json(a.findings);
  out["unparsed"] = a.workload.unparsed;
  out["schema"] = catalog::to_json(a.schema);
  return out;
}

void write_json(const Analysis& a, JsonWriter& w) {
  // Members in key order, as to_json's object holds them.
  w.begin_object();
  w.key("database");
  w.value(a.database);
  write_array(w, "dependencies", a.dependencies, dependency_json);
  write_array(w, "findings", a.findings, diagnostics::diagnostic_to_json);
  w.key("format");
  w.value("dbsplit-analysis");
  write_array(w, "matrix", a.matrix, cell_json);
  w.key("schema");
  catalog::write_json(a.schema, w);
  write_array(w, "services", a.services, service_json);
  w.key("summary");
  w.value(summary_json(a));
  write_array(w, "tables", a.tables, table_json);
  w.key("thresholds");
  w.value(thresholds_json(a));
  w.key("unparsed");
  w.value(a.workload.unparsed);
  w.key("version");
  w.value(static_cast<int64_t>(kFormatVersion));
  w.end_object();
}

Analysis analysis_from_json(const json& j) {
  Reader r(j, "");
  if (r.str("format") != "dbsplit-analysis")
    r.fail("format",
           "expected \"dbsplit-analysis\" (is this the output of dbsplit analyze "
           "--format json?)");
  if (r.integer("version") != kFormatVersion)
    r.fail("version", fmt::format("analysis version {} is not supported (supports {})",
                                  r.integer("version"), kFormatVersion));
  Analysis a;
  a.database = r.str("database");
  Reader thresholds(r.member("thresholds"), "/thresholds");
  a.thresholds.frequent_read_share = thresholds.number("frequent_read_share");
  a.thresholds.reporting_modules = thresholds.strings("reporting_modules");
  Reader summary(r.member("summary"), "/summary");
  a.total_calls = summary.integer("total_calls");
  a.unparsed_statements = static_cast<int>(summary.integer("unparsed_statements"));
  a.workload.sources = summary.strings("workload_sources");
  a.workload.unparsed = r.strings("unparsed");
  r.each("services", [&](const Reader& s) {
    a.services.push_back({s.str("name"), s.strings("tables"), s.strings("modules")});
  });
  r.each("tables", [&](const Reader& t) {
    TableAssignment ta;
    ta.table = t.str("name");
    ta.service = t.str("service");
    ta.signal = t.enumeration("signal", &signal_from_string);
    ta.confidence = t.number("confidence");
    ta.reason = t.str("reason");
    a.tables.push_back(std::move(ta));
  });
  r.each("matrix", [&](const Reader& c) {
    a.matrix.push_back({c.str("module"), c.str("table"), c.integer("read_calls"),
                        c.integer("write_calls"), c.integer("lock_calls")});
  });
  r.each("dependencies", [&](const Reader& d) {
    Dependency dep;
    dep.kind = d.enumeration("kind", &dependency_kind_from_string);
    dep.consumer = d.str("consumer");
    dep.owner = d.str("owner");
    dep.module = d.str("module");
    dep.tables = d.strings("tables");
    dep.columns = d.strings("columns");
    dep.filter_columns = d.strings("filter_columns");
    dep.object = d.str("object");
    dep.statement = d.str("statement");
    dep.calls = d.integer("calls");
    dep.calls_share = d.number("calls_share");
    dep.pattern = d.enumeration("pattern", &pattern_from_string);
    dep.rationale = d.str("rationale");
    a.dependencies.push_back(std::move(dep));
  });
  a.findings = diagnostics::diagnostics_from_json(r.member("findings"), "analysis JSON: /findings");
  try {
    a.schema = catalog::schema_from_json(r.member("schema"));
  } catch (const UsageError& e) {
    throw UsageError(std::string("analysis JSON: /schema: ") + e.what());
  }
  return a;
}

}  // namespace dbsplit::analysis
