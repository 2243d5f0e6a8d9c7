// Log ingestion speed: read_log_file (read, split, fingerprint, analyse, group
// transactions) against a plain loop of pg_query_parse over the same statement texts.
// Prints the median of 5 alternating rounds and, last, the throughput ratio.
#include <pg_query.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/workload/ingest.hpp"

namespace {

constexpr int kStatements = 100000;
constexpr int kTables = 50;
constexpr int kRounds = 5;

std::string table(int i) { return "t" + std::to_string(i % kTables); }

// A realistic mix over ~50 tables: keyed reads, two- and three-way joins, inserts and
// updates, a fifth of the writes inside BEGIN..COMMIT blocks, some statements on
// several lines, a sqlcommenter tag on some.
struct Generator {
  std::mt19937 rng{42};
  int vxid = 0;
  int rand(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

  std::string statement() {
    int t = rand(kTables), kind = rand(100), v = rand(100000);
    std::string a = table(t), b = table(t + 1 + rand(3)), c = table(t + 7);
    if (kind < 30)
      return "SELECT id, name, status, updated_at FROM " + a + " WHERE id = " + std::to_string(v);
    if (kind < 50)
      return "SELECT x.id, x.name, y.total FROM " + a + " x JOIN " + b + " y ON y." + a +
             "_id = x.id\n\tWHERE x.status = 'open' AND y.total > " + std::to_string(v % 500) +
             " ORDER BY y.total DESC LIMIT 20";
    if (kind < 60)
      return "/* module='reports',route='%2Fsummary' */ SELECT x.region, count(*), sum(z.amount)"
             " FROM " +
             a + " x JOIN " + b + " y ON y." + a + "_id = x.id JOIN " + c + " z ON z." + b +
             "_id = y.id WHERE x.created_at > '2024-0" + std::to_string(1 + v % 9) +
             "-01' GROUP BY x.region";
    if (kind < 80)
      return "INSERT INTO " + a + " (name, status, total, created_at) VALUES ('item " +
             std::to_string(v) + "', 'open', " + std::to_string(v % 1000) + ", now())";
    return "UPDATE " + a + " SET status = 'closed', total = total + " + std::to_string(v % 10) +
           " WHERE id = " + std::to_string(v) + " AND status <> 'closed'";
  }

  void line(std::string& log, int pid, const std::string& sql) {
    std::string role = "svc" + std::to_string(pid % 7);
    log += "2024-05-01 10:00:00.123 UTC [" + std::to_string(pid) + "] user=" + role +
           " db=shop app=app" + std::to_string(pid % 5) + " vxid=3/" + std::to_string(vxid) +
           " xid=0: LOG:  statement: " + sql + "\n";
  }

  // Appends one transaction (or autocommit statement) to the log and its texts to `texts`.
  int unit(std::string& log, std::vector<std::string>& texts) {
    int pid = 1000 + rand(40);
    ++vxid;
    std::vector<std::string> sqls;
    if (rand(100) < 6) {
      sqls = {"BEGIN", statement(), statement(), "COMMIT"};
    } else {
      sqls = {statement()};
    }
    for (const auto& sql : sqls) {
      line(log, pid, sql);
      std::string text = sql;
      for (size_t p = text.find("\n\t"); p != std::string::npos; p = text.find("\n\t", p))
        text.erase(p + 1, 1);  // the log's continuation tab is not part of the statement
      texts.push_back(text);
    }
    return static_cast<int>(sqls.size());
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int statements = argc > 1 ? std::atoi(argv[1]) : kStatements;
  Generator gen;
  std::string log;
  std::vector<std::string> texts;
  for (int n = 0; n < statements;) n += gen.unit(log, texts);
  std::string path = "/tmp/dbsplit-workload-bench.log";
  std::ofstream(path) << log;
  std::printf("statements: %zu over %d tables, log %.1f MB\n", texts.size(), kTables,
              log.size() / 1e6);

  std::vector<double> ours, plain;
  size_t distinct = 0, transactions = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto workload = dbsplit::workload::read_log_file(path, {}, {}, {});
    ours.push_back(seconds_since(start));
    distinct = workload.statements.size();
    transactions = workload.transactions.size();

    start = std::chrono::steady_clock::now();
    size_t parsed = 0;
    for (const auto& t : texts) {
      PgQueryParseResult r = pg_query_parse(t.c_str());
      parsed += r.error ? 0 : 1;
      pg_query_free_parse_result(r);
    }
    plain.push_back(seconds_since(start));
    if (parsed != texts.size())
      std::printf("warning: %zu texts did not parse\n", texts.size() - parsed);
  }
  std::remove(path.c_str());
  double ours_s = median(ours), plain_s = median(plain);
  std::printf("read_log_file: median %.3f s (%.0f statements/s), %zu distinct, %zu transactions\n",
              ours_s, texts.size() / ours_s, distinct, transactions);
  std::printf("pg_query_parse loop: median %.3f s (%.0f statements/s)\n", plain_s,
              texts.size() / plain_s);
  std::printf("ratio workload/plain_parse: %.2f\n", plain_s / ours_s);
  return 0;
}
