#pragma once
// The journal of applied steps, in the source database's `dbsplit` schema: which step
// of which plan ran, with the checksum of its definition, when it was applied and
// verified, and the rollback that undoes it (docs/apply.md, "Journal").
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "core/plan/model.hpp"

namespace dbsplit::apply {

enum class JournalStatus { applied, rolled_back };

// One step as the journal knows it. Timestamps are text ("" when not set).
struct JournalRow {
  std::string step_id;
  std::string stage;
  int position = 0;  // index of the step in its stage when it was applied
  std::string checksum;
  JournalStatus status = JournalStatus::applied;
  std::string applied_at;
  std::string verified_at;
  std::string dbsplit_version;
  std::string plan_fingerprint;
  std::string detail;
  nlohmann::json rollback;  // the step's rollback action as it was applied (null if none)
  bool applied() const { return status == JournalStatus::applied; }
  bool verified() const { return applied() && !verified_at.empty(); }
};

// Journal rows by step id.
using Journal = std::map<std::string, JournalRow>;

// "sha256:<hex>" of the step's canonical JSON: id, service, action, verify and rollback
// (not the description, so rewording it does not count as a change).
std::string step_checksum(const plan::Step& step);

// An action as stored in the journal, and back. action_from_json throws RuntimeError
// naming the step when the stored JSON is not an action.
nlohmann::json action_json(const plan::Action& action);
plan::Action action_from_json(const nlohmann::json& json, const std::string& step_id);

// Creates the schema `dbsplit`, dbsplit.journal and dbsplit.services when missing.
// Idempotent; run under the apply lock so that two runs never race on it.
void ensure_journal(pqxx::transaction_base& tx);

// Every row of the journal; empty when the journal does not exist yet.
Journal read_journal(pqxx::transaction_base& tx);

// Records the step as applied (replacing an earlier row of the same step), verified now
// or not yet.
enum class Verified { no, yes };
void record_applied(pqxx::transaction_base& tx, const plan::Plan& plan, plan::StageName stage,
                    int position, const plan::Step& step, Verified verified,
                    const std::string& detail);
void record_verified(pqxx::transaction_base& tx, const std::string& step_id);
void record_rolled_back(pqxx::transaction_base& tx, const std::string& step_id,
                        const std::string& detail);

// A `dbsplit serve` started by the apis stage, so that later commands find it.
struct ServiceRecord {
  std::string service;
  std::string url;  // http://host:port
  int pid = 0;
  std::string host;  // the machine it runs on (pids mean nothing elsewhere)
  std::string role;
  std::string log_file;
  std::string started_at;
};

void record_service(pqxx::transaction_base& tx, const ServiceRecord& service);
void forget_service(pqxx::transaction_base& tx, const std::string& service);
// Services recorded, by name; empty when the table does not exist.
std::map<std::string, ServiceRecord> read_services(pqxx::transaction_base& tx);

}  // namespace dbsplit::apply
