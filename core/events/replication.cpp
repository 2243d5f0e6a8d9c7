#include "core/events/replication.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/select.h>

#include <chrono>
#include <cstring>

#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr std::int64_t kPostgresEpochMicros = 946684800LL * 1000000;

std::uint64_t read_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void write_u64(char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::string first_line(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.substr(0, s.find('\n'));
}

struct Result {
  PGresult* r;
  explicit Result(PGresult* result) : r(result) {}
  ~Result() { PQclear(r); }
};

}  // namespace

ReplicationConnection::ReplicationConnection(const std::string& conninfo, const std::string& what)
    : label_(pg::redact(conninfo)) {
  const char* keys[] = {"dbname", "replication", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "database", "dbsplit", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) == CONNECTION_OK) return;
  std::string error = pg::redact(first_line(PQerrorMessage(conn_)));
  PQfinish(conn_);
  conn_ = nullptr;
  std::string hint = "check the URL and that the server runs";
  if (error.find("replication") != std::string::npos ||
      error.find("walsender") != std::string::npos)
    hint =
        "the user needs the REPLICATION attribute (ALTER ROLE ... REPLICATION) or to be a "
        "superuser, and pg_hba.conf must allow it";
  throw RuntimeError(fmt::format("cannot open a replication connection to {} ({}): {}; {}", label_,
                                 what, error, hint));
}

ReplicationConnection::~ReplicationConnection() {
  if (buffer_ != nullptr) PQfreemem(buffer_);
  if (conn_ != nullptr) PQfinish(conn_);
}

void ReplicationConnection::fail(const std::string& what) {
  throw RuntimeError(fmt::format("{} on {} failed: {}", what, label_,
                                 pg::redact(first_line(PQerrorMessage(conn_)))));
}

ReplicationConnection::System ReplicationConnection::identify() {
  Result res(PQexec(conn_, "IDENTIFY_SYSTEM"));
  if (PQresultStatus(res.r) != PGRES_TUPLES_OK || PQntuples(res.r) != 1) fail("IDENTIFY_SYSTEM");
  System s;
  s.system_id = PQgetvalue(res.r, 0, 0);
  s.position = parse_lsn(PQgetvalue(res.r, 0, 2), "IDENTIFY_SYSTEM xlogpos");
  if (!PQgetisnull(res.r, 0, 3)) s.database = PQgetvalue(res.r, 0, 3);
  return s;
}

ReplicationConnection::Slot ReplicationConnection::create_slot(const std::string& name,
                                                               Lifetime lifetime,
                                                               ExportSnapshot snapshot) {
  std::string sql = "CREATE_REPLICATION_SLOT " + pg::quote_ident(name) +
                    (lifetime == Lifetime::temporary ? " TEMPORARY" : "") +
                    " LOGICAL pgoutput (SNAPSHOT " +
                    (snapshot == ExportSnapshot::yes ? "'export'" : "'nothing'") + ")";
  Result res(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(res.r) != PGRES_TUPLES_OK || PQntuples(res.r) != 1)
    fail("creating the replication slot " + name);
  Slot s;
  s.consistent_point = parse_lsn(PQgetvalue(res.r, 0, 1), "consistent_point");
  if (!PQgetisnull(res.r, 0, 2)) s.snapshot = PQgetvalue(res.r, 0, 2);
  return s;
}

void ReplicationConnection::start(const std::string& slot, const std::string& publication,
                                  Lsn from) {
  // publication_names is a list of identifiers inside a string literal.
  std::string sql = "START_REPLICATION SLOT " + pg::quote_ident(slot) + " LOGICAL " +
                    format_lsn(from) + " (proto_version '1', publication_names '" +
                    pg::quote_ident(publication) + "', messages 'true')";
  Result res(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(res.r) != PGRES_COPY_BOTH) fail("starting replication from slot " + slot);
}

ReplicationConnection::Message ReplicationConnection::next(int timeout_ms) {
  if (buffer_ != nullptr) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
  Message m;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int n = PQgetCopyData(conn_, &buffer_, /*async=*/1);
    if (n > 0) {
      if (buffer_[0] == 'w' && n >= 25) {
        m.kind = Message::Kind::data;
        m.wal_start = read_u64(buffer_ + 1);
        m.wal_end = read_u64(buffer_ + 9);
        m.data = buffer_ + 25;
        m.size = static_cast<std::size_t>(n - 25);
        return m;
      }
      if (buffer_[0] == 'k' && n >= 18) {
        m.kind = Message::Kind::keepalive;
        m.wal_end = read_u64(buffer_ + 1);
        m.reply_requested = buffer_[17] != 0;
        return m;
      }
      throw RuntimeError(fmt::format("the replication stream of {} sent an unknown message '{}'",
                                     label_, buffer_[0]));
    }
    if (n == -1) {
      Result res(PQgetResult(conn_));
      throw RuntimeError(fmt::format("the server {} ended the replication stream: {}", label_,
                                     pg::redact(first_line(PQresultErrorMessage(res.r)))));
    }
    if (n == -2) fail("reading the replication stream");
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return m;
    int socket = PQsocket(conn_);
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(socket, &fds);
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
    timeval tv{static_cast<time_t>(left / 1000000), static_cast<suseconds_t>(left % 1000000)};
    int ready = select(socket + 1, &fds, nullptr, nullptr, &tv);
    if (ready < 0 && errno != EINTR) fail("waiting for the replication stream");
    if (ready > 0 && PQconsumeInput(conn_) == 0) fail("reading the replication stream");
  }
}

void ReplicationConnection::send_status(Lsn flushed, bool reply) {
  char msg[34];
  msg[0] = 'r';
  write_u64(msg + 1, flushed);   // written
  write_u64(msg + 9, flushed);   // flushed
  write_u64(msg + 17, flushed);  // applied
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  write_u64(msg + 25, static_cast<std::uint64_t>(now - kPostgresEpochMicros));
  msg[33] = reply ? 1 : 0;
  if (PQputCopyData(conn_, msg, sizeof msg) != 1 || PQflush(conn_) != 0)
    fail("sending the replication status");
}

}  // namespace dbsplit::events
