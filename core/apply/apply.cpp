#include "core/apply/apply.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <stdexcept>

#include "core/apply/checks.hpp"
#include "core/apply/gates.hpp"
#include "core/apply/journal.hpp"
#include "core/apply/lock.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
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
    check_plan_and_schema(plan_, target_, journal_);
    if (options_.stage) {
      // A refused stage leaves nothing behind, not even an empty journal.
      const plan::Stage& stage = *plan_.find_stage(*options_.stage);
      check_earlier_stages(plan_, target_, journal_, done_, stage);
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

  const JournalRow* applied_row(const std::string& step_id) const {
    auto it = journal_.find(step_id);
    return it != journal_.end() && it->second.applied() ? &it->second : nullptr;
  }

  void run_stage(const plan::Stage& stage) {
    check_earlier_stages(plan_, target_, journal_, done_, stage);
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
    if (row.checksum != step_checksum(step))
      fail(stage, step, edited_message(target_, stage, step, row));
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
               "operation " + step.action.operation + ": " + step.description});
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
        sink_({stage.name, step.id, StepResult::listed,
               "its SQL ran and was rolled back; its verification is operation " +
                   step.verify.check.operation + ": " + step.description});
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
    // A dry run says what the step would change; applying, what it did.
    if (dry()) detail = step.description;
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
