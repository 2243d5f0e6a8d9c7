// build_plan: services and what each dependency's pattern implies. The stages are built
// in stages_*.cpp from the finished services and dependencies.
#include "core/plan/builder.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/catalog/json.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/plan/json.hpp"
#include "core/pg/sql.hpp"

namespace dbsplit::plan {
namespace {

using analysis::DependencyKind;
using analysis::Pattern;

std::vector<std::string> sorted_unique(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

std::string bare(const std::string& table) { return pg::sql::split(table).second; }

std::string upper_first_word(const std::string& statement) {
  std::string word;
  for (char c : statement) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      break;
    }
  }
  return word;
}

// The verb of an endpoint or saga step that replaces a write statement.
std::string write_verb(const std::string& statement) {
  std::string word = upper_first_word(statement);
  if (word == "INSERT" || word == "COPY") return "create";
  if (word == "DELETE") return "delete";
  if (word == "UPDATE") return "update";
  return "write";
}

// The analysis names columns "schema.table.column"; endpoints and caches name the
// columns of their one table. Columns of other tables (joins) are left out.
std::vector<std::string> columns_of(const std::string& table,
                                    const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  for (const auto& c : columns) {
    if (c.size() > table.size() + 1 && c.compare(0, table.size() + 1, table + ".") == 0) {
      out.push_back(c.substr(table.size() + 1));
    } else if (c.find('.') == std::string::npos) {
      out.push_back(c);
    }
  }
  return sorted_unique(out);
}

std::vector<std::string> all_columns(const catalog::Schema& schema, const std::string& table) {
  std::vector<std::string> out;
  if (const auto* t = schema.find_table(table))
    for (const auto& c : t->columns) out.push_back(c.name);
  return sorted_unique(out);
}

std::vector<std::string> change_events(const Plan& plan, const std::string& table) {
  const Service* owner = plan.owner_of(table);
  std::string prefix = (owner ? owner->name : std::string("unowned")) + "." + bare(table);
  return {prefix + ".deleted", prefix + ".inserted", prefix + ".updated"};
}

// Builds the pattern-specific member of each dependency, keeping generated names unique.
class DependencyBuilder {
 public:
  DependencyBuilder(const Plan& plan, const analysis::Analysis& analysis)
      : plan_(plan), analysis_(analysis) {}

  Dependency build(const analysis::Dependency& in) {
    Dependency d;
    d.kind = in.kind;
    d.pattern = in.pattern;
    d.consumer = in.consumer;
    d.owner = in.owner;
    d.module = in.module;
    d.tables = sorted_unique(in.tables);
    // A transaction's object is the id of one logged transaction: not stable, not useful.
    if (in.kind != DependencyKind::transaction) d.object = in.object;
    d.statement = in.statement;
    d.calls = in.calls;
    d.rationale = in.rationale;
    d.id = unique_id(base_id(in));
    switch (in.pattern) {
      case Pattern::api_composition:
      case Pattern::owner_api_write:
        d.endpoint = endpoint(in);
        break;
      case Pattern::event_replication:
        d.cache = cache(in);
        break;
      case Pattern::cqrs_read_model:
      case Pattern::analytics_database:
        d.read_model = read_model(in);
        break;
      case Pattern::saga:
        d.saga = saga(in);
        break;
      case Pattern::orphan_check:
        d.orphan_check = orphan_check(in);
        break;
      case Pattern::move_to_owner:
      case Pattern::per_service_object:
        d.disposition = disposition(in);
        break;
    }
    return d;
  }

 private:
  std::string base_id(const analysis::Dependency& in) const {
    std::string kind = kind_name(in.kind);
    if (in.kind == DependencyKind::transaction)  // its object is a log's transaction id
      return kind + "." + in.module + "." + in.owner + "." +
             pg::sql::join(sorted_unique(in.tables), "+");
    if (!in.object.empty()) {
      if (in.kind == DependencyKind::foreign_key)
        for (const auto& fk : analysis_.schema.foreign_keys)
          if (fk.name == in.object &&
              std::find(in.tables.begin(), in.tables.end(), fk.table) != in.tables.end())
            return kind + "." + fk.table + "." + in.object;
      return kind + "." + in.object;
    }
    std::string who = in.consumer.empty() ? in.module : in.consumer;
    return kind + "." + who + "." + pg::sql::join(sorted_unique(in.tables), "+");
  }

  std::string unique_id(const std::string& base) {
    int n = ++ids_[base];
    return n == 1 ? base : base + "." + std::to_string(n);
  }

  // The owner's table a dependency is about: the first of its tables the owner owns.
  std::string resource(const analysis::Dependency& in) const {
    for (const auto& t : sorted_unique(in.tables)) {
      const Service* s = plan_.owner_of(t);
      if (s && s->name == in.owner) return t;
    }
    return in.tables.empty() ? std::string() : sorted_unique(in.tables).front();
  }

  ApiEndpoint endpoint(const analysis::Dependency& in) {
    ApiEndpoint e;
    e.service = in.owner;
    e.resource = resource(in);
    e.filter_columns = columns_of(e.resource, in.filter_columns);
    e.returned_columns = columns_of(e.resource, in.columns);
    e.replaces = in.statement;
    std::string name;
    if (in.pattern == Pattern::owner_api_write) {
      e.method = ApiEndpoint::Method::write;
      name = write_verb(in.statement) + "_" + detail::singular(bare(e.resource));
    } else {
      if (e.returned_columns.empty())
        e.returned_columns = all_columns(analysis_.schema, e.resource);
      name = "get_" + detail::singular(bare(e.resource));
      if (!e.filter_columns.empty()) name += "_by_" + pg::sql::join(e.filter_columns, "_and_");
    }
    // One name per distinct endpoint of a service; consumers needing the same one share it.
    std::string signature = e.resource + "|" + pg::sql::join(e.filter_columns, ",") + "|" +
                            pg::sql::join(e.returned_columns, ",") +
                            (e.method == ApiEndpoint::Method::read ? "|r" : "|w");
    auto& names = endpoints_[e.service];
    for (const auto& [existing, sig] : names)
      if (sig == signature) {
        e.name = existing;
        return e;
      }
    e.name = name;
    for (int n = 2; names.count(e.name); ++n) e.name = name + "_" + std::to_string(n);
    names[e.name] = signature;
    return e;
  }

  CacheTable cache(const analysis::Dependency& in) const {
    CacheTable c;
    c.service = in.consumer;
    c.source_table = resource(in);
    c.name = role_name(in.consumer) + "." + bare(c.source_table) + "_cache";
    if (const auto* t = analysis_.schema.find_table(c.source_table)) c.key = t->primary_key;
    std::vector<std::string> columns = columns_of(c.source_table, in.columns);
    if (columns.empty()) columns = all_columns(analysis_.schema, c.source_table);
    columns.insert(columns.end(), c.key.begin(), c.key.end());
    c.columns = sorted_unique(columns);
    c.source_events = change_events(plan_, c.source_table);
    return c;
  }

  ReadModel read_model(const analysis::Dependency& in) {
    ReadModel m;
    // Reporting modules own no tables: their read models live in the analytics database.
    m.service = in.pattern == Pattern::analytics_database || in.consumer.empty() ? "analytics"
                                                                                 : in.consumer;
    m.definition = in.statement;
    m.source_tables = sorted_unique(in.tables);
    std::vector<std::string> parts;
    for (const auto& t : m.source_tables) parts.push_back(bare(t));
    std::string base = "rm_" + pg::sql::join(parts, "_");
    if (in.kind == DependencyKind::view) {  // the view's own query, under the view's name
      for (const auto& v : analysis_.schema.views)
        if (v.qualified() == in.object) {
          m.definition = v.definition;
          m.source_tables = sorted_unique(v.depends_on);
        }
      base = "rm_" + bare(in.object);
    }
    if (base.size() > 50) base.resize(50);
    std::string name = role_name(m.service) + "." + base;
    m.name = name;
    for (int n = 2; read_models_.count(m.name); ++n) m.name = name + "_" + std::to_string(n);
    read_models_.insert(m.name);
    for (const auto& t : m.source_tables)
      for (const auto& e : change_events(plan_, t)) m.source_events.push_back(e);
    m.source_events = sorted_unique(m.source_events);
    return m;
  }

  // Orders the transaction's tables by the first of its statements naming them (the
  // analysis gives them in order, joined by "; "); each becomes a step of the owning
  // service with the compensation that undoes it. Only what an analysis file carries is
  // used, so `plan --from-analysis` and `plan --db` give the same plan.
  Saga saga(const analysis::Dependency& in) const {
    std::vector<std::string> tables = sorted_unique(in.tables);
    std::vector<std::string> statements;
    for (size_t start = 0; start < in.statement.size();) {
      size_t end = in.statement.find("; ", start);
      if (end == std::string::npos) end = in.statement.size();
      statements.push_back(in.statement.substr(start, end - start));
      start = end + 2;
    }
    auto first_mention = [&](const std::string& table) -> std::pair<size_t, std::string> {
      for (size_t i = 0; i < statements.size(); ++i)
        if (mentions(statements[i], bare(table))) return {i, write_verb(statements[i])};
      return {statements.size(), "write"};
    };
    std::stable_sort(tables.begin(), tables.end(), [&](const std::string& a, const std::string& b) {
      return first_mention(a).first < first_mention(b).first;
    });
    Saga saga;
    for (const auto& t : tables) {
      const Service* owner = plan_.owner_of(t);
      std::string service = owner ? owner->name : in.owner;
      std::string verb = first_mention(t).second;
      std::string noun = detail::singular(bare(t));
      std::string undo = verb == "create" ? "delete_" : verb == "delete" ? "restore_" : "revert_";
      saga.steps.push_back(
          {service, service + "." + verb + "_" + noun, service + "." + undo + noun});
    }
    if (!saga.steps.empty()) {
      saga.steps.back().compensation.clear();  // the last step only runs once all others did
      saga.coordinator = saga.steps.front().service;
      saga.name = in.module + "_" + saga.steps.front().action.substr(saga.coordinator.size() + 1);
    }
    return saga;
  }

  static bool mentions(const std::string& statement, const std::string& word) {
    auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    std::string lower;
    for (char c : statement)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (size_t pos = lower.find(word); pos != std::string::npos; pos = lower.find(word, pos + 1)) {
      bool start = pos == 0 || !is_ident(lower[pos - 1]);
      bool end = pos + word.size() >= lower.size() || !is_ident(lower[pos + word.size()]);
      if (start && end) return true;
    }
    return false;
  }

  OrphanCheck orphan_check(const analysis::Dependency& in) const {
    OrphanCheck o;
    o.constraint = in.object;
    for (const auto& fk : analysis_.schema.foreign_keys) {
      if (fk.name != in.object) continue;
      if (std::find(in.tables.begin(), in.tables.end(), fk.table) == in.tables.end()) continue;
      o.child_table = fk.table;
      o.child_columns = fk.columns;
      o.parent_table = fk.ref_table;
      o.parent_columns = fk.ref_columns;
      o.definition = fk.definition;
      break;
    }
    std::vector<std::string> not_null, match;
    for (size_t i = 0; i < o.child_columns.size() && i < o.parent_columns.size(); ++i) {
      not_null.push_back("c." + pg::quote_ident(o.child_columns[i]) + " IS NOT NULL");
      match.push_back("p." + pg::quote_ident(o.parent_columns[i]) + " = c." +
                      pg::quote_ident(o.child_columns[i]));
    }
    if (!o.child_table.empty())
      o.sql = "SELECT count(*) FROM " + pg::sql::table(o.child_table) + " c WHERE " +
              pg::sql::join(not_null, " AND ") + " AND NOT EXISTS (SELECT 1 FROM " +
              pg::sql::table(o.parent_table) + " p WHERE " + pg::sql::join(match, " AND ") + ")";
    return o;
  }

  ObjectDisposition disposition(const analysis::Dependency& in) const {
    ObjectDisposition d;
    d.object = in.object;
    std::vector<std::string> services;
    for (const auto& t : in.tables)
      if (const Service* s = plan_.owner_of(t)) services.push_back(s->name);
    if (!in.owner.empty()) services.push_back(in.owner);
    d.services = sorted_unique(services);
    if (in.pattern == Pattern::per_service_object) {
      d.action = "each of " + pg::sql::join(d.services, ", ") + " gets its own copy of " + in.object +
                 " in its database (created by the database stage" +
                 (in.kind == DependencyKind::sequence ? ", started above the current value)" : ")");
      return d;
    }
    d.service = in.owner;
    std::string what = kind_name(in.kind);
    if (in.kind == DependencyKind::view) {
      d.action = "the view becomes a read model of " + in.owner +
                 " fed by the other services' events; the reads stage drops the view";
    } else if (in.kind == DependencyKind::trigger) {
      d.action = "the trigger's effect on other services' tables becomes an event handler in " +
                 in.owner + "; the writes stage drops the trigger";
    } else {
      d.action = "the " + what + " is reimplemented in " + in.owner +
                 ", calling the other services' APIs for their data";
    }
    return d;
  }

  const Plan& plan_;
  const analysis::Analysis& analysis_;
  std::map<std::string, int> ids_;
  std::map<std::string, std::map<std::string, std::string>> endpoints_;  // service → name → sig
  std::set<std::string> read_models_;
};

// Several dependencies replicating one table into one consumer share one cache table,
// holding the union of the columns they read.
void merge_caches(std::vector<Dependency>& deps) {
  std::map<std::string, std::vector<std::string>> columns;
  for (const auto& d : deps)
    if (d.cache)
      columns[d.cache->name].insert(columns[d.cache->name].end(), d.cache->columns.begin(),
                                    d.cache->columns.end());
  for (auto& d : deps)
    if (d.cache) d.cache->columns = sorted_unique(columns[d.cache->name]);
}

}  // namespace

Plan build_plan(const analysis::Analysis& analysis, const BuildOptions& options) {
  Plan plan;
  plan.dbsplit_version = DBSPLIT_VERSION;
  plan.database = analysis.schema.database;
  plan.schema = analysis.schema;
  // Only the major version: a minor upgrade of the server is not a change of the schema,
  // and the plan must come out byte-identical wherever it is regenerated.
  plan.schema.server_version =
      plan.schema.server_version.substr(0, plan.schema.server_version.find('.'));
  plan.fingerprint = catalog::fingerprint(analysis.schema);
  for (const auto& s : analysis.services) {
    Service service;
    service.name = s.name;
    service.tables = sorted_unique(s.tables);
    service.modules = sorted_unique(s.modules);
    service.role = role_name(s.name);
    service.target =
        options.target == TargetKind::embedded ? "embedded" : target_placeholder(s.name);
    plan.services.push_back(std::move(service));
  }
  std::sort(plan.services.begin(), plan.services.end(),
            [](const Service& a, const Service& b) { return a.name < b.name; });

  DependencyBuilder builder(plan, analysis);
  for (const auto& d : analysis.dependencies) plan.dependencies.push_back(builder.build(d));
  merge_caches(plan.dependencies);
  std::stable_sort(plan.dependencies.begin(), plan.dependencies.end(),
                   [](const Dependency& a, const Dependency& b) { return a.id < b.id; });

  auto access = detail::service_access(plan, analysis);
  plan.stages.push_back(detail::ownership_stage(plan, access));
  plan.stages.push_back(detail::apis_stage(plan));
  plan.stages.push_back(detail::reads_stage(plan, access));
  plan.stages.push_back(detail::writes_stage(plan, access));
  plan.stages.push_back(detail::database_stage(plan));
  return plan;
}

}  // namespace dbsplit::plan
