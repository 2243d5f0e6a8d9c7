// analyze_database(): the pipeline of `dbsplit analyze`, one step per line.
#include "core/analysis/run.hpp"

#include "core/catalog/introspect.hpp"
#include "core/pg/connection.hpp"
#include "core/workload/plpgsql.hpp"
#include "core/workload/sql_analyzer.hpp"

namespace dbsplit::analysis {

Analysis analyze_database(const AnalyzeDatabaseOptions& options) {
  // Pins first: a typo in a file should not cost a full introspection to find out.
  AnalyzeOptions analyze_options;
  if (!options.pins_file.empty()) analyze_options.pins = read_pins_file(options.pins_file);
  analyze_options.pins_path = options.pins_file;
  analyze_options.thresholds = options.thresholds;

  auto conn = pg::connect(options.db_url, "--db");
  catalog::IntrospectOptions introspect_options;
  introspect_options.exclude_schemas = options.exclude_schemas;
  catalog::Schema schema = catalog::introspect(*conn, introspect_options);

  // Names in statements and function bodies resolve against this catalog.
  workload::NameResolver resolver;
  resolver.search_path = options.search_path;
  resolver.schema = &schema;
  workload::resolve_function_accesses(schema, resolver);

  workload::AttributionOptions attribution;
  attribution.module_map = options.module_map;
  workload::Workload workload;
  if (options.stat_statements == UseStatStatements::yes)
    workload::merge(workload, workload::read_pg_stat_statements(*conn, attribution, resolver));
  conn.reset();  // the logs need no connection
  // A server log holds every database of the cluster: keep the analysed one's lines,
  // when the lines say which database they belong to.
  workload::LogOptions log = options.log;
  if (log.database.empty() &&
      (log.format == workload::LogFormat::csv || log.line_prefix.find("%d") != std::string::npos))
    log.database = schema.database;
  for (const auto& path : options.log_files) {
    workload::Workload logged = workload::read_log_file(path, log, attribution, resolver);
    // pg_stat_statements already counts the statements a log repeats; the log adds what
    // only it knows: which statements ran in one transaction.
    if (options.stat_statements == UseStatStatements::yes) {
      logged.statements.clear();
      logged.unparsed.clear();
    }
    workload::merge(workload, std::move(logged));
  }

  // The database's name, not its URL: ports and hosts differ between runs, and the
  // analysis file should not.
  return analyze(std::move(schema), std::move(workload), analyze_options);
}

}  // namespace dbsplit::analysis
