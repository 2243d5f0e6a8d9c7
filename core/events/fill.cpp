#include "core/events/fill.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>

#include "core/events/replication.hpp"
#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

std::string first_line(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.substr(0, s.find('\n'));
}

PGconn* open(const std::string& url, const std::string& what, const std::string& label) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string error = pg::redact(first_line(PQerrorMessage(conn)));
    PQfinish(conn);
    throw RuntimeError(fmt::format("cannot connect to {} ({}): {}", label, what, error));
  }
  return conn;
}

void run(PGconn* conn, const std::string& sql, const std::string& label) {
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType s = PQresultStatus(r);
  std::string error = first_line(PQresultErrorMessage(r));
  PQclear(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
    throw RuntimeError(fmt::format("{} failed on {}: {}", sql.substr(0, 80), label, error));
}

std::atomic<int> g_fill_counter{0};

}  // namespace

struct SourceSnapshot::Impl {
  std::unique_ptr<ReplicationConnection> repl;
  PGconn* conn = nullptr;
  std::string label;
  std::string system_id;
  Lsn position = 0;
  ~Impl() {
    if (conn != nullptr) PQfinish(conn);
  }
};

SourceSnapshot::SourceSnapshot(const std::string& source_url, const std::string& what)
    : impl_(new Impl) {
  impl_->label = pg::redact(source_url);
  impl_->repl = std::make_unique<ReplicationConnection>(source_url, what);
  impl_->system_id = impl_->repl->identify().system_id;
  std::string slot = fmt::format("dbsplit_fill_{}_{}", getpid(), ++g_fill_counter);
  ReplicationConnection::Slot s = impl_->repl->create_slot(
      slot, ReplicationConnection::Lifetime::temporary, ReplicationConnection::ExportSnapshot::yes);
  impl_->position = s.consistent_point;
  impl_->conn = open(source_url, what, impl_->label);
  run(impl_->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", impl_->label);
  run(impl_->conn, "SET TRANSACTION SNAPSHOT '" + s.snapshot + "'", impl_->label);
}

SourceSnapshot::~SourceSnapshot() = default;

Lsn SourceSnapshot::position() const { return impl_->position; }
const std::string& SourceSnapshot::system_id() const { return impl_->system_id; }

std::int64_t SourceSnapshot::copy_into(const std::string& select_sql, HolderTransaction& holder,
                                       const std::string& copy_in_sql) {
  PGconn* from = impl_->conn;
  PGconn* to = holder.raw();
  PGresult* r = PQexec(from, ("COPY (" + select_sql + ") TO STDOUT").c_str());
  if (PQresultStatus(r) != PGRES_COPY_OUT) {
    std::string error = first_line(PQresultErrorMessage(r));
    PQclear(r);
    throw RuntimeError(fmt::format("reading the snapshot of {} failed: {}", impl_->label, error));
  }
  PQclear(r);
  r = PQexec(to, copy_in_sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    std::string error = first_line(PQresultErrorMessage(r));
    PQclear(r);
    // Drain the copy out so the source connection stays usable for the error path.
    char* buffer = nullptr;
    while (PQgetCopyData(from, &buffer, 0) > 0) PQfreemem(buffer);
    PQclear(PQgetResult(from));
    throw RuntimeError(fmt::format("{} failed: {}", copy_in_sql, error));
  }
  PQclear(r);
  std::int64_t rows = 0;
  while (true) {
    char* buffer = nullptr;
    int n = PQgetCopyData(from, &buffer, 0);
    if (n == -1) break;
    if (n < 0)
      throw RuntimeError("reading the snapshot failed: " + first_line(PQerrorMessage(from)));
    int ok = PQputCopyData(to, buffer, n);
    PQfreemem(buffer);
    if (ok != 1) throw RuntimeError("writing the copy failed: " + first_line(PQerrorMessage(to)));
    ++rows;
  }
  r = PQgetResult(from);
  bool read_ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string read_error = first_line(PQresultErrorMessage(r));
  PQclear(r);
  if (PQputCopyEnd(to, read_ok ? nullptr : "source failed") != 1)
    throw RuntimeError("ending the copy failed: " + first_line(PQerrorMessage(to)));
  r = PQgetResult(to);
  bool write_ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string write_error = first_line(PQresultErrorMessage(r));
  PQclear(r);
  while ((r = PQgetResult(to)) != nullptr) PQclear(r);
  if (!read_ok)
    throw RuntimeError(
        fmt::format("reading the snapshot of {} failed: {}", impl_->label, read_error));
  if (!write_ok) throw RuntimeError(fmt::format("{} failed: {}", copy_in_sql, write_error));
  return rows;
}

std::vector<std::vector<std::optional<std::string>>> SourceSnapshot::rows(
    const std::string& select_sql) {
  PGresult* r = PQexec(impl_->conn, select_sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string error = first_line(PQresultErrorMessage(r));
    PQclear(r);
    throw RuntimeError(fmt::format("reading the snapshot of {} failed: {}", impl_->label, error));
  }
  std::vector<std::vector<std::optional<std::string>>> out;
  int n = PQntuples(r), m = PQnfields(r);
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    std::vector<std::optional<std::string>> row;
    for (int j = 0; j < m; ++j)
      row.push_back(PQgetisnull(r, i, j) ? std::nullopt
                                         : std::optional<std::string>(PQgetvalue(r, i, j)));
    out.push_back(std::move(row));
  }
  PQclear(r);
  return out;
}

HolderTransaction::HolderTransaction(const std::string& url, const std::string& what)
    : label_(pg::redact(url)) {
  conn_ = open(url, what, label_);
  run(conn_, "BEGIN", label_);
  open_ = true;
}

HolderTransaction::~HolderTransaction() {
  if (open_) PQclear(PQexec(conn_, "ROLLBACK"));
  PQfinish(conn_);
}

void HolderTransaction::exec(const std::string& sql) { run(conn_, sql, label_); }

std::string HolderTransaction::value(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
    std::string error = first_line(PQresultErrorMessage(r));
    PQclear(r);
    throw RuntimeError(fmt::format("{} failed on {}: {}", sql.substr(0, 80), label_, error));
  }
  std::string out = PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0);
  PQclear(r);
  return out;
}

void HolderTransaction::commit() {
  run(conn_, "COMMIT", label_);
  open_ = false;
}

pg_conn* HolderTransaction::raw() { return conn_; }

}  // namespace dbsplit::events
