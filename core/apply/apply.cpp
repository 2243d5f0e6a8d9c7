#include "core/apply/apply.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <stdexcept>

#include "core/apply/checks.hpp"
#include "core/apply/journal.hpp"
#include "core/apply/lock.hpp"
#include "core/pg/connection.hpp"
#include "core/plan/check.hpp"
#include "core/plan/check_run.hpp"
#include "core/plan/sql.hpp"
#include "core/util/error.hpp"

namespace dbsplit::apply {

const char* to_string(StepResult result) {
  switch (result) {
    case StepResult::applied:
      return "applied";
    case StepResult::skipped:
      return "skipped";
    case StepResult::would_apply:
      return "would_apply";
    case StepResult::listed:
      return "listed";
    case StepResult::failed:
      return "failed";
  }
  return "failed";
}

namespace {

// A verification that did not hold inside the step's transaction: rolls it back.
class VerificationFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string short_checksum(const std::string& checksum) { return checksum.substr(0, 19) + "…"; }

std::string listing(const std::vector<report::Diagnostic>& diagnostics, size_t limit) {
  std::vector<std::string> lines;
  for (const auto& d : diagnostics) {
    if (lines.size() == limit) {
      lines.push_back(fmt::format("and {} more", diagnostics.size() - limit));
      break;
    }
    lines.push_back(d.code + " " + d.message);
  }
  return plan::sql::join(lines, "; ");
}

class Runner {
 public:
  Runner(const plan::Plan& plan, const ApplyOptions& options, const OutcomeSink& sink)
      : plan_(plan), options_(options), target_(options.target), sink_(sink) {}

  void run() {
    conn_ = pg::connect(target_.db_url, "--db");
    name_session(*conn_, fmt::format("dbsplit apply {}{} (pid {})",
                                     options_.stage ? std::string("--stage ") +
                                                          plan::to_string(*options_.stage)
                                                    : std::string("--all"),
                                     dry() ? " --dry-run" : "", getpid()));
    // Held until the connection closes: no second apply or rollback interleaves with this one.
    take_apply_lock(*conn_);
    {
      pqxx::read_transaction tx(*conn_);
      journal_ = read_journal(tx);
    }
    check_plan_and_schema();
    if (options_.stage) {
      // A refused stage leaves nothing behind, not even an empty journal.
      const plan::Stage& stage = *plan_.find_stage(*options_.stage);
      check_earlier_stages(stage);
      check_operations(stage);
    }
    executor_ = std::make_unique<Executor>(*conn_, options_.dry_run);
    executor_->in_transaction(ensure_journal);
    for (const auto& stage : plan_.stages)
      if (!options_.stage || stage.name == *options_.stage) run_stage(stage);
    executor_.reset();  // a dry run's transaction is rolled back here
  }

 private:
  bool dry() const { return options_.dry_run == DryRun::yes; }

  // The plan keeps its own rules; before anything is applied, the live schema is the one
  // the plan was made from. Once steps are applied the schema differs on purpose (views
  // dropped, tables archived), so from then on the journal's fingerprint is compared.
  void check_plan_and_schema() {
    auto rules = plan::check_rules(plan_);
    std::vector<report::Diagnostic> errors;
    for (const auto& d : rules)
      if (d.severity == report::Severity::error) errors.push_back(d);
    if (!errors.empty())
      throw Error(fmt::format("plan {} breaks its rules: {}; see `dbsplit plan check`, then fix "
                              "or regenerate the plan",
                              target_.plan_path, listing(errors, 5)),
                  ExitCode::findings);
    bool any_applied = false;
    for (const auto& [id, row] : journal_) {
      if (!row.applied()) continue;
      any_applied = true;
      if (row.plan_fingerprint != plan_.fingerprint)
        throw RuntimeError(fmt::format(
            "step {} was applied from a plan of schema {}, but {} was made from schema {}; "
            "apply and roll back with the plan that was applied, or roll every stage back "
            "before applying a regenerated plan",
            id, row.plan_fingerprint, target_.plan_path, plan_.fingerprint));
    }
    if (any_applied) return;
    plan::CheckDatabaseOptions check;
    check.db = target_.db_url;
    auto result = plan::check_plan_against_database(plan_, check);
    if (result.live_fingerprint == plan_.fingerprint) return;
    throw Error(
        fmt::format("the schema of the database differs from the one plan {} was made "
                    "from (fingerprint {}, live {}): {}; run `dbsplit plan check {} --db "
                    "{}` for every difference, then regenerate the plan or undo the "
                    "change",
                    target_.plan_path, plan_.fingerprint, result.live_fingerprint,
                    listing(result.findings, 5), target_.plan_path, pg::redact(target_.db_url)),
        ExitCode::findings);
  }

  const JournalRow* applied_row(const std::string& step_id) const {
    auto it = journal_.find(step_id);
    return it != journal_.end() && it->second.applied() ? &it->second : nullptr;
  }

  std::string edited_message(const plan::Stage& stage, const plan::Step& step,
                             const JournalRow& row) const {
    return fmt::format(
        "was applied from a different version of its definition (journal {}, plan {}): the "
        "plan was edited after the step ran. Roll stage {} back first (`{}` runs the rollbacks "
        "recorded when its steps were applied), then apply it again",
        short_checksum(row.checksum), short_checksum(step_checksum(step)),
        plan::to_string(stage.name),
        command_line(target_, "rollback", plan::to_string(stage.name)));
  }

  void check_earlier_stages(const plan::Stage& stage) {
    for (const auto& earlier : plan_.stages) {
      if (earlier.name == stage.name) return;
      std::string earlier_name = plan::to_string(earlier.name);
      for (const auto& step : earlier.steps) {
        if (done_.count(step.id)) continue;
        const JournalRow* row = applied_row(step.id);
        if (row == nullptr)
          throw RuntimeError(fmt::format(
              "stage {} cannot run yet: step {} of the earlier stage {} is not applied; run "
              "`{}` first",
              plan::to_string(stage.name), step.id, earlier_name,
              command_line(target_, "apply", earlier_name)));
        if (row->checksum != step_checksum(step))
          throw RuntimeError("step " + step.id + " " + edited_message(earlier, step, *row));
        if (!row->verified())
          throw RuntimeError(fmt::format(
              "stage {} cannot run yet: step {} of the earlier stage {} was applied but not "
              "verified; run `{}` to verify it",
              plan::to_string(stage.name), step.id, earlier_name,
              command_line(target_, "apply", earlier_name)));
      }
    }
  }

  // Refuses the stage before its first step when any step needs a missing operation.
  void check_operations(const plan::Stage& stage) {
    for (const auto& step : stage.steps) {
      std::string missing = missing_operation(step);
      if (missing.empty()) continue;
      throw RuntimeError(fmt::format(
          "step {} needs operation {}, which this dbsplit does not implement yet; nothing of "
          "stage {} was run (operations implemented: {}; see docs/apply.md)",
          step.id, missing, plan::to_string(stage.name),
          plan::sql::join(implemented_operations(), ", ")));
    }
  }

  void run_stage(const plan::Stage& stage) {
    check_earlier_stages(stage);
    check_operations(stage);
    for (size_t i = 0; i < stage.steps.size(); ++i)
      run_step(stage, static_cast<int>(i), stage.steps[i]);
  }

  std::string run_operation(const plan::Step& step, const plan::Action& action) {
    OperationContext context{plan_, target_, step};
    try {
      return (*find_operation(action.operation))(context, action.parameters);
    } catch (const Error&) {
      throw;
    } catch (const pqxx::failure& e) {
      throw RuntimeError(database_error(e));
    } catch (const std::exception& e) {
      throw RuntimeError(e.what());
    }
  }

  // A verification run on its own (after an operation, or of a step applied earlier).
  // Returns the failure, "" when it holds; `detail` gets what an operation reports.
  std::string verify(const plan::Step& step, std::string& detail) {
    if (step.verify.check.empty()) return "";
    try {
      if (step.verify.check.kind == plan::ActionKind::operation) {
        detail = run_operation(step, step.verify.check);
        return "";
      }
      Verdict verdict;
      executor_->in_transaction(
          [&](pqxx::transaction_base& tx) { verdict = judge(tx, step.verify); });
      return verdict.passed ? "" : verdict.detail;
    } catch (const pqxx::failure& e) {
      return "its query failed: " + database_error(e);
    } catch (const Error& e) {
      return e.what();
    }
  }

  // After a verification failed outside the action's transaction: the step's rollback.
  std::string undo(const plan::Step& step, bool journaled) {
    const plan::Action& rollback = step.rollback;
    try {
      std::string detail;
      if (rollback.kind == plan::ActionKind::operation && !rollback.empty())
        detail = " (" + run_operation(step, rollback) + ")";
      executor_->in_transaction([&](pqxx::transaction_base& tx) {
        if (rollback.kind == plan::ActionKind::sql && !rollback.empty()) tx.exec(rollback.sql);
        if (journaled) record_rolled_back(tx, step.id, "rolled back: its verification failed");
      });
      return "its rollback ran" + detail + ", so nothing of it was kept";
    } catch (const std::exception& e) {
      std::string why = dynamic_cast<const pqxx::failure*>(&e) ? database_error(e) : e.what();
      return "its rollback failed too (" + why + "): undo what it did by hand (`dbsplit plan " +
             "show` shows its rollback)";
    }
  }

  [[noreturn]] void fail(const plan::Stage& stage, const plan::Step& step,
                         const std::string& message) {
    sink_({stage.name, step.id, StepResult::failed, message});
    throw RuntimeError("step " + step.id + " " + message);
  }

  std::string next_time(const plan::Stage& stage) const {
    if (dry()) return " (dry run: nothing was changed)";
    return fmt::format(
        "; fix the cause, then run `{}` again: the steps already applied are "
        "skipped",
        command_line(target_, "apply", plan::to_string(stage.name)));
  }

  void reverify(const plan::Stage& stage, const plan::Step& step, const JournalRow& row) {
    if (row.checksum != step_checksum(step)) fail(stage, step, edited_message(stage, step, row));
    std::string detail;
    std::string failure = verify(step, detail);
    if (!failure.empty())
      fail(stage, step,
           fmt::format("was applied at {} but its verification fails now: {}; something changed "
                       "it since: find what, or roll stage {} back (`{}`) and apply it again",
                       row.applied_at, failure, plan::to_string(stage.name),
                       command_line(target_, "rollback", plan::to_string(stage.name))));
    executor_->in_transaction([&](pqxx::transaction_base& tx) { record_verified(tx, step.id); });
    done_.insert(step.id);
    sink_({stage.name, step.id, StepResult::skipped, detail});
  }

  void run_step(const plan::Stage& stage, int position, const plan::Step& step) {
    if (const JournalRow* row = applied_row(step.id)) return reverify(stage, step, *row);
    bool verified = step.verify.check.empty();
    bool journaled = false;
    std::string detail;
    try {
      if (step.action.kind == plan::ActionKind::sql) {
        // The action, its verification (when it is SQL) and its journal row commit together
        // or not at all.
        executor_->in_transaction([&](pqxx::transaction_base& tx) {
          tx.exec(step.action.sql);
          if (!verified && step.verify.check.kind == plan::ActionKind::sql) {
            Verdict verdict = judge(tx, step.verify);
            if (!verdict.passed) throw VerificationFailed(verdict.detail);
            verified = true;
          }
          record_applied(tx, plan_, stage.name, position, step,
                         verified ? Verified::yes : Verified::no, "");
        });
        journaled = true;
      } else if (dry()) {
        sink_({stage.name, step.id, StepResult::listed,
               "operation " + step.action.operation + " (operations do not run in a dry run)"});
        done_.insert(step.id);
        return;
      } else {
        detail = run_operation(step, step.action);
      }
    } catch (const VerificationFailed& e) {
      fail(stage, step,
           fmt::format("failed its verification: {}; its transaction was rolled back, so nothing "
                       "of it was kept{}",
                       e.what(), next_time(stage)));
    } catch (const pqxx::failure& e) {
      fail(stage, step,
           fmt::format("failed: {}; its transaction was rolled back, so nothing of it was kept{}",
                       database_error(e), next_time(stage)));
    } catch (const Error& e) {
      fail(stage, step, fmt::format("failed: {}{}", e.what(), next_time(stage)));
    }
    if (!verified) {
      if (dry() && step.verify.check.kind == plan::ActionKind::operation) {
        sink_({stage.name, step.id, StepResult::would_apply,
               "verification " + step.verify.check.operation + " not run in a dry run"});
        done_.insert(step.id);
        return;
      }
      std::string verification;
      std::string failure = verify(step, verification);
      if (!failure.empty())
        fail(stage, step,
             fmt::format("failed its verification: {}; {}{}", failure, undo(step, journaled),
                         next_time(stage)));
      if (!verification.empty()) detail += (detail.empty() ? "" : "; ") + verification;
      executor_->in_transaction([&](pqxx::transaction_base& tx) {
        if (journaled)
          record_verified(tx, step.id);
        else
          record_applied(tx, plan_, stage.name, position, step, Verified::yes, detail);
      });
    }
    done_.insert(step.id);
    sink_({stage.name, step.id, dry() ? StepResult::would_apply : StepResult::applied, detail});
  }

  const plan::Plan& plan_;
  const ApplyOptions& options_;
  const Target& target_;
  const OutcomeSink& sink_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Executor> executor_;
  Journal journal_;
  std::set<std::string> done_;  // applied or verified in this run (dry runs included)
};

}  // namespace

void apply_plan(const plan::Plan& plan, const ApplyOptions& options, const OutcomeSink& sink) {
  if (options.stage && plan.find_stage(*options.stage) == nullptr)
    throw UsageError(fmt::format("plan {} has no stage {}", options.target.plan_path,
                                 plan::to_string(*options.stage)));
  Runner runner(plan, options, sink);
  try {
    runner.run();
  } catch (const pqxx::broken_connection& e) {
    throw RuntimeError(fmt::format(
        "lost the connection to {}: {}; the step running then was rolled back by the server "
        "unless it had committed: run `dbsplit status` and apply again",
        pg::redact(options.target.db_url), database_error(e)));
  } catch (const pqxx::failure& e) {
    throw RuntimeError(fmt::format("the database {} failed: {}", pg::redact(options.target.db_url),
                                   database_error(e)));
  }
}

}  // namespace dbsplit::apply
