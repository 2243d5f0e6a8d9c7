#pragma once
// Shared between the plan builder's files: what each service touches today, and the
// stage builders.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/analysis/model.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::plan::detail {

// What one service's modules do to other services' tables today (from the access
// matrix), and the roles whose privileges the reads and writes stages take away: the
// service's own role (the monolith's roles belong to the application, which moves to the
// service roles in the apis stage).
struct ServiceAccess {
  std::set<std::string> foreign_reads;   // read or locked
  std::set<std::string> foreign_writes;  // written or locked (FOR UPDATE needs UPDATE)
  std::set<std::string> foreign_tables;  // every table another service owns
  std::vector<std::string> roles;        // the service's role
};
std::map<std::string, ServiceAccess> service_access(const Plan& plan,
                                                    const analysis::Analysis& analysis);

Stage ownership_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access);
Stage apis_stage(const Plan& plan);
Stage reads_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access);
Stage writes_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access);
Stage database_stage(const Plan& plan);

// The sequences whose nextval the service's tables call in column defaults, sorted.
std::vector<std::string> sequences_of(const Plan& plan, const Service& service);
std::vector<std::string> vec(const std::set<std::string>& items);
// Distinct schemas of the tables, quoted, sorted.
std::vector<std::string> schemas_of(const std::vector<std::string>& tables);
// SQL listing the (role, table, privilege) triples still granted: must return no rows.
std::string privilege_probe(const std::vector<std::string>& roles,
                            const std::vector<std::string>& tables,
                            const std::vector<std::string>& privileges);

// "orders" → "order", "categories" → "category": names of endpoints and events.
std::string singular(const std::string& name);

}  // namespace dbsplit::plan::detail

namespace dbsplit::plan::detail {

inline Action sql_action(std::string text) {
  Action a;
  a.kind = ActionKind::sql;
  a.sql = std::move(text);
  return a;
}

inline Action operation(std::string name, nlohmann::json parameters) {
  Action a;
  a.kind = ActionKind::operation;
  a.operation = std::move(name);
  a.parameters = std::move(parameters);
  return a;
}

inline Verification verify_sql(std::string text, Expect expect) {
  return Verification{sql_action(std::move(text)), expect};
}

inline Verification verify_operation(std::string name, nlohmann::json parameters) {
  return Verification{operation(std::move(name), std::move(parameters)), Expect::success};
}

}  // namespace dbsplit::plan::detail
