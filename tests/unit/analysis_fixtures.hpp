#pragma once
// Hand-made schemas and workloads for the analysis unit tests.
#include <string>
#include <utility>
#include <vector>

#include "core/analysis/analyze.hpp"

namespace dbsplit::test {

inline std::pair<std::string, std::string> split_name(const std::string& qualified) {
  auto dot = qualified.find('.');
  return {qualified.substr(0, dot), qualified.substr(dot + 1)};
}

// A table with an integer "id" primary key (unless no_pk) and the given extra columns.
inline catalog::Table make_table(const std::string& qualified,
                                 std::vector<std::string> columns = {}, bool no_pk = false) {
  catalog::Table t;
  std::tie(t.schema, t.name) = split_name(qualified);
  columns.insert(columns.begin(), "id");
  int position = 1;
  for (const auto& c : columns) {
    catalog::Column column;
    column.name = c;
    column.type = "integer";
    column.position = position++;
    t.columns.push_back(column);
  }
  if (!no_pk) t.primary_key = {"id"};
  return t;
}

inline catalog::ForeignKey make_fk(const std::string& table, const std::string& column,
                                   const std::string& ref_table) {
  catalog::ForeignKey fk;
  fk.name = split_name(table).second + "_" + column + "_fkey";
  fk.table = table;
  fk.columns = {column};
  fk.ref_table = ref_table;
  fk.ref_columns = {"id"};
  fk.definition = "FOREIGN KEY (" + column + ") REFERENCES " + ref_table + "(id)";
  return fk;
}

inline workload::TableAccess reads(const std::string& table, std::set<std::string> columns = {},
                                   std::set<std::string> filtered = {}) {
  workload::TableAccess a;
  a.table = table;
  a.read = true;
  a.columns_read = std::move(columns);
  a.columns_filtered = std::move(filtered);
  return a;
}

inline workload::TableAccess writes(const std::string& table, std::set<std::string> columns = {}) {
  workload::TableAccess a;
  a.table = table;
  a.write = true;
  a.columns_written = std::move(columns);
  return a;
}

inline workload::TableAccess locks(const std::string& table) {
  workload::TableAccess a = reads(table);
  a.lock = true;
  return a;
}

inline workload::Statement statement(const std::string& module, int64_t calls,
                                     std::vector<workload::TableAccess> accesses,
                                     std::set<std::pair<std::string, std::string>> joins = {}) {
  static int counter = 0;
  workload::Statement s;
  s.module = module;
  s.role = module;
  s.calls = calls;
  s.text = "SELECT /* " + module + " " + std::to_string(++counter) + " */ $1";
  s.analysis.parsed = true;
  s.analysis.accesses = std::move(accesses);
  s.analysis.joins = std::move(joins);
  return s;
}

inline const diagnostics::Diagnostic* find_finding(const analysis::Analysis& a, const std::string& code,
                                              const std::string& object) {
  for (const auto& f : a.findings) {
    if (f.code != code) continue;
    for (const auto& o : f.objects)
      if (o == object) return &f;
  }
  return nullptr;
}

inline std::vector<const diagnostics::Diagnostic*> findings_with(const analysis::Analysis& a,
                                                            const std::string& code) {
  std::vector<const diagnostics::Diagnostic*> out;
  for (const auto& f : a.findings)
    if (f.code == code) out.push_back(&f);
  return out;
}

}  // namespace dbsplit::test
