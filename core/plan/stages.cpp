// The ownership, apis, reads and writes stages: privileges move from "what each module
// does today" to "only its own tables", one verified, reversible step at a time.
#include <algorithm>
#include <map>
#include <set>

#include "core/pg/connection.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/pg/sql.hpp"

namespace dbsplit::plan::detail {

using nlohmann::json;

// The sequences whose nextval a service's tables call in column defaults.
std::vector<std::string> sequences_of(const Plan& plan, const Service& service) {
  std::set<std::string> out;
  for (const auto& seq : plan.schema.sequences)
    for (const auto& user : seq.used_by) {
      auto last_dot = user.rfind('.');
      std::string table = last_dot == std::string::npos ? user : user.substr(0, last_dot);
      if (std::find(service.tables.begin(), service.tables.end(), table) != service.tables.end())
        out.insert(seq.qualified());
    }
  return vec(out);
}

std::vector<std::string> vec(const std::set<std::string>& s) { return {s.begin(), s.end()}; }

// Distinct schemas of the tables, quoted.
std::vector<std::string> schemas_of(const std::vector<std::string>& tables) {
  std::set<std::string> schemas;
  for (const auto& t : tables) schemas.insert(pg::quote_ident(pg::sql::split(t).first));
  return vec(schemas);
}

// SQL listing (role, table, privilege) triples that are still granted: must return no rows.
std::string privilege_probe(const std::vector<std::string>& roles,
                            const std::vector<std::string>& tables,
                            const std::vector<std::string>& privileges) {
  std::vector<std::string> r, t, p;
  for (const auto& x : roles) r.push_back("(" + pg::sql::literal(x) + ")");
  for (const auto& x : tables) t.push_back("(" + pg::sql::literal(pg::sql::table(x)) + ")");
  for (const auto& x : privileges) p.push_back("(" + pg::sql::literal(x) + ")");
  return "SELECT r.role, t.name, p.privilege FROM (VALUES " + pg::sql::join(r, ", ") +
         ") AS r(role), (VALUES " + pg::sql::join(t, ", ") + ") AS t(name), (VALUES " +
         pg::sql::join(p, ", ") +
         ") AS p(privilege) WHERE has_table_privilege(r.role, t.name, p.privilege)";
}

std::string singular(const std::string& name) {
  auto ends = [&](const std::string& suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends("ies")) return name.substr(0, name.size() - 3) + "y";
  if (ends("sses") || ends("xes") || ends("ches") || ends("shes"))
    return name.substr(0, name.size() - 2);
  if (ends("s") && !ends("ss") && !ends("us")) return name.substr(0, name.size() - 1);
  return name;
}

std::map<std::string, ServiceAccess> service_access(const Plan& plan,
                                                    const analysis::Analysis& analysis) {
  std::map<std::string, std::string> service_of_module;
  for (const auto& s : plan.services)
    for (const auto& m : s.modules) service_of_module[m] = s.name;

  std::map<std::string, ServiceAccess> out;
  for (const auto& s : plan.services) {
    ServiceAccess& a = out[s.name];
    for (const auto& other : plan.services)
      if (other.name != s.name) a.foreign_tables.insert(other.tables.begin(), other.tables.end());
  }
  for (const auto& cell : analysis.matrix) {
    auto it = service_of_module.find(cell.module);
    if (it == service_of_module.end()) continue;
    ServiceAccess& a = out[it->second];
    if (!a.foreign_tables.count(cell.table)) continue;
    if (cell.read_calls > 0 || cell.lock_calls > 0) a.foreign_reads.insert(cell.table);
    if (cell.write_calls > 0 || cell.lock_calls > 0) a.foreign_writes.insert(cell.table);
  }
  for (const auto& s : plan.services) out[s.name].roles.push_back(s.role);
  return out;
}

Stage ownership_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access) {
  Stage stage;
  stage.name = StageName::ownership;

  std::vector<std::string> rows;
  std::set<std::string> schemas;
  for (const auto& s : plan.services)
    for (const auto& t : s.tables) {
      rows.push_back("(" + pg::sql::literal(t) + ", " + pg::sql::literal(s.name) + ", " +
                     pg::sql::literal(s.role) + ")");
      schemas.insert(pg::sql::literal(pg::sql::split(t).first));
    }
  for (const auto& t : plan.schema.tables) schemas.insert(pg::sql::literal(t.schema));
  Step record;
  record.id = "ownership.record-owners";
  record.description = "Record the owning service of every table in dbsplit.table_owner.";
  std::string create =
      "CREATE SCHEMA IF NOT EXISTS dbsplit; CREATE TABLE IF NOT EXISTS dbsplit.table_owner "
      "(table_name text PRIMARY KEY, service text NOT NULL, role text NOT NULL);";
  record.action = sql_action(
      rows.empty()
          ? create
          : create + " INSERT INTO dbsplit.table_owner (table_name, service, role) VALUES " +
                pg::sql::join(rows, ", ") +
                " ON CONFLICT (table_name) DO UPDATE SET service = EXCLUDED.service, "
                "role = EXCLUDED.role;");
  // Every live table of the planned schemas has exactly one owner (table_name is the key).
  record.verify = verify_sql(
      "SELECT n.nspname || '.' || c.relname AS table_without_owner FROM pg_class c JOIN "
      "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname IN (" +
          pg::sql::join(vec(schemas), ", ") +
          ") AND NOT EXISTS (SELECT 1 FROM dbsplit.table_owner o WHERE o.table_name = n.nspname "
          "|| '.' || c.relname)",
      Expect::zero_rows);
  record.rollback = sql_action("DROP TABLE IF EXISTS dbsplit.table_owner;");
  stage.steps.push_back(record);

  for (const auto& s : plan.services) {
    Step role;
    role.id = "ownership.create-role." + s.name;
    role.service = s.name;
    role.description = "Create the database role " + s.role + " of service " + s.name + ".";
    std::string lit = pg::sql::literal(s.role);
    role.action =
        sql_action(pg::sql::do_block("IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + lit +
                                 ") THEN CREATE ROLE " + s.role + " LOGIN; END IF;"));
    role.verify = verify_sql("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + lit + ")",
                             Expect::true_value);
    role.rollback = sql_action(
        pg::sql::do_block("IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + lit +
                      ") THEN DROP OWNED BY " + s.role + "; DROP ROLE " + s.role + "; END IF;"));
    stage.steps.push_back(role);
  }

  for (const auto& s : plan.services) {
    if (s.tables.empty()) continue;
    const ServiceAccess& a = access.at(s.name);
    std::vector<std::string> reads_only;
    for (const auto& t : a.foreign_reads)
      if (!a.foreign_writes.count(t)) reads_only.push_back(t);
    std::vector<std::string> writes = vec(a.foreign_writes);
    std::vector<std::string> all = s.tables;
    all.insert(all.end(), reads_only.begin(), reads_only.end());
    all.insert(all.end(), writes.begin(), writes.end());
    std::vector<std::string> sequences = sequences_of(plan, s);

    std::string grant = "GRANT USAGE ON SCHEMA " + pg::sql::join(schemas_of(all), ", ") + " TO " +
                        s.role + "; GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE " +
                        pg::sql::table_list(s.tables) + " TO " + s.role + ";";
    if (!reads_only.empty())
      grant += " GRANT SELECT ON TABLE " + pg::sql::table_list(reads_only) + " TO " + s.role + ";";
    if (!writes.empty())
      grant += " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE " + pg::sql::table_list(writes) +
               " TO " + s.role + ";";
    if (!sequences.empty())
      grant += " GRANT USAGE, SELECT, UPDATE ON SEQUENCE " + pg::sql::table_list(sequences) + " TO " +
               s.role + ";";

    std::vector<std::string> expected;
    auto expect = [&](const std::vector<std::string>& tables, std::vector<std::string> privileges) {
      for (const auto& t : tables)
        for (const auto& p : privileges)
          expected.push_back("(" + pg::sql::literal(pg::sql::table(t)) + ", " + pg::sql::literal(p) + ")");
    };
    expect(s.tables, {"SELECT", "INSERT", "UPDATE", "DELETE"});
    expect(reads_only, {"SELECT"});
    expect(writes, {"SELECT", "INSERT", "UPDATE", "DELETE"});

    Step step;
    step.id = "ownership.grant." + s.name;
    step.service = s.name;
    step.description = "Grant " + s.role + " full access to the " +
                       std::to_string(s.tables.size()) + " tables of " + s.name + ", and to " +
                       std::to_string(reads_only.size() + writes.size()) +
                       " tables of other services only what its modules use today.";
    step.action = sql_action(grant);
    step.verify =
        verify_sql("SELECT t.name, t.privilege FROM (VALUES " + pg::sql::join(expected, ", ") +
                       ") AS t(name, privilege) WHERE NOT has_table_privilege(" +
                       pg::sql::literal(s.role) + ", t.name, t.privilege)",
                   Expect::zero_rows);
    std::string revoke = "REVOKE ALL ON TABLE " + pg::sql::table_list(all) + " FROM " + s.role + ";";
    if (!sequences.empty())
      revoke += " REVOKE ALL ON SEQUENCE " + pg::sql::table_list(sequences) + " FROM " + s.role + ";";
    revoke +=
        " REVOKE USAGE ON SCHEMA " + pg::sql::join(schemas_of(all), ", ") + " FROM " + s.role + ";";
    step.rollback = sql_action(revoke);
    stage.steps.push_back(step);
  }
  return stage;
}

Stage apis_stage(const Plan& plan) {
  Stage stage;
  stage.name = StageName::apis;
  std::map<std::string, std::set<std::string>> endpoints;
  for (const auto& d : plan.dependencies)
    if (d.endpoint) endpoints[d.endpoint->service].insert(d.endpoint->name);
  // Every service gets its API now, endpoints or not: its create/update/delete are the
  // writes that record the events other services' caches and read models are fed by.
  for (const auto& s : plan.services) {
    const std::set<std::string>& names = endpoints[s.name];
    Step step;
    step.id = "apis.serve." + s.name;
    step.service = s.name;
    std::string served = names.empty() ? "its tables only"
                         : names.size() == 1
                             ? "its tables and 1 endpoint"
                             : "its tables and " + std::to_string(names.size()) + " endpoints";
    step.description = "Serve the API of " + s.name + " (" + served +
                       ") on the shared database, connected as " + s.role + ".";
    json endpoints_json = vec(names);
    step.action = operation("serve_api", {{"service", s.name},
                                          {"role", s.role},
                                          {"database", "source"},
                                          {"endpoints", endpoints_json}});
    // Every endpoint must return exactly what the SQL it replaces returns, on live data.
    step.verify =
        verify_operation("contract_check", {{"service", s.name}, {"endpoints", endpoints_json}});
    step.rollback = operation("stop_api", {{"service", s.name}});
    stage.steps.push_back(step);
  }
  return stage;
}

}  // namespace dbsplit::plan::detail
