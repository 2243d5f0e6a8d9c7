// A workload from a PostgreSQL log: statements aggregated per module, and the tables each
// transaction wrote.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/util/error.hpp"
#include "core/workload/ingest.hpp"
#include "core/workload/log_entries.hpp"
#include "core/workload/statement_set.hpp"

namespace dbsplit::workload {

namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read log file " + path + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw UsageError("cannot read log file " + path + ": " + std::strerror(errno));
  return content.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The transaction a session has open: a BEGIN..COMMIT block, or one autocommit statement.
struct OpenTransaction {
  bool active = false;
  bool block = false;
  std::string vxid;
  std::string xid;
  Transaction transaction;
};

class TransactionGrouper {
 public:
  explicit TransactionGrouper(Workload& workload) : workload_(workload) {}

  OpenTransaction& of(const std::string& session) { return open_[session]; }

  void start(const std::string& session, OpenTransaction& t, const detail::LogEntry& e,
             bool block) {
    t = OpenTransaction{};
    t.active = true;
    t.block = block;
    t.vxid = e.vxid;
    t.transaction.id = session + ":" + (e.vxid.empty() ? std::to_string(++sequence_) : e.vxid);
  }

  // Keeps a finished transaction when it wrote something.
  void finish(OpenTransaction& t) {
    if (t.active && !t.transaction.tables_written.empty()) {
      if (!t.xid.empty()) t.transaction.id = t.xid;
      workload_.transactions.push_back(std::move(t.transaction));
    }
    t = OpenTransaction{};
  }

  void finish_all() {
    std::vector<std::string> sessions;
    for (const auto& [session, t] : open_) sessions.push_back(session);
    std::sort(sessions.begin(), sessions.end());
    for (const auto& s : sessions) finish(open_[s]);
  }

 private:
  Workload& workload_;
  std::unordered_map<std::string, OpenTransaction> open_;
  int64_t sequence_ = 0;
};

}  // namespace

Workload read_log_file(const std::string& path, const LogOptions& log,
                       const AttributionOptions& attribution, const NameResolver& resolver) {
  std::string content = read_whole_file(path);
  bool csv = log.format == LogFormat::csv ||
             (log.format == LogFormat::automatic &&
              (ends_with(path, ".csv") || detail::looks_like_csv(content)));
  std::vector<detail::LogEntry> entries =
      csv ? detail::parse_csv_log(content) : detail::parse_stderr_log(content, log.line_prefix);
  content.clear();

  Workload workload;
  workload.sources.push_back("log:" + path);
  detail::StatementSet set(workload, resolver, detail::Normalize::yes);
  TransactionGrouper grouper(workload);
  std::unordered_map<std::string, size_t> last_statement;  // session → statement index
  const auto& ignored = attribution.ignore_roles;
  for (const auto& e : entries) {
    if (!log.database.empty() && e.database != log.database) continue;
    if (std::find(ignored.begin(), ignored.end(), e.user) != ignored.end()) continue;
    if (e.text.empty()) {  // "duration: N ms" of the statement logged before
      auto it = last_statement.find(e.session);
      if (it != last_statement.end())
        workload.statements[it->second].total_time_ms += e.duration_ms;
      continue;
    }
    OpenTransaction& open = grouper.of(e.session);
    if (open.active && !e.vxid.empty() && !open.vxid.empty() && e.vxid != open.vxid)
      grouper.finish(open);  // a new virtual transaction: the old one ended unlogged
    uint64_t fp = 0;
    const detail::Shape* shape = set.shape(e.text, fp);
    if (!shape) {
      workload.unparsed.push_back(e.text);
      if (open.active) open.transaction.statements.push_back(e.text);
      continue;
    }
    if (shape->control == detail::TransactionControl::begin) {
      grouper.finish(open);
      grouper.start(e.session, open, e, true);
      open.transaction.statements.push_back(shape->text);
      continue;
    }
    if (shape->control == detail::TransactionControl::end || shape->utility) {
      if (open.active) open.transaction.statements.push_back(shape->text);
      if (shape->control == detail::TransactionControl::end) grouper.finish(open);
      continue;
    }
    std::string module = attribute_module(e.text, e.user, e.application_name, attribution);
    last_statement[e.session] =
        set.add(fp, *shape, module, e.user, e.application_name, 1, 0, e.duration_ms);
    if (!open.active) grouper.start(e.session, open, e, false);
    Transaction& t = open.transaction;
    t.statements.push_back(shape->text);
    if (t.module.empty()) t.module = module;
    for (const auto& a : shape->analysis.accesses)
      if (a.write) t.tables_written.insert(a.table);
    if (!e.xid.empty() && e.xid != "0") open.xid = e.xid;
    if (!open.block) grouper.finish(open);
  }
  grouper.finish_all();
  return workload;
}

}  // namespace dbsplit::workload
