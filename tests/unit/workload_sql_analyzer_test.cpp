#include <catch2/catch.hpp>

#include "core/workload/sql_analyzer.hpp"

using dbsplit::workload::analyze_statement;
using dbsplit::workload::is_utility;
using dbsplit::workload::NameResolver;
using dbsplit::workload::StatementAnalysis;
using dbsplit::workload::TableAccess;
using Strings = std::set<std::string>;
using Pairs = std::set<std::pair<std::string, std::string>>;

namespace {

// "r" read, "w" write, "l" lock, e.g. "rl" for SELECT ... FOR UPDATE.
std::map<std::string, std::string> flags(const StatementAnalysis& a) {
  std::map<std::string, std::string> out;
  for (const auto& t : a.accesses)
    out[t.table] = std::string(t.read ? "r" : "") + (t.write ? "w" : "") + (t.lock ? "l" : "");
  return out;
}

const TableAccess& table(const StatementAnalysis& a, const std::string& name) {
  for (const auto& t : a.accesses)
    if (t.table == name) return t;
  FAIL("no access to " << name);
  throw;
}

StatementAnalysis analyze(const std::string& sql, const NameResolver& r = NameResolver{}) {
  auto a = analyze_statement(sql, r);
  INFO(sql << " → " << a.parse_error);
  REQUIRE(a.parsed);
  return a;
}

dbsplit::catalog::Table make_table(std::string schema, std::string name,
                                   std::vector<std::string> columns) {
  dbsplit::catalog::Table t;
  t.schema = std::move(schema);
  t.name = std::move(name);
  int position = 0;
  for (auto& c : columns) {
    dbsplit::catalog::Column col;
    col.name = c;
    col.position = ++position;
    t.columns.push_back(col);
  }
  return t;
}

// A shop catalog: orders and customers in public, stock in app, a view in public.
dbsplit::catalog::Schema shop() {
  dbsplit::catalog::Schema s;
  s.tables = {make_table("app", "items", {"id", "sku", "qty"}),
              make_table("app", "orders", {"id", "note"}),
              make_table("public", "customers", {"id", "name", "email"}),
              make_table("public", "orders", {"id", "customer_id", "total", "status"})};
  dbsplit::catalog::View v;
  v.schema = "public";
  v.name = "order_totals";
  s.views = {v};
  return s;
}

}  // namespace

TEST_CASE("plain SELECT reads, resolves aliases and reports the join pair", "[sql]") {
  auto a = analyze(
      "SELECT o.id, c.name FROM orders o JOIN customers AS c ON c.id = o.customer_id "
      "WHERE o.status = 'paid'");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.customers", "r"}, {"public.orders", "r"}});
  CHECK(a.joins == Pairs{{"public.customers", "public.orders"}});
  CHECK(table(a, "public.orders").columns_read == Strings{"id"});
  CHECK(table(a, "public.orders").columns_filtered == Strings{"customer_id", "status"});
  CHECK(table(a, "public.customers").columns_read == Strings{"name"});
  CHECK(table(a, "public.customers").columns_filtered == Strings{"id"});
  CHECK(a.statement_kinds == std::vector<std::string>{"SelectStmt"});
}

TEST_CASE("comma joins and USING pair every table of the FROM", "[sql]") {
  auto a = analyze("SELECT 1 FROM a, b JOIN c USING (k) WHERE a.x = b.x");
  CHECK(a.joins ==
        Pairs{{"public.a", "public.b"}, {"public.a", "public.c"}, {"public.b", "public.c"}});
  CHECK(table(a, "public.b").columns_filtered == Strings{"k", "x"});
  CHECK(table(a, "public.c").columns_filtered == Strings{"k"});
}

TEST_CASE("schema-qualified and quoted mixed-case names keep their spelling", "[sql]") {
  auto a = analyze(R"(SELECT m."Id" FROM sales."Mixed" m JOIN "Other" ON true)");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.Other", "r"}, {"sales.Mixed", "r"}});
  CHECK(table(a, "sales.Mixed").columns_read == Strings{"Id"});
}

TEST_CASE("a CTE name is not a table; a writable CTE writes", "[sql]") {
  auto a = analyze(
      "WITH moved AS (DELETE FROM cart_items WHERE cart_id = $1 RETURNING sku, qty), "
      "totals AS (SELECT sku, sum(qty) AS n FROM moved GROUP BY sku) "
      "INSERT INTO order_lines (sku, qty) SELECT sku, n FROM totals");
  CHECK(flags(a) == std::map<std::string, std::string>{{"public.cart_items", "w"},
                                                       {"public.order_lines", "w"}});
  CHECK(table(a, "public.order_lines").columns_written == Strings{"qty", "sku"});
  CHECK(table(a, "public.cart_items").columns_filtered == Strings{"cart_id"});
  CHECK(table(a, "public.cart_items").columns_read == Strings{"qty", "sku"});
  CHECK(a.joins.empty());
}

TEST_CASE("a CTE shadowing a table name hides the table only outside its definition", "[sql]") {
  auto a = analyze("WITH orders AS (SELECT * FROM orders WHERE id > 5) SELECT * FROM orders");
  CHECK(flags(a) == std::map<std::string, std::string>{{"public.orders", "r"}});
  auto r = analyze(
      "WITH RECURSIVE tree AS (SELECT id FROM nodes WHERE parent IS NULL UNION ALL "
      "SELECT n.id FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree");
  CHECK(flags(r) == std::map<std::string, std::string>{{"public.nodes", "r"}});
  CHECK(table(r, "public.nodes").columns_filtered == Strings{"parent"});
}

TEST_CASE("subqueries in FROM, WHERE and the target list are walked", "[sql]") {
  auto a = analyze(
      "SELECT s.total, (SELECT max(p.amount) FROM payments p WHERE p.order_id = s.id) "
      "FROM (SELECT id, total FROM orders WHERE status = $1) s "
      "WHERE s.id IN (SELECT order_id FROM refunds)");
  CHECK(flags(a) == std::map<std::string, std::string>{
                        {"public.orders", "r"}, {"public.payments", "r"}, {"public.refunds", "r"}});
  CHECK(table(a, "public.orders").columns_read == Strings{"id", "total"});
  CHECK(table(a, "public.orders").columns_filtered == Strings{"status"});
  CHECK(table(a, "public.payments").columns_filtered == Strings{"order_id"});
  // correlated (payments → s over orders) and IN (refunds tested against s.id)
  CHECK(a.joins ==
        Pairs{{"public.orders", "public.payments"}, {"public.orders", "public.refunds"}});
}

TEST_CASE("a correlated EXISTS joins; an uncorrelated scalar subquery does not", "[sql]") {
  auto a = analyze(
      "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = "
      "c.id) AND c.tier = (SELECT max(tier) FROM tiers)");
  CHECK(a.joins == Pairs{{"public.customers", "public.orders"}});
}

TEST_CASE("search_path resolution with a catalog picks the first schema holding it", "[sql]") {
  auto schema = shop();
  NameResolver r{{"app", "public"}, &schema};
  CHECK(r.resolve("", "customers") == "public.customers");
  CHECK(r.resolve("", "orders") == "app.orders");
  CHECK(r.resolve("", "order_totals") == "public.order_totals");
  CHECK(r.resolve("", "unknown") == "app.unknown");
  CHECK(r.resolve("public", "orders") == "public.orders");
  CHECK(NameResolver{{"$user", "shop"}, nullptr}.resolve("", "t") == "shop.t");
  CHECK(NameResolver{}.resolve("", "pg_class") == "pg_catalog.pg_class");
  auto a = analyze("SELECT * FROM orders JOIN items ON items.id = orders.id", r);
  CHECK(flags(a) == std::map<std::string, std::string>{{"app.items", "r"}, {"app.orders", "r"}});
  CHECK(table(a, "app.orders").columns_read == Strings{"id", "note"});
  CHECK(table(a, "app.items").columns_read == Strings{"id", "qty", "sku"});
}

TEST_CASE("a view is reported as a read of the view", "[sql]") {
  auto schema = shop();
  auto a = analyze("SELECT * FROM order_totals WHERE customer_id = $1",
                   NameResolver{{"public"}, &schema});
  CHECK(flags(a) == std::map<std::string, std::string>{{"public.order_totals", "r"}});
}

TEST_CASE("unqualified columns go to the only table having them when the catalog is known",
          "[sql]") {
  auto schema = shop();
  NameResolver r{{"public"}, &schema};
  auto a = analyze(
      "SELECT name, total FROM customers JOIN orders ON customer_id = customers.id "
      "WHERE email = $1 AND id > 0",
      r);
  CHECK(table(a, "public.customers").columns_read == Strings{"name"});
  CHECK(table(a, "public.customers").columns_filtered == Strings{"email", "id"});
  CHECK(table(a, "public.orders").columns_read == Strings{"total"});
  CHECK(table(a, "public.orders").columns_filtered == Strings{"customer_id"});  // "id" ambiguous
  // without the catalog an unqualified column of a two-table FROM stays unknown
  auto b = analyze("SELECT name FROM customers, orders");
  CHECK(table(b, "public.customers").columns_read.empty());
  CHECK(table(analyze("SELECT name FROM customers"), "public.customers").columns_read ==
        Strings{"name"});
}

TEST_CASE("SELECT ... FOR UPDATE and LOCK TABLE lock", "[sql]") {
  auto a = analyze(
      "SELECT * FROM stock s JOIN items i ON i.id = s.item_id WHERE s.id = $1 "
      "FOR UPDATE OF s");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.items", "r"}, {"public.stock", "rl"}});
  auto all = analyze("SELECT * FROM stock, items FOR SHARE");
  CHECK(flags(all) ==
        std::map<std::string, std::string>{{"public.items", "rl"}, {"public.stock", "rl"}});
  auto lock = analyze("LOCK TABLE stock, audit.log IN SHARE ROW EXCLUSIVE MODE");
  CHECK(flags(lock) ==
        std::map<std::string, std::string>{{"audit.log", "l"}, {"public.stock", "l"}});
}

TEST_CASE("INSERT ... SELECT writes the target and reads the source", "[sql]") {
  auto a = analyze(
      "INSERT INTO archive.orders (id, total) SELECT o.id, o.total FROM orders o "
      "WHERE o.created < now() - interval '1 year' ON CONFLICT (id) DO UPDATE SET total = "
      "excluded.total RETURNING id");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"archive.orders", "w"}, {"public.orders", "r"}});
  CHECK(table(a, "archive.orders").columns_written == Strings{"id", "total"});
  CHECK(table(a, "archive.orders").columns_read == Strings{"id"});
  CHECK(table(a, "public.orders").columns_read == Strings{"id", "total"});
  CHECK(table(a, "public.orders").columns_filtered == Strings{"created"});
  CHECK(a.joins.empty());
}

TEST_CASE("INSERT without a column list writes the leading catalog columns", "[sql]") {
  auto schema = shop();
  auto a = analyze("INSERT INTO customers VALUES ($1, $2)", NameResolver{{"public"}, &schema});
  CHECK(table(a, "public.customers").columns_written == Strings{"id", "name"});
}

TEST_CASE("UPDATE ... FROM writes the target, reads and joins the FROM", "[sql]") {
  auto a = analyze(
      "UPDATE orders o SET status = 'shipped', total = o.total + s.fee FROM shipments s "
      "WHERE s.order_id = o.id AND s.id = $1");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.orders", "w"}, {"public.shipments", "r"}});
  CHECK(table(a, "public.orders").columns_written == Strings{"status", "total"});
  CHECK(table(a, "public.orders").columns_read == Strings{"total"});
  CHECK(table(a, "public.orders").columns_filtered == Strings{"id"});
  CHECK(table(a, "public.shipments").columns_read == Strings{"fee"});
  CHECK(table(a, "public.shipments").columns_filtered == Strings{"id", "order_id"});
  CHECK(a.joins == Pairs{{"public.orders", "public.shipments"}});
}

TEST_CASE("DELETE ... USING writes the target and reads the USING tables", "[sql]") {
  auto a = analyze("DELETE FROM sessions s USING users u WHERE s.user_id = u.id AND u.banned");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.sessions", "w"}, {"public.users", "r"}});
  CHECK(table(a, "public.users").columns_filtered == Strings{"banned", "id"});
  CHECK(a.joins == Pairs{{"public.sessions", "public.users"}});
}

TEST_CASE("MERGE writes its target and reads its source", "[sql]") {
  auto a = analyze(
      "MERGE INTO stock t USING incoming s ON t.sku = s.sku "
      "WHEN MATCHED THEN UPDATE SET qty = t.qty + s.qty "
      "WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (s.sku, s.qty)");
  CHECK(flags(a) ==
        std::map<std::string, std::string>{{"public.incoming", "r"}, {"public.stock", "w"}});
  CHECK(table(a, "public.stock").columns_written == Strings{"qty", "sku"});
  CHECK(table(a, "public.incoming").columns_read == Strings{"qty", "sku"});
  CHECK(table(a, "public.incoming").columns_filtered == Strings{"sku"});
  CHECK(a.joins == Pairs{{"public.incoming", "public.stock"}});
}

TEST_CASE("COPY FROM writes, COPY TO reads", "[sql]") {
  auto from = analyze("COPY inventory.stock (sku, qty) FROM STDIN");
  CHECK(flags(from) == std::map<std::string, std::string>{{"inventory.stock", "w"}});
  CHECK(table(from, "inventory.stock").columns_written == Strings{"qty", "sku"});
  auto to = analyze("COPY inventory.stock TO STDOUT");
  CHECK(flags(to) == std::map<std::string, std::string>{{"inventory.stock", "r"}});
  auto query = analyze("COPY (SELECT * FROM orders WHERE total > 0) TO STDOUT");
  CHECK(flags(query) == std::map<std::string, std::string>{{"public.orders", "r"}});
}

TEST_CASE("TRUNCATE writes; UNION reads both sides", "[sql]") {
  CHECK(flags(analyze("TRUNCATE a, b")) ==
        std::map<std::string, std::string>{{"public.a", "w"}, {"public.b", "w"}});
  auto u = analyze("SELECT id FROM a UNION SELECT id FROM b");
  CHECK(flags(u) == std::map<std::string, std::string>{{"public.a", "r"}, {"public.b", "r"}});
  CHECK(u.joins.empty());
}

TEST_CASE("normalised pg_stat_statements text with placeholders parses", "[sql]") {
  auto a = analyze("SELECT id FROM orders WHERE customer_id = $1 AND status = ANY($2) LIMIT $3");
  CHECK(table(a, "public.orders").columns_filtered == Strings{"customer_id", "status"});
}

TEST_CASE("multi-statement strings analyse every statement; utility gives nothing", "[sql]") {
  auto a = analyze("BEGIN; UPDATE a SET x = 1; INSERT INTO b (y) VALUES (2); COMMIT");
  CHECK(flags(a) == std::map<std::string, std::string>{{"public.a", "w"}, {"public.b", "w"}});
  CHECK(a.statement_kinds ==
        std::vector<std::string>{"TransactionStmt", "UpdateStmt", "InsertStmt", "TransactionStmt"});
  CHECK_FALSE(is_utility(a));
  for (const char* sql : {"SET search_path = app", "BEGIN", "COMMIT", "CREATE INDEX ON a (x)"}) {
    auto u = analyze(sql);
    CHECK(u.accesses.empty());
    CHECK(is_utility(u));
  }
}

TEST_CASE("SQL that does not parse gives parsed=false and the parser's error", "[sql]") {
  auto a = analyze_statement("SELEC id FROM orders", NameResolver{});
  CHECK_FALSE(a.parsed);
  CHECK(a.parse_error == "syntax error at or near \"SELEC\" at character 1");
  CHECK(a.accesses.empty());
  CHECK_FALSE(is_utility(a));
}
