// The statement executor of `serve` against a real PostgreSQL: each statement is prepared
// once per pooled connection, the cache is bounded, a schema change that alters a cached
// statement's result is replanned and retried, and a broken connection is replaced by one
// that prepares its statements again.
#include <catch2/catch.hpp>
#include <set>

#include "core/runtime/executor.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;
using runtime::ConnectionPool;
using runtime::execute;
using runtime::Statement;

namespace {

Statement sql(const std::string& text, std::vector<std::optional<std::string>> params = {}) {
  Statement st;
  st.sql = text;
  st.params = std::move(params);
  return st;
}

// The SQL texts prepared on the pool's (only) connection, asked through the pool itself.
std::set<std::string> prepared(ConnectionPool& pool) {
  std::set<std::string> out;
  for (const auto& row : execute(pool, sql("SELECT statement FROM pg_prepared_statements")))
    out.insert(row[0].c_str());
  return out;
}

const char* kListPrepared = "SELECT statement FROM pg_prepared_statements";

}  // namespace

TEST_CASE("a statement is prepared once per connection and then only executed") {
  std::string url = test::fresh_database("executor");
  ConnectionPool pool(url, 1);
  const std::string add = "SELECT $1::int + 1";
  CHECK(execute(pool, sql(add, {"41"}))[0][0].as<int>() == 42);
  CHECK(execute(pool, sql(add, {"1"}))[0][0].as<int>() == 2);
  CHECK(execute(pool, sql(add, {std::nullopt}))[0][0].is_null());
  CHECK(prepared(pool) == std::set<std::string>{add, kListPrepared});
}

TEST_CASE("each connection keeps at most its capacity of statements, dropping the oldest") {
  std::string url = test::fresh_database("executor");
  ConnectionPool pool(url, 1, 3);
  execute(pool, sql("SELECT 1"));
  execute(pool, sql("SELECT 2"));
  execute(pool, sql("SELECT 3"));
  execute(pool, sql("SELECT 2"));  // now 1 is the least recently used
  // Listing them is a fourth statement: SELECT 1 makes room for it.
  CHECK(prepared(pool) == std::set<std::string>{"SELECT 2", "SELECT 3", kListPrepared});
  CHECK(execute(pool, sql("SELECT 1"))[0][0].as<int>() == 1);
}

TEST_CASE("a cached statement whose result columns change is prepared again and answers") {
  std::string url = test::fresh_database("executor");
  test::exec_sql(url, "CREATE TABLE t (id int PRIMARY KEY, a text); INSERT INTO t VALUES (1, 'x')");
  ConnectionPool pool(url, 1);
  const std::string select = "SELECT * FROM t WHERE id = $1";
  CHECK(execute(pool, sql(select, {"1"}))[0].size() == 2);

  // PostgreSQL refuses to run the cached plan: "cached plan must not change result type".
  test::exec_sql(url, "ALTER TABLE t ADD COLUMN b int DEFAULT 7");
  auto row = execute(pool, sql(select, {"1"}))[0];
  REQUIRE(row.size() == 3);
  CHECK(row["b"].as<int>() == 7);

  SECTION("inside a transaction the error surfaces, and the next use prepares it again") {
    test::exec_sql(url, "ALTER TABLE t DROP COLUMN a");
    {
      auto lease = pool.acquire();
      pqxx::work tx(*lease);
      CHECK_THROWS_AS(runtime::execute_in(tx, lease, sql(select, {"1"})),
                      pqxx::feature_not_supported);
    }
    auto again = execute(pool, sql(select, {"1"}))[0];
    CHECK(again.size() == 2);
    CHECK(prepared(pool).count(select) == 1);
  }
}

TEST_CASE("a broken connection is replaced and its statements are prepared again") {
  std::string url = test::fresh_database("executor");
  ConnectionPool pool(url, 1);
  const std::string pid = "SELECT pg_backend_pid()";
  int first = execute(pool, sql(pid))[0][0].as<int>();
  test::exec_sql(url, "SELECT pg_terminate_backend(" + std::to_string(first) + ")");

  CHECK_THROWS_AS(execute(pool, sql(pid)), pqxx::broken_connection);
  int second = execute(pool, sql(pid))[0][0].as<int>();
  CHECK(second != first);
  CHECK(prepared(pool) == std::set<std::string>{pid, kListPrepared});
}
