#include "core/apply/executor.hpp"

namespace dbsplit::apply {

Executor::Executor(pqxx::connection& conn, DryRun dry_run) : conn_(conn), dry_run_(dry_run) {
  if (dry_run_ == DryRun::yes) outer_ = std::make_unique<pqxx::work>(conn_, "dbsplit dry run");
}

Executor::~Executor() {
  if (outer_) {
    try {
      outer_->abort();
    } catch (...) {
      // The connection is gone: the server rolled the transaction back already.
    }
  }
}

void Executor::in_transaction(const std::function<void(pqxx::transaction_base&)>& body) {
  if (outer_) {
    pqxx::subtransaction step(*outer_, "dbsplit_step");
    body(step);  // a throw destroys `step` uncommitted: ROLLBACK TO SAVEPOINT
    step.commit();
    return;
  }
  pqxx::work step(conn_, "dbsplit step");
  body(step);
  step.commit();
}

}  // namespace dbsplit::apply
