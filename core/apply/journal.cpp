#include "core/apply/journal.hpp"

#include <openssl/evp.h>

#include <memory>

#include "core/util/error.hpp"

namespace dbsplit::apply {
namespace {

const char* expect_name(plan::Expect expect) {
  switch (expect) {
    case plan::Expect::true_value:
      return "true";
    case plan::Expect::zero_rows:
      return "zero_rows";
    case plan::Expect::success:
      return "success";
  }
  return "true";
}

std::string sha256_hex(const std::string& text) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
    throw RuntimeError("computing a step checksum failed: OpenSSL SHA-256 is unavailable");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string text_or_empty(const pqxx::field& field) {
  return field.is_null() ? std::string() : std::string(field.c_str());
}

bool table_exists(pqxx::transaction_base& tx, const std::string& table) {
  return !tx.exec_params1("SELECT to_regclass($1)", table)[0].is_null();
}

}  // namespace

nlohmann::json action_json(const plan::Action& action) {
  if (action.empty()) return nullptr;
  if (action.kind == plan::ActionKind::sql) return {{"sql", action.sql}};
  return {{"operation", action.operation}, {"parameters", action.parameters}};
}

plan::Action action_from_json(const nlohmann::json& json, const std::string& step_id) {
  plan::Action action;
  if (json.is_object() && json.contains("sql") && json["sql"].is_string()) {
    action.sql = json["sql"].get<std::string>();
    return action;
  }
  if (json.is_object() && json.contains("operation") && json["operation"].is_string()) {
    action.kind = plan::ActionKind::operation;
    action.operation = json["operation"].get<std::string>();
    if (json.contains("parameters") && json["parameters"].is_object())
      action.parameters = json["parameters"];
    return action;
  }
  throw RuntimeError("the journal's rollback of step " + step_id + " is not an action: " +
                     json.dump() + "; the dbsplit.journal table was edited by hand");
}

std::string step_checksum(const plan::Step& step) {
  // nlohmann::json keeps object members sorted: the same step always gives the same text.
  nlohmann::json canonical = {
      {"id", step.id},
      {"service", step.service},
      {"action", action_json(step.action)},
      {"verify",
       {{"check", action_json(step.verify.check)}, {"expect", expect_name(step.verify.expect)}}},
      {"rollback", action_json(step.rollback)}};
  return "sha256:" + sha256_hex(canonical.dump());
}

void ensure_journal(pqxx::transaction_base& tx) {
  // The plan's ownership stage also creates this schema (IF NOT EXISTS) for table_owner;
  // neither drops it, so the two never clash.
  tx.exec(
      "CREATE SCHEMA IF NOT EXISTS dbsplit;"
      "CREATE TABLE IF NOT EXISTS dbsplit.journal ("
      "  step_id text PRIMARY KEY,"
      "  stage text NOT NULL,"
      "  position integer NOT NULL,"
      "  checksum text NOT NULL,"
      "  status text NOT NULL CHECK (status IN ('applied', 'rolled_back')),"
      "  applied_at timestamptz NOT NULL,"
      "  verified_at timestamptz,"
      "  dbsplit_version text NOT NULL,"
      "  plan_fingerprint text NOT NULL,"
      "  detail text NOT NULL DEFAULT '',"
      "  rollback jsonb);"
      "CREATE TABLE IF NOT EXISTS dbsplit.services ("
      "  service text PRIMARY KEY,"
      "  url text NOT NULL,"
      "  pid integer NOT NULL,"
      "  host text NOT NULL,"
      "  role text NOT NULL,"
      "  log_file text NOT NULL,"
      "  started_at timestamptz NOT NULL DEFAULT now());");
}

Journal read_journal(pqxx::transaction_base& tx) {
  Journal out;
  if (!table_exists(tx, "dbsplit.journal")) return out;
  for (const auto& r :
       tx.exec("SELECT step_id, stage, position, checksum, status, applied_at::text,"
               " verified_at::text, dbsplit_version, plan_fingerprint, detail, rollback::text"
               " FROM dbsplit.journal")) {
    JournalRow row;
    row.step_id = r[0].c_str();
    row.stage = r[1].c_str();
    row.position = r[2].as<int>();
    row.checksum = r[3].c_str();
    row.status = std::string(r[4].c_str()) == "applied" ? JournalStatus::applied
                                                        : JournalStatus::rolled_back;
    row.applied_at = text_or_empty(r[5]);
    row.verified_at = text_or_empty(r[6]);
    row.dbsplit_version = r[7].c_str();
    row.plan_fingerprint = r[8].c_str();
    row.detail = r[9].c_str();
    row.rollback = r[10].is_null() ? nlohmann::json() : nlohmann::json::parse(r[10].c_str());
    out[row.step_id] = std::move(row);
  }
  return out;
}

void record_applied(pqxx::transaction_base& tx, const plan::Plan& plan, plan::StageName stage,
                    int position, const plan::Step& step, Verified verified,
                    const std::string& detail) {
  // clock_timestamp, not now(): steps of one transaction (a dry run) still get an order.
  tx.exec_params(
      "INSERT INTO dbsplit.journal (step_id, stage, position, checksum, status, applied_at,"
      " verified_at, dbsplit_version, plan_fingerprint, detail, rollback)"
      " VALUES ($1, $2, $3, $4, 'applied', clock_timestamp(),"
      " CASE WHEN $5 THEN clock_timestamp() END, $6, $7, $8, $9::jsonb)"
      " ON CONFLICT (step_id) DO UPDATE SET stage = EXCLUDED.stage,"
      " position = EXCLUDED.position, checksum = EXCLUDED.checksum, status = 'applied',"
      " applied_at = EXCLUDED.applied_at, verified_at = EXCLUDED.verified_at,"
      " dbsplit_version = EXCLUDED.dbsplit_version,"
      " plan_fingerprint = EXCLUDED.plan_fingerprint, detail = EXCLUDED.detail,"
      " rollback = EXCLUDED.rollback",
      step.id, plan::to_string(stage), position, step_checksum(step), verified == Verified::yes,
      DBSPLIT_VERSION, plan.fingerprint, detail, action_json(step.rollback).dump());
}

void record_verified(pqxx::transaction_base& tx, const std::string& step_id) {
  tx.exec_params("UPDATE dbsplit.journal SET verified_at = clock_timestamp() WHERE step_id = $1",
                 step_id);
}

void record_rolled_back(pqxx::transaction_base& tx, const std::string& step_id,
                        const std::string& detail) {
  tx.exec_params(
      "UPDATE dbsplit.journal SET status = 'rolled_back', verified_at = NULL, detail = $2"
      " WHERE step_id = $1",
      step_id, detail);
}

void record_service(pqxx::transaction_base& tx, const ServiceRecord& s) {
  tx.exec_params(
      "INSERT INTO dbsplit.services (service, url, pid, host, role, log_file, started_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (service) DO UPDATE SET"
      " url = EXCLUDED.url, pid = EXCLUDED.pid, host = EXCLUDED.host, role = EXCLUDED.role,"
      " log_file = EXCLUDED.log_file, started_at = EXCLUDED.started_at",
      s.service, s.url, s.pid, s.host, s.role, s.log_file);
}

void forget_service(pqxx::transaction_base& tx, const std::string& service) {
  tx.exec_params("DELETE FROM dbsplit.services WHERE service = $1", service);
}

std::map<std::string, ServiceRecord> read_services(pqxx::transaction_base& tx) {
  std::map<std::string, ServiceRecord> out;
  if (!table_exists(tx, "dbsplit.services")) return out;
  for (const auto& r : tx.exec("SELECT service, url, pid, host, role, log_file, started_at::text"
                               " FROM dbsplit.services ORDER BY service")) {
    ServiceRecord s{r[0].c_str(), r[1].c_str(), r[2].as<int>(), r[3].c_str(),
                    r[4].c_str(), r[5].c_str(), r[6].c_str()};
    out[s.service] = s;
  }
  return out;
}

}  // namespace dbsplit::apply
