#include "core/plan/check_run.hpp"

#include <fmt/format.h>

#include <set>

#include "core/catalog/introspect.hpp"
#include "core/catalog/json.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"
#include "core/workload/plpgsql.hpp"

namespace dbsplit::plan {

CheckResult check_plan_against_database(const Plan& plan, const CheckDatabaseOptions& options) {
  auto conn = pg::connect(options.db, "--db");
  catalog::Schema live;
  try {
    // Every transaction of this session is read-only: plan check can never change the
    // database, whatever a future catalog query does.
    pqxx::nontransaction(*conn).exec0("SET default_transaction_read_only = on");
    // Schemas the plan's own steps create hold derived data, not drift: service schemas
    // (caches, read models) and the archive of moved tables.
    catalog::IntrospectOptions introspect;
    std::set<std::string> derived;
    for (const auto& s : plan.services) derived.insert(s.role);
    for (const auto& t : plan.schema.tables) derived.insert("dbsplit_archive_" + t.schema);
    introspect.exclude_schemas.assign(derived.begin(), derived.end());
    live = catalog::introspect(*conn, introspect);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw RuntimeError(fmt::format("cannot read the schema of {}: {}", pg::redact(options.db),
                                   pg::redact(e.what())));
  }
  workload::NameResolver resolver;
  resolver.search_path = options.search_path;
  resolver.schema = &live;
  // Trigger and function bodies tell which tables they touch, as in the analysis.
  workload::resolve_function_accesses(live, resolver);

  CheckResult result;
  result.live_fingerprint = catalog::fingerprint(live);
  std::optional<workload::Workload> workload;
  if (!options.logs.empty()) {
    workload.emplace();
    for (const auto& path : options.logs)
      workload::merge(*workload,
                      workload::read_log_file(path, options.log, options.attribution, resolver));
    result.statements_checked = workload->statements.size();
  }
  result.findings = check_plan(plan, live, workload ? &*workload : nullptr);
  return result;
}

}  // namespace dbsplit::plan
