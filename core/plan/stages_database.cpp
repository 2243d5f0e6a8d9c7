// The database stage, per service: the tables move to the service's own database.
// Reads like the runbook it is: schema, snapshot copy, catch up, verify, cut over,
// sequences, reverse replication, archive. Moving data is done by named operations
// that `dbsplit apply` implements; only the archive is plain SQL on the source.
#include <set>

#include "core/pg/connection.hpp"
#include "core/plan/builder_detail.hpp"
#include "core/pg/sql.hpp"

namespace dbsplit::plan::detail {
namespace {

using nlohmann::json;

Step step(const Service& s, const std::string& what, const std::string& description) {
  Step out;
  out.id = "database." + what + "." + s.name;
  out.service = s.name;
  out.description = description;
  return out;
}

// User types the service's columns use: each service gets its own copy.
std::vector<std::string> types_of(const Plan& plan, const Service& s) {
  std::set<std::string> out;
  for (const auto& t : plan.schema.types)
    for (const auto& user : t.used_by) {
      auto dot = user.rfind('.');
      std::string table = dot == std::string::npos ? user : user.substr(0, dot);
      for (const auto& owned : s.tables)
        if (owned == table) out.insert(t.qualified());
    }
  return vec(out);
}

}  // namespace

Stage database_stage(const Plan& plan) {
  Stage stage;
  stage.name = StageName::database;
  for (const auto& s : plan.services) {
    if (s.tables.empty()) continue;
    json base = {{"service", s.name}, {"target", s.target}, {"tables", s.tables}};
    std::string publication = "dbsplit_" + s.role;

    Step schema = step(s, "create-schema",
                       "Create the schema of " + s.name + "'s " + std::to_string(s.tables.size()) +
                           " tables in " + s.target + ".");
    json schema_params = base;
    schema_params["types"] = types_of(plan, s);
    schema_params["sequences"] = sequences_of(plan, s);
    schema_params["role"] = s.role;
    schema.action = operation("create_target_schema", schema_params);
    schema.verify = verify_operation("compare_schema", base);
    schema.rollback = operation("drop_target_schema", base);
    stage.steps.push_back(schema);

    Step copy = step(
        s, "copy",
        "Copy the rows of " + s.name + "'s tables to the target from one consistent snapshot.");
    json copy_params = base;
    copy_params["publication"] = publication;
    copy.action = operation("copy_snapshot", copy_params);
    copy.verify = verify_operation("compare_row_counts", base);
    copy.rollback = operation("truncate_target_tables", base);
    stage.steps.push_back(copy);

    Step replicate = step(s, "replicate",
                          "Keep the target in sync with logical replication from "
                          "the snapshot on (publication " +
                              publication + ").");
    replicate.action = operation("start_replication", copy_params);
    replicate.verify = verify_operation("replication_caught_up", copy_params);
    replicate.rollback = operation("stop_replication", copy_params);
    stage.steps.push_back(replicate);

    Step checksums = step(s, "verify",
                          "Compare source and target with chunked checksums, "
                          "bisecting to the rows that differ.");
    json checksum_params = base;
    checksum_params["chunk_rows"] = 10000;
    checksums.action = operation("compare_checksums", checksum_params);
    checksums.verify = verify_operation("no_differing_rows", base);
    checksums.rollback = operation("none", {{"reason", "read-only comparison"}});
    stage.steps.push_back(checksums);

    Step cutover = step(
        s, "cutover",
        "Freeze writes briefly, drain replication and switch " + s.name + " to its own database.");
    json cutover_params = copy_params;
    cutover_params["max_write_freeze_seconds"] = 30;
    cutover.action = operation("cutover", cutover_params);
    cutover.verify = verify_operation("writes_on_target", base);
    cutover.rollback = operation("cutback", cutover_params);
    stage.steps.push_back(cutover);

    Step sequences = step(s, "sync-sequences",
                          "Set the target's sequences above the source's "
                          "current values.");
    json sequence_params = base;
    sequence_params["sequences"] = sequences_of(plan, s);
    sequences.action = operation("sync_sequences", sequence_params);
    sequences.verify = verify_operation("sequences_ahead", sequence_params);
    sequences.rollback =
        operation("none", {{"reason", "sequences ahead of the source are harmless"}});
    stage.steps.push_back(sequences);

    Step reverse = step(s, "reverse-replication",
                        "Replicate the target back to the source so the "
                        "cutover can be undone.");
    reverse.action = operation("start_reverse_replication", copy_params);
    reverse.verify = verify_operation("reverse_replication_caught_up", copy_params);
    reverse.rollback = operation("stop_reverse_replication", copy_params);
    stage.steps.push_back(reverse);

    // Archive: the source tables move to dbsplit_archive_<schema>, kept for rollback.
    std::string move, back, check;
    std::set<std::string> archives;
    for (const auto& t : s.tables) {
      auto [schema_name, name] = pg::sql::split(t);
      std::string archive = pg::quote_ident("dbsplit_archive_" + schema_name);
      archives.insert(archive);
      std::string live = pg::sql::table(t), archived = archive + "." + pg::quote_ident(name);
      move += "IF to_regclass(" + pg::sql::literal(live) + ") IS NOT NULL THEN ALTER TABLE " + live +
              " SET SCHEMA " + archive + "; END IF; ";
      back += "IF to_regclass(" + pg::sql::literal(archived) + ") IS NOT NULL THEN ALTER TABLE " +
              archived + " SET SCHEMA " + pg::quote_ident(schema_name) + "; END IF; ";
      check += std::string(check.empty() ? "" : " AND ") + "to_regclass(" + pg::sql::literal(live) +
               ") IS NULL AND to_regclass(" + pg::sql::literal(archived) + ") IS NOT NULL";
    }
    std::string create;
    for (const auto& a : archives) create += "CREATE SCHEMA IF NOT EXISTS " + a + "; ";
    Step archive =
        step(s, "archive", "Move " + s.name + "'s source tables into the archive schema.");
    archive.action = sql_action(create + pg::sql::do_block(move));
    archive.verify = verify_sql("SELECT " + check, Expect::true_value);
    archive.rollback = sql_action(pg::sql::do_block(back));
    stage.steps.push_back(archive);
  }
  return stage;
}

}  // namespace dbsplit::plan::detail
