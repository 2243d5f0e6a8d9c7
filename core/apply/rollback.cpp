#include "core/apply/rollback.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "core/apply/checks.hpp"
#include "core/apply/journal.hpp"
#include "core/apply/lock.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::apply {
namespace {

int stage_rank(const std::string& stage) {
  for (size_t i = 0; i < plan::kStageOrder.size(); ++i)
    if (stage == plan::to_string(plan::kStageOrder[i])) return static_cast<int>(i);
  return -1;
}

// The applied steps of the stage, latest first.
std::vector<JournalRow> applied_steps(const Journal& journal, const std::string& stage) {
  std::vector<JournalRow> rows;
  for (const auto& [id, row] : journal)
    if (row.applied() && row.stage == stage) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const JournalRow& a, const JournalRow& b) {
    if (a.position != b.position) return a.position > b.position;
    return a.applied_at > b.applied_at;
  });
  return rows;
}

// The step as the plan has it (for an operation's context), or one made from the journal
// when the plan no longer has it.
plan::Step step_of(const plan::Plan& plan, const JournalRow& row) {
  for (const auto& stage : plan.stages)
    for (const auto& step : stage.steps)
      if (step.id == row.step_id) return step;
  plan::Step step;
  step.id = row.step_id;
  return step;
}

}  // namespace

int rollback_stage(const plan::Plan& plan, const RollbackOptions& options,
                   const RollbackSink& sink) {
  const Target& target = options.target;
  std::string stage = plan::to_string(options.stage);
  auto conn = pg::connect(target.db_url, "--db");
  try {
    name_session(*conn, fmt::format("dbsplit rollback --stage {} (pid {})", stage, getpid()));
    take_apply_lock(*conn);
    Journal journal;
    {
      pqxx::read_transaction tx(*conn);
      journal = read_journal(tx);
    }
    // A later stage builds on this one: it is undone first.
    const JournalRow* later = nullptr;
    for (const auto& [id, row] : journal)
      if (row.applied() && stage_rank(row.stage) > stage_rank(stage) &&
          (later == nullptr || stage_rank(row.stage) > stage_rank(later->stage)))
        later = &row;
    if (later != nullptr)
      throw RuntimeError(fmt::format(
          "stage {} cannot be rolled back while the later stage {} has applied steps (step "
          "{}); roll that stage back first: `{}`",
          stage, later->stage, later->step_id, command_line(target, "rollback", later->stage)));

    std::vector<JournalRow> rows = applied_steps(journal, stage);
    std::vector<plan::Action> rollbacks;
    for (const auto& row : rows) {
      plan::Action action =
          row.rollback.is_null() ? plan::Action{} : action_from_json(row.rollback, row.step_id);
      if (action.kind == plan::ActionKind::operation && find_operation(action.operation) == nullptr)
        throw RuntimeError(fmt::format(
            "the rollback of step {} needs operation {}, which this dbsplit does not implement "
            "yet; nothing was rolled back (operations implemented: {})",
            row.step_id, action.operation, pg::sql::join(implemented_operations(), ", ")));
      rollbacks.push_back(action);
    }

    for (size_t i = 0; i < rows.size(); ++i) {
      const JournalRow& row = rows[i];
      const plan::Action& action = rollbacks[i];
      plan::Step step = step_of(plan, row);
      std::string detail;
      try {
        if (action.kind == plan::ActionKind::operation)
          detail = (*find_operation(action.operation))(OperationContext{plan, target, step},
                                                       action.parameters);
        pqxx::work tx(*conn);
        if (action.kind == plan::ActionKind::sql && !action.empty()) tx.exec(action.sql);
        record_rolled_back(tx, row.step_id, "rolled back");
        tx.commit();
      } catch (const std::exception& e) {
        std::string why = dynamic_cast<const pqxx::failure*>(&e) ? database_error(e) : e.what();
        sink({row.step_id, false, why});
        throw RuntimeError(fmt::format(
            "the rollback of step {} failed: {}; the {} step(s) of stage {} after it are rolled "
            "back, it and the ones before it are still applied; fix the cause and run `{}` "
            "again",
            row.step_id, why, i, stage, command_line(target, "rollback", stage)));
      }
      sink({row.step_id, true, detail});
    }
    return static_cast<int>(rows.size());
  } catch (const pqxx::failure& e) {
    throw RuntimeError(
        fmt::format("the database {} failed: {}", pg::redact(target.db_url), database_error(e)));
  }
}

}  // namespace dbsplit::apply
