#include "core/runtime/pipeline_pool.hpp"

#include <sys/epoll.h>

#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::runtime {
namespace {

std::string first_line(const char* text) {
  std::string line = text ? text : "";
  line = line.substr(0, line.find('\n'));
  return line.empty() ? "connection to the database lost" : line;
}

// SQLSTATE 0A000 with this message: a prepared statement's result columns changed
// (SELECT * after ALTER TABLE); 26000: the statement's Prepare failed earlier in the
// pipeline, so it was never defined. Both are fixed by preparing again.
bool needs_new_prepare(const DbError& e) {
  if (e.kind != DbError::Kind::server) return false;
  return e.sqlstate == "26000" ||
         (e.sqlstate == "0A000" &&
          e.message.find("cached plan must not change result type") != std::string::npos);
}

DbError server_error(const PGresult* r) {
  DbError e;
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  e.sqlstate = state ? state : "";
  e.message = PQresultErrorMessage(r);
  if (e.message.empty()) e.message = "the database refused the statement";
  return e;
}

}  // namespace

// One connection: connecting, then in pipeline mode; `sent` holds what is on the wire.
class PipelinePool::Conn {
 public:
  struct Sent {
    Job job;
    std::string statement;  // prepared name; empty for a DEALLOCATE segment
    bool prepared_now = false;
    std::vector<PgResult> results;
  };

  Conn(PipelinePool& pool, PGconn* pg) : pool_(pool), pg_(pg) {
    // Notices (none expected) would otherwise go to stderr through libpq's default.
    PQsetNoticeProcessor(
        pg_, [](void*, const char*) {}, nullptr);
  }
  ~Conn() {
    unwatch();
    PQfinish(pg_);
  }

  bool ready() const { return ready_ && !broken_; }
  bool broken() const { return broken_; }
  size_t load() const { return sent_.size(); }
  PGconn* pg() const { return pg_; }

  // Drives PQconnectPoll; the socket may change while libpq tries addresses, so it is
  // registered again after every step.
  void poll_connect() {
    PostgresPollingStatusType st = PQconnectPoll(pg_);
    unwatch();
    if (st == PGRES_POLLING_OK) {
      if (PQsetnonblocking(pg_, 1) != 0 || PQenterPipelineMode(pg_) != 1) {
        fail_connect();
        return;
      }
      ready_ = true;
      watch(EPOLLIN);
      pool_.on_ready(*this);
    } else if (st == PGRES_POLLING_FAILED) {
      fail_connect();
    } else {
      watch(st == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT);
    }
  }

  void send(Job job) {
    auto& cache = pool_.statements_per_connection_;
    while (!stale_.empty() && !broken_) deallocate_stale();
    Sent s;
    if (auto it = names_.find(job.sql); it != names_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second.use);
      s.statement = it->second.name;
    } else {
      if (names_.size() >= cache) evict_oldest();
      s.statement = "dbsplit_" + std::to_string(next_id_++);
      s.prepared_now = true;
      if (PQsendPrepare(pg_, s.statement.c_str(), job.sql.c_str(), 0, nullptr) != 1) {
        lost(std::move(job));
        return;
      }
      auto it2 = names_.emplace(job.sql, Name{s.statement, {}}).first;
      recent_.push_front(&it2->first);
      it2->second.use = recent_.begin();
    }
    std::vector<const char*> values;
    values.reserve(job.params.size());
    for (const auto& p : job.params) values.push_back(p ? p->c_str() : nullptr);
    if (PQsendQueryPrepared(pg_, s.statement.c_str(), static_cast<int>(values.size()),
                            values.data(), nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(pg_) != 1) {
      lost(std::move(job));
      return;
    }
    s.job = std::move(job);
    sent_.push_back(std::move(s));
    flush();
  }

  // Forgets the prepared name of `sql` (its next use prepares it again).
  void forget(const std::string& sql) {
    auto it = names_.find(sql);
    if (it == names_.end()) return;
    stale_.push_back(it->second.name);
    recent_.erase(it->second.use);
    names_.erase(it);
  }

  void on_events(uint32_t events) {
    if (!ready_) {
      poll_connect();
      return;
    }
    if (events & EPOLLOUT) flush();
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (PQconsumeInput(pg_) != 1) {
        mark_broken();
        return;
      }
      read_results();
    }
  }

  // Fails whatever is on the wire (the database went away).
  std::vector<Job> take_sent() {
    std::vector<Job> jobs;
    for (auto& s : sent_)
      if (s.job.done) jobs.push_back(std::move(s.job));
    sent_.clear();
    return jobs;
  }
  std::string error_message() const { return first_line(PQerrorMessage(pg_)); }

 private:
  struct Name {
    std::string name;
    std::list<const std::string*>::iterator use;
  };

  void watch(uint32_t events) {
    socket_ = PQsocket(pg_);
    if (socket_ < 0) return;
    interest_ = events;
    pool_.loop_.watch(socket_, events, [this](uint32_t ev) { on_events(ev); });
  }
  void unwatch() {
    if (socket_ >= 0) pool_.loop_.unwatch(socket_);
    socket_ = -1;
  }
  void set_interest(uint32_t events) {
    if (socket_ >= 0 && events != interest_) {
      interest_ = events;
      pool_.loop_.modify(socket_, events);
    }
  }

  void fail_connect() {
    broken_ = true;
    pool_.on_connect_failed(first_line(PQerrorMessage(pg_)));
  }

  void mark_broken() { broken_ = true; }

  void lost(Job job) {
    broken_ = true;
    lost_.push_back(std::move(job));
  }

  void flush() {
    int f = PQflush(pg_);
    if (f < 0) {
      mark_broken();
      return;
    }
    set_interest(f == 1 ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
  }

  void evict_oldest() {
    forget(*recent_.back());
    deallocate_stale();
  }

  // Deallocated in its own segment so it cannot abort a statement; its result is read
  // and dropped. Statements sent before it still run: the server works in order.
  void deallocate_stale() {
    std::string name = stale_.back();
    stale_.pop_back();
    std::string sql_text = "DEALLOCATE " + name;
    if (PQsendQueryParams(pg_, sql_text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(pg_) != 1) {
      mark_broken();
      return;
    }
    sent_.push_back(Sent{});
  }

  void read_results() {
    int nulls = 0;
    while (!sent_.empty() && !broken_ && !PQisBusy(pg_)) {
      PGresult* r = PQgetResult(pg_);
      if (r == nullptr) {
        // The end of one statement's results; two in a row: nothing more yet.
        if (++nulls > 1) break;
        continue;
      }
      nulls = 0;
      if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        sent_.front().results.emplace_back(r);
        continue;
      }
      PQclear(r);
      Sent s = std::move(sent_.front());
      sent_.pop_front();
      complete(std::move(s));
    }
    if (PQstatus(pg_) == CONNECTION_BAD) mark_broken();
  }

  void complete(Sent s) {
    if (!s.job.done) return;  // a DEALLOCATE
    DbOutcome outcome;
    size_t at = 0;
    if (s.prepared_now) {
      PGresult* prep = s.results.empty() ? nullptr : s.results[0].get();
      if (prep == nullptr || PQresultStatus(prep) != PGRES_COMMAND_OK) {
        outcome.error = prep ? server_error(prep) : DbError{DbError::Kind::unavailable, "", ""};
        forget(s.job.sql);
      }
      at = 1;
    }
    if (!outcome.error) {
      PGresult* exec = at < s.results.size() ? s.results[at].get() : nullptr;
      ExecStatusType st = exec ? PQresultStatus(exec) : PGRES_FATAL_ERROR;
      if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        outcome.result = std::move(s.results[at]);
      else if (exec)
        outcome.error = server_error(exec);
      else
        outcome.error = DbError{DbError::Kind::unavailable, "", error_message()};
    }
    if (outcome.error && needs_new_prepare(*outcome.error)) forget(s.job.sql);
    pool_.finish(std::move(s.job), std::move(outcome));
  }

 public:
  std::vector<Job> lost_;  // jobs whose send failed (the connection broke)

 private:
  PipelinePool& pool_;
  PGconn* pg_;
  int socket_ = -1;
  uint32_t interest_ = 0;
  bool ready_ = false;
  bool broken_ = false;
  std::deque<Sent> sent_;
  std::unordered_map<std::string, Name> names_;
  std::list<const std::string*> recent_;  // SQL texts, most recently used first
  std::vector<std::string> stale_;
  size_t next_id_ = 0;
};

PipelinePool::PipelinePool(net::EventLoop& loop, std::string conninfo, int size,
                           size_t statements_per_connection)
    : loop_(loop),
      conninfo_(std::move(conninfo)),
      size_(size < 1 ? 1 : static_cast<size_t>(size)),
      statements_per_connection_(statements_per_connection < 1 ? 1 : statements_per_connection) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo_.c_str(), &error);
  if (options == nullptr) {
    std::string why = error ? first_line(error) : "cannot be parsed";
    PQfreemem(error);
    throw RuntimeError("the database URL " + pg::redact(conninfo_) + " " + why);
  }
  bool has_options = false;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val == nullptr) continue;
    std::string value = o->val;
    if (std::string(o->keyword) == "options") {
      has_options = true;
      value += " -c TimeZone=UTC -c DateStyle=ISO";
    }
    keywords_.push_back(o->keyword);
    values_.push_back(value);
  }
  PQconninfoFree(options);
  // Timestamps leave the server as ISO 8601 with their zone (row_to_json uses these).
  if (!has_options) {
    keywords_.push_back("options");
    values_.push_back("-c TimeZone=UTC -c DateStyle=ISO");
  }
  loop_.at_round_end([this] { return reap(); });
}

PipelinePool::~PipelinePool() = default;

size_t PipelinePool::open_connections() const {
  size_t n = 0;
  for (const auto& c : conns_) n += c->ready() ? 1 : 0;
  return n;
}

void PipelinePool::run(const Statement& st, std::function<void(DbOutcome)> done) {
  submit(Job{st.sql, st.params, std::move(done), 0});
}

void PipelinePool::submit(Job job) {
  Conn* best = nullptr;
  size_t live = 0;
  for (auto& c : conns_) {
    live += c->broken() ? 0 : 1;
    if (c->ready() && (best == nullptr || c->load() < best->load())) best = c.get();
  }
  if (best != nullptr && best->load() == 0) {
    best->send(std::move(job));
    return;
  }
  if (best == nullptr) waiting_.push_back(std::move(job));
  // Another connection for what comes next; a failure to open it fails only the waiting.
  if (live < size_) connect();
  if (best != nullptr) best->send(std::move(job));
}

void PipelinePool::connect() {
  std::vector<const char*> k, v;
  for (size_t i = 0; i < keywords_.size(); ++i) {
    k.push_back(keywords_[i].c_str());
    v.push_back(values_[i].c_str());
  }
  k.push_back(nullptr);
  v.push_back(nullptr);
  PGconn* pg = PQconnectStartParams(k.data(), v.data(), 0);
  if (pg == nullptr) {
    on_connect_failed("out of memory");
    return;
  }
  conns_.push_back(std::make_unique<Conn>(*this, pg));
  if (PQstatus(pg) == CONNECTION_BAD) {
    std::string message = first_line(PQerrorMessage(pg));
    conns_.back()->lost_.clear();
    conns_.pop_back();
    on_connect_failed(message);
    return;
  }
  conns_.back()->poll_connect();
}

void PipelinePool::on_ready(Conn& conn) {
  while (!waiting_.empty() && conn.ready()) {
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    conn.send(std::move(job));
  }
}

void PipelinePool::on_connect_failed(const std::string& message) {
  bool another = false;
  for (auto& c : conns_) another = another || (!c->broken());
  if (another) return;  // another connection is (being) opened: the jobs wait for it
  std::deque<Job> failed;
  failed.swap(waiting_);
  for (auto& job : failed)
    finish(std::move(job), DbOutcome{nullptr, DbError{DbError::Kind::unavailable, "",
                                                      "cannot connect to " + pg::redact(conninfo_) +
                                                          ": " + message}});
}

void PipelinePool::finish(Job job, DbOutcome outcome) {
  if (outcome.error && needs_new_prepare(*outcome.error) && job.attempt == 0) {
    ++job.attempt;
    submit(std::move(job));
    return;
  }
  auto done = std::move(job.done);
  done(std::move(outcome));
}

bool PipelinePool::reap() {
  bool reaped = false;
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (!(*it)->broken()) {
      ++it;
      continue;
    }
    reaped = true;
    std::unique_ptr<Conn> conn = std::move(*it);
    it = conns_.erase(it);
    std::string message = conn->error_message();
    std::vector<Job> jobs = conn->take_sent();
    for (auto& j : conn->lost_) jobs.push_back(std::move(j));
    conn.reset();
    for (auto& job : jobs)
      job.done(DbOutcome{nullptr, DbError{DbError::Kind::unavailable, "", message}});
  }
  // Jobs left waiting with no connection alive to take them: open one (its failure
  // answers them).
  if (reaped && !waiting_.empty()) {
    bool alive = false;
    for (auto& c : conns_) alive = alive || !c->broken();
    if (!alive) connect();
  }
  return reaped;
}

}  // namespace dbsplit::runtime
