#include "core/apply/status.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <set>

#include "core/apply/checks.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::apply {

const char* to_string(StepState state) {
  switch (state) {
    case StepState::applied:
      return "applied";
    case StepState::unverified:
      return "unverified";
    case StepState::changed:
      return "changed";
    case StepState::pending:
      return "pending";
  }
  return "pending";
}

int StageStatus::count(StepState state) const {
  int n = 0;
  for (const auto& s : steps) n += s.state == state;
  return n;
}

namespace {

bool answers_ready(const std::string& url) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get("/ready");
  return res && res->status == 200;
}

}  // namespace

Status read_status(const plan::Plan& plan, const std::string& db_url) {
  auto conn = pg::connect(db_url, "--db");
  Status status;
  Journal journal;
  std::map<std::string, ServiceRecord> services;
  try {
    pqxx::nontransaction(*conn).exec0("SET default_transaction_read_only = on");
    pqxx::read_transaction tx(*conn);
    status.database = tx.exec1("SELECT current_database()")[0].c_str();
    journal = read_journal(tx);
    services = read_services(tx);
  } catch (const pqxx::failure& e) {
    throw RuntimeError(
        fmt::format("cannot read the journal of {}: {}", pg::redact(db_url), database_error(e)));
  }
  std::set<std::string> in_plan;
  for (const auto& stage : plan.stages) {
    StageStatus s{stage.name, {}};
    for (const auto& step : stage.steps) {
      in_plan.insert(step.id);
      StepStatus st{step.id, StepState::pending, ""};
      auto it = journal.find(step.id);
      if (it != journal.end() && it->second.applied()) {
        st.applied_at = it->second.applied_at;
        st.state = it->second.checksum != step_checksum(step) ? StepState::changed
                   : it->second.verified()                    ? StepState::applied
                                                              : StepState::unverified;
      }
      s.steps.push_back(st);
    }
    status.stages.push_back(s);
  }
  for (const auto& [id, row] : journal)
    if (row.applied() && !in_plan.count(id)) status.not_in_plan.push_back(row);
  for (const auto& [name, record] : services)
    status.services.push_back({record, answers_ready(record.url)});
  return status;
}

}  // namespace dbsplit::apply
