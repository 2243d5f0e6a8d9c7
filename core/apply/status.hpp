#pragma once
// `dbsplit status`: how far the plan's stages got according to the journal, which steps
// changed in the plan since they were applied, and the services the apis stage started.
// Reads only.
#include <string>
#include <vector>

#include "core/apply/journal.hpp"
#include "core/plan/model.hpp"

namespace dbsplit::apply {

enum class StepState {
  applied,     // journaled, verified, same checksum as in the plan
  unverified,  // journaled, its verification has not passed yet
  changed,     // journaled with another checksum: the plan was edited after it ran
  pending,     // not applied (never, or rolled back)
};
const char* to_string(StepState state);

struct StepStatus {
  std::string step_id;
  StepState state = StepState::pending;
  std::string applied_at;  // "" when pending
};

struct StageStatus {
  plan::StageName name = plan::StageName::ownership;
  std::vector<StepStatus> steps;  // in plan order
  int count(StepState state) const;
};

struct ServiceStatus {
  ServiceRecord record;
  bool answering = false;  // GET /ready answered 200
};

struct Status {
  std::string database;  // current_database() of the source
  std::vector<StageStatus> stages;
  std::vector<ServiceStatus> services;
  std::vector<JournalRow> not_in_plan;  // applied steps the plan no longer has
};

// Reads the journal and the recorded services in a read-only session. Throws RuntimeError
// when the database cannot be read.
Status read_status(const plan::Plan& plan, const std::string& db_url);

}  // namespace dbsplit::apply
