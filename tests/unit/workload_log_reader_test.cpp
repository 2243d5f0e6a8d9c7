#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "core/util/error.hpp"
#include "core/workload/ingest.hpp"

using dbsplit::workload::AttributionOptions;
using dbsplit::workload::LogFormat;
using dbsplit::workload::LogOptions;
using dbsplit::workload::NameResolver;
using dbsplit::workload::read_log_file;
using dbsplit::workload::Statement;
using dbsplit::workload::Workload;
using Strings = std::set<std::string>;

namespace {

// A log file in the temp directory, removed at scope exit.
struct TempLog {
  std::string path;
  TempLog(const std::string& content, const std::string& suffix) {
    path = "/tmp/dbsplit-log-test-" + std::to_string(getpid()) + suffix;
    std::ofstream(path) << content;
  }
  ~TempLog() { std::remove(path.c_str()); }
};

const Statement& find(const Workload& w, const std::string& module, const std::string& text) {
  for (const auto& s : w.statements)
    if (s.module == module && s.text == text) return s;
  FAIL("no statement [" << module << "] " << text);
  throw;
}

const char* const kStderrLog =
    "2024-05-01 10:00:00.001 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/10 xid=0: "
    "LOG:  statement: BEGIN\n"
    "2024-05-01 10:00:00.002 UTC [202] user=catalog_ro db=shop app=psql vxid=4/7 xid=0: "
    "LOG:  statement: SELECT name\n"
    "\t  FROM products\n"
    "\t WHERE id = 42\n"
    "2024-05-01 10:00:00.003 UTC [202] user=catalog_ro db=shop app=psql vxid=4/7 xid=0: "
    "LOG:  duration: 0.250 ms\n"
    "2024-05-01 10:00:00.004 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/10 xid=0: "
    "LOG:  statement: INSERT INTO orders (customer_id, total) VALUES (7, 10.5)\n"
    "2024-05-01 10:00:00.005 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/10 "
    "xid=731: LOG:  statement: UPDATE inventory.stock SET qty = qty - 1 WHERE sku = 'A-1'\n"
    "2024-05-01 10:00:00.006 UTC [202] user=catalog_ro db=shop app=psql vxid=4/8 xid=0: "
    "LOG:  duration: 1.500 ms  statement: SELECT name FROM products WHERE id = 43\n"
    "2024-05-01 10:00:00.007 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/10 "
    "xid=731: LOG:  statement: COMMIT\n"
    "2024-05-01 10:00:00.008 UTC [303] user=billing_rw db=shop app=worker vxid=5/2 xid=0: "
    "LOG:  statement: /* module='billing' */ UPDATE invoices SET paid = true WHERE id = 9\n"
    "2024-05-01 10:00:00.009 UTC [303] user=billing_rw db=shop app=worker vxid=5/3 xid=0: "
    "LOG:  statement: SELEC broken\n"
    "2024-05-01 10:00:00.009 UTC [303] user=billing_rw db=shop app=worker vxid=5/3 xid=0: "
    "ERROR:  syntax error at or near \"SELEC\" at character 1\n"
    "2024-05-01 10:00:00.009 UTC [303] user=billing_rw db=shop app=worker vxid=5/3 xid=0: "
    "STATEMENT:  SELEC broken\n"
    "2024-05-01 10:00:00.010 UTC [404] user=postgres db=shop app=psql vxid=6/1 xid=0: "
    "LOG:  statement: DELETE FROM orders\n"
    "2024-05-01 10:00:00.011 UTC [505] user=orders_rw db=other app=orders-api vxid=7/1 xid=0: "
    "LOG:  statement: DELETE FROM elsewhere\n"
    "2024-05-01 10:00:00.012 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/11 xid=0: "
    "LOG:  execute <unnamed>: SELECT total FROM orders WHERE id = $1\n"
    "2024-05-01 10:00:00.012 UTC [101] user=orders_rw db=shop app=orders-api vxid=3/11 xid=0: "
    "DETAIL:  parameters: $1 = '5'\n"
    "2024-05-01 10:00:01.000 UTC [12] user= db= app= vxid= xid=0: LOG:  checkpoint starting: "
    "time\n";

}  // namespace

TEST_CASE("a stderr log gives statements per module and the transactions' writes", "[log]") {
  TempLog file(kStderrLog, ".log");
  AttributionOptions attribution;
  attribution.module_map = {{"orders-api", "orders"}, {"catalog_ro", "catalog"}};
  LogOptions options;
  options.database = "shop";
  Workload w = read_log_file(file.path, options, attribution, NameResolver{});

  CHECK(w.sources == std::vector<std::string>{"log:" + file.path});
  // psql is not mapped, the role is; both SELECTs aggregate into one
  const Statement& select = find(w, "catalog", "SELECT name\n  FROM products\n WHERE id = $1");
  CHECK(select.calls == 2);
  CHECK(select.total_time_ms == Approx(1.75));
  CHECK(select.role == "catalog_ro");
  CHECK(select.analysis.accesses.size() == 1);
  CHECK(select.analysis.accesses[0].table == "public.products");
  CHECK(find(w, "orders", "INSERT INTO orders (customer_id, total) VALUES ($1, $2)").calls == 1);
  CHECK(find(w, "orders", "SELECT total FROM orders WHERE id = $1").calls == 1);
  CHECK(find(w, "billing", "/* module='billing' */ UPDATE invoices SET paid = $1 WHERE id = $2")
            .calls == 1);
  CHECK(w.statements.size() == 5);  // BEGIN/COMMIT, postgres' and the other db's are skipped
  CHECK(w.unparsed == std::vector<std::string>{"SELEC broken"});

  REQUIRE(w.transactions.size() == 2);
  CHECK(w.transactions[0].id == "731");
  CHECK(w.transactions[0].module == "orders");
  CHECK(w.transactions[0].tables_written == Strings{"inventory.stock", "public.orders"});
  CHECK(w.transactions[0].statements.size() == 4);
  CHECK(w.transactions[0].statements.front() == "BEGIN");
  CHECK(w.transactions[1].id == "303:5/2");
  CHECK(w.transactions[1].module == "billing");
  CHECK(w.transactions[1].tables_written == Strings{"public.invoices"});
}

TEST_CASE("a custom log_line_prefix with %c sessions and no vxid groups by BEGIN/COMMIT", "[log]") {
  const char* log =
      "[2024-05-01 10:00:00 UTC] 6630a.1 shop/alice: LOG:  statement: START TRANSACTION\n"
      "[2024-05-01 10:00:00 UTC] 6630b.1 shop/bob: LOG:  statement: INSERT INTO t2 VALUES (1)\n"
      "[2024-05-01 10:00:00 UTC] 6630a.1 shop/alice: LOG:  statement: DELETE FROM t1\n"
      "[2024-05-01 10:00:00 UTC] 6630a.1 shop/alice: LOG:  statement: ROLLBACK TO SAVEPOINT s\n"
      "[2024-05-01 10:00:00 UTC] 6630a.1 shop/alice: LOG:  statement: UPDATE t3 SET x = 1\n"
      "[2024-05-01 10:00:00 UTC] 6630a.1 shop/alice: LOG:  statement: END\n";
  TempLog file(log, ".log");
  LogOptions options;
  options.line_prefix = "[%t] %c.%l %d/%u: ";
  Workload w = read_log_file(file.path, options, AttributionOptions{}, NameResolver{});
  REQUIRE(w.transactions.size() == 2);
  CHECK(w.transactions[0].id == "6630b:2");  // session and sequence in the log
  CHECK(w.transactions[0].module == "bob");
  CHECK(w.transactions[0].tables_written == Strings{"public.t2"});
  CHECK(w.transactions[1].module == "alice");
  CHECK(w.transactions[1].tables_written == Strings{"public.t1", "public.t3"});
}

TEST_CASE("a csvlog with quoted multi-line statements is read", "[log]") {
  // PG15 csvlog: log_time,user,db,pid,from,session,line,tag,start,vxid,xid,severity,state,
  // message,detail,hint,iq,iqpos,context,query,qpos,location,application_name,backend,...
  auto row = [](std::string user, std::string session, std::string vxid, std::string message,
                std::string app) {
    return "2024-05-01 10:00:00.001 UTC,\"" + user + "\",\"shop\",101,\"127.0.0.1:5000\"," +
           session + ",1,\"idle\",2024-05-01 09:00:00 UTC," + vxid + ",0,LOG,00000,\"" + message +
           "\",,,,,,,,,\"" + app + "\",\"client backend\",,0\n";
  };
  std::string log =
      row("shipper", "s1", "3/1", "statement: BEGIN", "shipping") +
      row("shipper", "s1", "3/1",
          "statement: INSERT INTO shipments (note)\nVALUES ('say \"\"hi\"\", ok')", "shipping") +
      row("shipper", "s1", "3/1", "statement: UPDATE orders SET status = 'sent'", "shipping") +
      row("shipper", "s1", "3/1", "statement: COMMIT", "shipping") +
      row("reader", "s2", "4/1", "duration: 2.000 ms  statement: SELECT 1 FROM x", "");
  TempLog file(log, ".csv");
  Workload w = read_log_file(file.path, LogOptions{}, AttributionOptions{}, NameResolver{});
  CHECK(find(w, "shipping", "INSERT INTO shipments (note)\nVALUES ($1)").calls == 1);
  CHECK(find(w, "reader", "SELECT $1 FROM x").total_time_ms == Approx(2.0));
  REQUIRE(w.transactions.size() == 1);
  CHECK(w.transactions[0].id == "s1:3/1");
  CHECK(w.transactions[0].tables_written == Strings{"public.orders", "public.shipments"});
  // the same content is found to be csv without the file name saying so
  TempLog unnamed(log, ".txt");
  CHECK(read_log_file(unnamed.path, LogOptions{}, AttributionOptions{}, NameResolver{})
            .transactions.size() == 1);
}

TEST_CASE("an unreadable log file is a usage error naming it", "[log]") {
  LogOptions options;
  options.format = LogFormat::stderr_text;
  try {
    read_log_file("/nonexistent/pg.log", options, AttributionOptions{}, NameResolver{});
    FAIL("no error");
  } catch (const dbsplit::UsageError& e) {
    CHECK(std::string(e.what()) ==
          "cannot read log file /nonexistent/pg.log: No such file or directory");
  }
}

TEST_CASE("merge sums identical statements and keeps the others", "[log]") {
  TempLog file(kStderrLog, ".log");
  AttributionOptions attribution;
  attribution.module_map = {{"orders-api", "orders"}};
  Workload a = read_log_file(file.path, LogOptions{}, attribution, NameResolver{});
  Workload b = read_log_file(file.path, LogOptions{}, attribution, NameResolver{});
  size_t distinct = a.statements.size();
  dbsplit::workload::merge(a, std::move(b));
  CHECK(a.statements.size() == distinct);
  CHECK(find(a, "orders", "SELECT total FROM orders WHERE id = $1").calls == 2);
  CHECK(a.transactions.size() == 6);  // 3 writing ones (all databases) per read
  CHECK(a.sources.size() == 2);
}
