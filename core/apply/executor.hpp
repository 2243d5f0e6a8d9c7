#pragma once
// Where a step's SQL runs. Applying, each step gets a transaction of its own that is
// committed; in a dry run, every step runs in a savepoint of one outer transaction that
// is rolled back at the end. The code running the steps is the same either way: a dry
// run swaps the executor, not the logic (PostgreSQL's DDL and CREATE ROLE are transactional).
#include <functional>
#include <memory>
#include <pqxx/pqxx>

namespace dbsplit::apply {

enum class DryRun { no, yes };

class Executor {
 public:
  Executor(pqxx::connection& conn, DryRun dry_run);
  ~Executor();  // a dry run's outer transaction is rolled back here
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `body` in a transaction: committed when it returns (applying) or kept until the
  // dry run ends; rolled back, and the exception passed on, when it throws.
  void in_transaction(const std::function<void(pqxx::transaction_base&)>& body);
  DryRun dry_run() const { return dry_run_; }

 private:
  pqxx::connection& conn_;
  DryRun dry_run_;
  std::unique_ptr<pqxx::work> outer_;  // dry run only
};

}  // namespace dbsplit::apply
