// The reads and writes stages: consumers get caches and read models, then lose read and
// write access to other services' tables; cross-service keys and triggers are dropped
// (their definitions stay in the plan for rollback).
#include <algorithm>
#include <map>
#include <set>

#include "core/pg/connection.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/pg/sql.hpp"

namespace dbsplit::plan::detail {
namespace {

using nlohmann::json;

std::vector<std::string> quoted(const std::vector<std::string>& roles) {
  std::vector<std::string> out;
  for (const auto& r : roles) out.push_back(pg::quote_ident(r));
  return out;
}

std::string column_list(const std::vector<std::string>& columns) {
  std::vector<std::string> q;
  for (const auto& c : columns) q.push_back(pg::quote_ident(c));
  return pg::sql::join(q, ", ");
}

void add_cache_steps(Stage& stage, const Plan& plan, const CacheTable& c) {
  const catalog::Table* source = plan.schema.find_table(c.source_table);
  std::vector<std::string> definitions;
  for (const auto& name : c.columns) {
    const catalog::Column* col = source ? source->column(name) : nullptr;
    bool key = std::find(c.key.begin(), c.key.end(), name) != c.key.end();
    definitions.push_back(pg::quote_ident(name) + " " + (col ? col->type : std::string("text")) +
                          (key ? " NOT NULL" : ""));
  }
  if (!c.key.empty()) definitions.push_back("PRIMARY KEY (" + column_list(c.key) + ")");
  std::string schema = pg::quote_ident(pg::sql::split(c.name).first);
  std::string cache = pg::sql::table(c.name);
  std::string role = role_name(c.service);

  Step create;
  create.id = "reads.create-cache." + c.service + "." + c.name;
  create.service = c.service;
  create.description = "Create " + c.name + " in " + c.service + " with the " +
                       std::to_string(c.columns.size()) + " columns it reads of " + c.source_table +
                       ", filled from the current rows.";
  create.action = sql_action(
      "CREATE SCHEMA IF NOT EXISTS " + schema + " AUTHORIZATION " + role +
      "; CREATE TABLE IF NOT EXISTS " + cache + " (" + pg::sql::join(definitions, ", ") +
      "); GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE " + cache + " TO " + role + "; TRUNCATE " +
      cache + "; INSERT INTO " + cache + " (" + column_list(c.columns) + ") SELECT " +
      column_list(c.columns) + " FROM " + pg::sql::table(c.source_table) + ";");
  create.verify = verify_sql("SELECT (SELECT count(*) FROM " + cache +
                                 ") = (SELECT count(*) FROM " + pg::sql::table(c.source_table) + ")",
                             Expect::true_value);
  create.rollback = sql_action("DROP TABLE IF EXISTS " + cache + ";");
  stage.steps.push_back(create);

  Step subscribe;
  subscribe.id = "reads.subscribe-cache." + c.service + "." + c.name;
  subscribe.service = c.service;
  subscribe.description =
      "Keep " + c.name + " up to date from the events " + pg::sql::join(c.source_events, ", ") + ".";
  json params = {{"service", c.service}, {"cache", c.name}, {"source_table", c.source_table},
                 {"columns", c.columns}, {"key", c.key},    {"events", c.source_events}};
  subscribe.action = operation("start_cache_consumer", params);
  subscribe.verify =
      verify_operation("check_cache", {{"cache", c.name}, {"source_table", c.source_table}});
  subscribe.rollback =
      operation("stop_cache_consumer", {{"service", c.service}, {"cache", c.name}});
  stage.steps.push_back(subscribe);
}

void add_read_model_step(Stage& stage, const ReadModel& m) {
  Step step;
  step.id = "reads.create-read-model." + m.service + "." + m.name;
  step.service = m.service;
  step.description = "Materialise the read model " + m.name + " in " + m.service + " over " +
                     pg::sql::join(m.source_tables, ", ") + ", fed by their events.";
  step.action = operation("create_read_model", {{"service", m.service},
                                                {"name", m.name},
                                                {"definition", m.definition},
                                                {"source_tables", m.source_tables},
                                                {"events", m.source_events}});
  step.verify =
      verify_operation("check_read_model", {{"name", m.name}, {"definition", m.definition}});
  step.rollback = operation("drop_read_model", {{"service", m.service}, {"name", m.name}});
  stage.steps.push_back(step);
}

// A view spanning services is replaced by the read model made by the step before, then
// dropped; its definition stays in the plan's snapshot for the rollback.
void add_drop_view_step(Stage& stage, const Plan& plan, const Dependency& d) {
  const catalog::View* view = nullptr;
  for (const auto& v : plan.schema.views)
    if (v.qualified() == d.object) view = &v;
  if (view == nullptr) return;
  std::string kind = view->materialized ? "MATERIALIZED VIEW" : "VIEW";
  std::string name = pg::qualified_name(view->schema, view->name);
  std::set<std::string> services;
  for (const auto& t : view->depends_on)
    if (const Service* s = plan.owner_of(t)) services.insert(s->name);
  std::string keeper = d.read_model    ? d.read_model->service
                       : d.disposition ? d.disposition->service
                                       : d.owner;
  Step step;
  step.id = "reads.drop-view." + view->qualified();
  step.service = keeper;
  step.description = "Drop the view " + view->qualified() + ", which reads tables of " +
                     pg::sql::join(vec(services), ", ") + "; a read model of " + keeper +
                     " replaces it.";
  step.action = sql_action("DROP " + kind + " IF EXISTS " + name + ";");
  step.verify =
      verify_sql("SELECT to_regclass(" + pg::sql::literal(name) + ") IS NULL", Expect::true_value);
  std::string definition = view->definition;
  while (!definition.empty() &&
         (definition.back() == ';' || definition.back() == '\n' || definition.back() == ' '))
    definition.pop_back();
  step.rollback =
      sql_action(view->materialized
                     ? "CREATE MATERIALIZED VIEW IF NOT EXISTS " + name + " AS " + definition + ";"
                     : "CREATE OR REPLACE VIEW " + name + " AS " + definition + ";");
  stage.steps.push_back(step);
}

}  // namespace

Stage reads_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access) {
  Stage stage;
  stage.name = StageName::reads;
  std::set<std::string> caches;
  for (const auto& d : plan.dependencies) {
    if (d.cache && caches.insert(d.cache->name).second) add_cache_steps(stage, plan, *d.cache);
    if (d.read_model) add_read_model_step(stage, *d.read_model);
    if (d.kind == analysis::DependencyKind::view) {
      if (d.disposition)  // move_to_owner: the owner keeps the view's rows as a read model
        for (const auto& v : plan.schema.views)
          if (v.qualified() == d.object)
            add_read_model_step(stage,
                                ReadModel{role_name(d.disposition->service) + ".rm_" + v.name,
                                          d.disposition->service,
                                          v.definition,
                                          v.depends_on,
                                          {}});
      add_drop_view_step(stage, plan, d);
    }
  }
  for (const auto& s : plan.services) {
    const ServiceAccess& a = access.at(s.name);
    // Tables the service still writes keep SELECT until the writes stage: UPDATE ... WHERE
    // and DELETE ... WHERE need it.
    std::vector<std::string> revoked, restored;
    for (const auto& t : a.foreign_tables)
      if (!a.foreign_writes.count(t)) revoked.push_back(t);
    for (const auto& t : a.foreign_reads)
      if (!a.foreign_writes.count(t)) restored.push_back(t);
    if (revoked.empty()) continue;
    Step step;
    step.id = "reads.revoke-read." + s.name;
    step.service = s.name;
    step.description = "Revoke read access of " + pg::sql::join(a.roles, ", ") + " on the " +
                       std::to_string(revoked.size()) +
                       " tables of other services it does not write.";
    step.action = sql_action("REVOKE SELECT ON TABLE " + pg::sql::table_list(revoked) + " FROM " +
                             pg::sql::join(quoted(a.roles), ", ") + ";");
    step.verify = verify_sql(privilege_probe(a.roles, revoked, {"SELECT"}), Expect::zero_rows);
    step.rollback =
        sql_action(restored.empty() ? "SELECT 1;"
                                    : "GRANT SELECT ON TABLE " + pg::sql::table_list(restored) +
                                          " TO " + pg::sql::join(quoted(a.roles), ", ") + ";");
    stage.steps.push_back(step);
  }
  return stage;
}

Stage writes_stage(const Plan& plan, const std::map<std::string, ServiceAccess>& access) {
  Stage stage;
  stage.name = StageName::writes;
  for (const auto& s : plan.services) {
    const ServiceAccess& a = access.at(s.name);
    if (a.foreign_tables.empty()) continue;
    std::vector<std::string> tables = vec(a.foreign_tables), writes = vec(a.foreign_writes);
    Step step;
    step.id = "writes.revoke-write." + s.name;
    step.service = s.name;
    step.description = "Revoke every privilege of " + pg::sql::join(a.roles, ", ") + " on the " +
                       std::to_string(tables.size()) + " tables of other services.";
    step.action = sql_action("REVOKE ALL ON TABLE " + pg::sql::table_list(tables) + " FROM " +
                             pg::sql::join(quoted(a.roles), ", ") + ";");
    step.verify =
        verify_sql(privilege_probe(a.roles, tables, {"SELECT", "INSERT", "UPDATE", "DELETE"}),
                   Expect::zero_rows);
    step.rollback = sql_action(writes.empty() ? "SELECT 1;"
                                              : "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE " +
                                                    pg::sql::table_list(writes) + " TO " +
                                                    pg::sql::join(quoted(a.roles), ", ") + ";");
    stage.steps.push_back(step);
  }
  for (const auto& d : plan.dependencies) {
    if (d.orphan_check && !d.orphan_check->child_table.empty()) {
      const OrphanCheck& o = *d.orphan_check;
      const Service* child_owner = plan.owner_of(o.child_table);
      std::string table = pg::sql::table(o.child_table);
      std::string exists =
          "EXISTS (SELECT 1 FROM pg_constraint WHERE conname = " + pg::sql::literal(o.constraint) +
          " AND conrelid = " + pg::sql::literal(table) + "::regclass)";
      Step step;
      step.id = "writes.drop-foreign-key." + o.child_table + "." + o.constraint;
      step.service = child_owner ? child_owner->name : std::string();
      step.description = "Drop the foreign key " + o.constraint + " from " + o.child_table +
                         " to " + o.parent_table + "; an orphan check replaces it.";
      step.action = sql_action("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " +
                               pg::quote_ident(o.constraint) + ";");
      step.verify =
          verify_sql("SELECT NOT " + exists + " AND (" + o.sql + ") = 0", Expect::true_value);
      step.rollback = sql_action(
          pg::sql::do_block("IF NOT " + exists + " THEN EXECUTE " +
                        pg::sql::literal("ALTER TABLE " + table + " ADD CONSTRAINT " +
                                     pg::quote_ident(o.constraint) + " " + o.definition) +
                        "; END IF;"));
      stage.steps.push_back(step);
    }
    if (d.disposition && d.kind == analysis::DependencyKind::trigger) {
      for (const auto& t : plan.schema.triggers) {
        if (d.object != t.name && d.object != t.table + "." + t.name) continue;
        std::string table = pg::sql::table(t.table);
        std::string exists =
            "EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = " + pg::sql::literal(t.name) +
            " AND tgrelid = " + pg::sql::literal(table) + "::regclass)";
        Step step;
        step.id = "writes.drop-trigger." + t.table + "." + t.name;
        step.service = d.disposition->service;
        step.description = "Drop the trigger " + t.name + " on " + t.table + ", which touches " +
                           pg::sql::join(t.touches, ", ") + "; " + d.disposition->service +
                           " handles the events instead.";
        step.action =
            sql_action("DROP TRIGGER IF EXISTS " + pg::quote_ident(t.name) + " ON " + table + ";");
        step.verify = verify_sql("SELECT NOT " + exists, Expect::true_value);
        step.rollback = sql_action(pg::sql::do_block("IF NOT " + exists + " THEN EXECUTE " +
                                                 pg::sql::literal(t.definition) + "; END IF;"));
        stage.steps.push_back(step);
      }
    }
  }
  return stage;
}

}  // namespace dbsplit::plan::detail
