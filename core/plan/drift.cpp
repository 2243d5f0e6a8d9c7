// Drift: the live schema against the plan's snapshot, reported object by object with
// exactly what changed.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/catalog/json.hpp"
#include "core/plan/check.hpp"

namespace dbsplit::plan {
namespace {

using diagnostics::Diagnostic;
using diagnostics::Severity;

std::string describe_default(const std::optional<std::string>& value) {
  return value ? *value : "none";
}

std::string key_text(const std::vector<std::string>& columns) {
  return columns.empty() ? "none" : "(" + fmt::format("{}", fmt::join(columns, ", ")) + ")";
}

class Drift {
 public:
  Drift(const Plan& plan, const catalog::Schema& live) : plan_(plan), live_(live) {}

  std::vector<Diagnostic> run() {
    tables();
    foreign_keys();
    views();
    triggers();
    if (out_.empty() && catalog::fingerprint(live_) != plan_.fingerprint)
      add("DS214", Severity::warning, {},
          fmt::format("the schema changed outside tables and foreign keys (views, sequences, "
                      "functions, triggers or types): fingerprint {} is now {}",
                      plan_.fingerprint, catalog::fingerprint(live_)),
          "review the change and regenerate the plan");
    return out_;
  }

 private:
  void add(const char* code, Severity severity, std::vector<std::string> objects,
           std::string message, std::string pattern) {
    out_.push_back(
        Diagnostic{code, severity, std::move(objects), std::move(message), std::move(pattern)});
  }

  // The owning service of a table, or "" (a partition goes with its parent).
  std::string owner(const std::string& table) const {
    if (const Service* s = plan_.owner_of(table)) return s->name;
    const catalog::Table* t = live_.find_table(table);
    if (t == nullptr) t = plan_.schema.find_table(table);
    if (t && !t->partition_of.empty())
      if (const Service* s = plan_.owner_of(t->partition_of)) return s->name;
    return "";
  }

  std::vector<std::string> owners(const std::vector<std::string>& tables) const {
    std::set<std::string> out;
    for (const auto& t : tables) {
      std::string o = owner(t);
      if (!o.empty()) out.insert(o);
    }
    return {out.begin(), out.end()};
  }

  void tables() {
    for (const auto& t : live_.tables) {
      if (plan_.schema.find_table(t.qualified())) continue;
      if (!owner(t.qualified()).empty()) continue;
      add("DS201", Severity::error, {t.qualified()},
          fmt::format("table {} was added since the plan was made and has no owner", t.qualified()),
          "assign it to a service (pins file) and regenerate the plan");
    }
    for (const auto& old : plan_.schema.tables) {
      const catalog::Table* now = live_.find_table(old.qualified());
      if (now == nullptr) {
        add("DS202", Severity::error, {old.qualified()},
            fmt::format("table {} was dropped since the plan was made", old.qualified()),
            "regenerate the plan");
        continue;
      }
      columns(old, *now);
      if (old.primary_key != now->primary_key)
        add("DS206", Severity::error, {old.qualified()},
            fmt::format("primary key of {} changed: {} is now {}", old.qualified(),
                        key_text(old.primary_key), key_text(now->primary_key)),
            "regenerate the plan");
      unique_constraints(old, *now);
    }
  }

  void columns(const catalog::Table& old, const catalog::Table& now) {
    std::string table = old.qualified();
    for (const auto& c : now.columns)
      if (old.column(c.name) == nullptr)
        add("DS203", Severity::warning, {table + "." + c.name},
            fmt::format("column {}.{} ({}) was added since the plan was made", table, c.name,
                        c.type),
            "regenerate the plan so caches and endpoints know it");
    for (const auto& c : old.columns) {
      const catalog::Column* n = now.column(c.name);
      if (n == nullptr) {
        add("DS204", Severity::error, {table + "." + c.name},
            fmt::format("column {}.{} was dropped since the plan was made", table, c.name),
            "regenerate the plan");
        continue;
      }
      std::vector<std::string> changes;
      if (c.type != n->type) changes.push_back(fmt::format("type {} is now {}", c.type, n->type));
      if (c.not_null != n->not_null)
        changes.push_back(n->not_null ? "it is now NOT NULL" : "it is now nullable");
      if (c.default_expr != n->default_expr)
        changes.push_back(fmt::format("default {} is now {}", describe_default(c.default_expr),
                                      describe_default(n->default_expr)));
      if (c.identity != n->identity || c.generated != n->generated)
        changes.push_back("its identity or generation changed");
      if (!changes.empty())
        add("DS205", Severity::error, {table + "." + c.name},
            fmt::format("column {}.{} changed: {}", table, c.name, fmt::join(changes, "; ")),
            "regenerate the plan");
    }
  }

  void unique_constraints(const catalog::Table& old, const catalog::Table& now) {
    std::map<std::string, std::string> before, after;
    for (const auto& c : old.constraints)
      if (c.kind == 'u') before[c.name] = c.definition;
    for (const auto& c : now.constraints)
      if (c.kind == 'u') after[c.name] = c.definition;
    std::string table = old.qualified();
    for (const auto& [name, def] : after) {
      auto it = before.find(name);
      if (it == before.end()) {
        add("DS213", Severity::warning, {table},
            fmt::format("unique key {} was added to {}: {}", name, table, def),
            "regenerate the plan");
      } else if (it->second != def) {
        add("DS213", Severity::warning, {table},
            fmt::format("unique key {} of {} changed: {} is now {}", name, table, it->second, def),
            "regenerate the plan");
      }
    }
    for (const auto& [name, def] : before)
      if (!after.count(name))
        add("DS213", Severity::warning, {table},
            fmt::format("unique key {} was dropped from {}", name, table), "regenerate the plan");
  }

  void foreign_keys() {
    auto key = [](const catalog::ForeignKey& f) { return f.table + "." + f.name; };
    std::map<std::string, const catalog::ForeignKey*> before, after;
    for (const auto& f : plan_.schema.foreign_keys) before[key(f)] = &f;
    for (const auto& f : live_.foreign_keys) after[key(f)] = &f;
    for (const auto& [k, f] : after) {
      auto it = before.find(k);
      if (it != before.end()) {
        if (it->second->definition != f->definition)
          add("DS210", Severity::error, {f->table},
              fmt::format("foreign key {} of {} changed: {} is now {}", f->name, f->table,
                          it->second->definition, f->definition),
              "regenerate the plan");
        continue;
      }
      std::string from = owner(f->table), to = owner(f->ref_table);
      if (!from.empty() && !to.empty() && from != to) {
        add("DS208", Severity::error, {f->table, f->ref_table},
            fmt::format("foreign key {} was added from {} (service {}) to {} (service {}), "
                        "crossing a service boundary",
                        f->name, f->table, from, f->ref_table, to),
            "orphan_check: drop it and regenerate the plan, which replaces it with an orphan "
            "check");
      } else {
        add("DS207", Severity::warning, {f->table, f->ref_table},
            fmt::format("foreign key {} was added from {} to {}", f->name, f->table, f->ref_table),
            "regenerate the plan");
      }
    }
    for (const auto& [k, f] : before)
      if (!after.count(k))
        add("DS209", Severity::warning, {f->table},
            fmt::format("foreign key {} of {} was dropped since the plan was made", f->name,
                        f->table),
            "regenerate the plan");
  }

  void views() {
    for (const auto& v : live_.views) {
      bool known =
          std::any_of(plan_.schema.views.begin(), plan_.schema.views.end(),
                      [&](const catalog::View& o) { return o.qualified() == v.qualified(); });
      std::vector<std::string> services = owners(v.depends_on);
      if (known || services.size() < 2) continue;
      add("DS211", Severity::error, {v.qualified()},
          fmt::format("view {} was added and reads tables of services {}", v.qualified(),
                      fmt::join(services, ", ")),
          "move_to_owner: reimplement it as a read model of one service");
    }
  }

  void triggers() {
    for (const auto& t : live_.triggers) {
      bool known = std::any_of(
          plan_.schema.triggers.begin(), plan_.schema.triggers.end(),
          [&](const catalog::Trigger& o) { return o.table == t.table && o.name == t.name; });
      std::vector<std::string> tables = t.touches;
      tables.push_back(t.table);
      std::vector<std::string> services = owners(tables);
      if (known || services.size() < 2) continue;
      add("DS212", Severity::error, {t.table + "." + t.name},
          fmt::format("trigger {} on {} was added and touches tables of services {}", t.name,
                      t.table, fmt::join(services, ", ")),
          "move_to_owner: replace it with an event handler in one service");
    }
  }

  const Plan& plan_;
  const catalog::Schema& live_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> check_drift(const Plan& plan, const catalog::Schema& live) {
  return Drift(plan, live).run();
}

}  // namespace dbsplit::plan
