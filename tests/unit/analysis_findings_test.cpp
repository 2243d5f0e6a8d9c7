#include <catch2/catch.hpp>

#include "analysis_fixtures.hpp"

using namespace dbsplit;
using analysis::DependencyKind;
using analysis::Pattern;
using diagnostics::Severity;
using test::find_finding;
using test::findings_with;
using test::locks;
using test::make_fk;
using test::make_table;
using test::reads;
using test::statement;
using test::writes;

namespace {

// accounts owns users, orders owns orders, catalog owns products, billing owns invoices.
catalog::Schema schema() {
  catalog::Schema s;
  s.tables = {make_table("public.invoices", {"order_id", "number"}),
              make_table("public.orders", {"user_id", "status"}),
              make_table("public.products", {"name"}),
              make_table("public.users", {"name", "email"})};
  return s;
}

// Owner statements: 1000 calls in all, so a foreign read's share is calls / (1000 + calls...).
std::vector<workload::Statement> owner_statements() {
  return {statement("accounts", 400, {writes("public.users", {"name"})}),
          statement("orders", 300, {writes("public.orders", {"status"})}),
          statement("catalog", 200, {writes("public.products", {"name"})}),
          statement("billing", 100, {writes("public.invoices", {"number"})})};
}

const analysis::Dependency* dependency(const analysis::Analysis& a, DependencyKind kind,
                                       const std::string& consumer, const std::string& owner) {
  for (const auto& d : a.dependencies)
    if (d.kind == kind && d.consumer == consumer && d.owner == owner) return &d;
  return nullptr;
}

analysis::Analysis with_reader(int64_t calls, analysis::Thresholds thresholds = {}) {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(
      statement("billing", calls, {reads("public.users", {"email", "name"}, {"id"})}));
  analysis::AnalyzeOptions options;
  options.thresholds = thresholds;
  return analysis::analyze(schema(), w, options);
}

}  // namespace

TEST_CASE("a cross-service read at or above frequent_read_share is event replication") {
  // 10 of 1000 calls = 1.00%, exactly the default threshold.
  analysis::Thresholds t;
  auto a = with_reader(10, t);
  REQUIRE(a.total_calls == 1010);
  t.frequent_read_share = 10.0 / 1010.0;
  a = with_reader(10, t);
  const auto* d = dependency(a, DependencyKind::read, "billing", "accounts");
  REQUIRE(d != nullptr);
  CHECK(d->pattern == Pattern::event_replication);
  CHECK(d->tables == std::vector<std::string>{"public.users"});
  CHECK(d->columns == std::vector<std::string>{"public.users.email", "public.users.name"});
  CHECK(d->filter_columns == std::vector<std::string>{"public.users.id"});
  CHECK(d->calls == 10);
  CHECK(d->calls_share == Approx(10.0 / 1010.0));
  const auto* f = find_finding(a, "DS112", "public.users");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::warning);
  CHECK(f->objects == std::vector<std::string>{"public.users", "billing"});
  CHECK(f->pattern ==
        "event_replication: billing keeps a local cache of the columns it reads, fed by "
        "events from accounts");
}

TEST_CASE("a cross-service read below frequent_read_share is API composition") {
  analysis::Thresholds t;
  t.frequent_read_share = 10.0 / 1010.0 + 1e-9;
  auto a = with_reader(10, t);
  const auto* d = dependency(a, DependencyKind::read, "billing", "accounts");
  REQUIRE(d != nullptr);
  CHECK(d->pattern == Pattern::api_composition);
  CHECK(d->rationale ==
        "0.99% of all calls < frequent_read_share 0.99%: rare, wants fresh data, so call the "
        "owner's API");
}

TEST_CASE("the default threshold of 1% splits rare from frequent reads") {
  CHECK(dependency(with_reader(5), DependencyKind::read, "billing", "accounts")->pattern ==
        Pattern::api_composition);  // 5 / 1005 = 0.50%
  CHECK(dependency(with_reader(50), DependencyKind::read, "billing", "accounts")->pattern ==
        Pattern::event_replication);  // 50 / 1050 = 4.76%
}

TEST_CASE("a locking read of another service's rows asks the owner even when frequent") {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement("billing", 500, {locks("public.orders")}));
  auto a = analysis::analyze(schema(), w, {});
  CHECK(dependency(a, DependencyKind::read, "billing", "orders")->pattern ==
        Pattern::api_composition);
}

TEST_CASE("a statement reading two other services' tables is a CQRS read model and DS103") {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement(
      "orders", 3,
      {reads("public.orders"), reads("public.products", {"name"}), reads("public.users", {"name"})},
      {{"public.orders", "public.products"}, {"public.orders", "public.users"}}));
  auto a = analysis::analyze(schema(), w, {});
  const auto* to_users = dependency(a, DependencyKind::join, "orders", "accounts");
  const auto* to_products = dependency(a, DependencyKind::join, "orders", "catalog");
  REQUIRE(to_users != nullptr);
  REQUIRE(to_products != nullptr);
  CHECK(to_users->pattern == Pattern::cqrs_read_model);
  CHECK(to_products->pattern == Pattern::cqrs_read_model);
  auto joins = findings_with(a, "DS103");
  REQUIRE(joins.size() == 1);
  CHECK(joins[0]->objects ==
        std::vector<std::string>{"public.orders", "public.products", "public.users", "orders"});
  CHECK(joins[0]->message.rfind("a query of orders joins tables of 3 services (accounts, catalog "
                                "and orders): ",
                                0) == 0);
}

TEST_CASE("a join of one foreign table follows the frequency rule, not CQRS") {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement("orders", 300, {reads("public.orders"), reads("public.users")},
                                   {{"public.orders", "public.users"}}));
  auto a = analysis::analyze(schema(), w, {});
  CHECK(dependency(a, DependencyKind::join, "orders", "accounts")->pattern ==
        Pattern::event_replication);
  CHECK(findings_with(a, "DS103").size() == 1);
}

TEST_CASE("reporting reads go to an analytics database") {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement("reporting", 2, {reads("public.users")}));
  w.statements.push_back(
      statement("reporting", 2, {reads("public.orders"), reads("public.invoices")}));
  auto a = analysis::analyze(schema(), w, {});
  CHECK(dependency(a, DependencyKind::read, "reporting", "accounts")->pattern ==
        Pattern::analytics_database);
  CHECK(dependency(a, DependencyKind::read, "reporting", "orders")->pattern ==
        Pattern::analytics_database);
  CHECK(dependency(a, DependencyKind::read, "reporting", "billing")->pattern ==
        Pattern::analytics_database);
}

TEST_CASE("a write to another service's table is DS113 with owner_api_write") {
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement("billing", 7, {writes("public.orders", {"status"})}));
  auto a = analysis::analyze(schema(), w, {});
  const auto* d = dependency(a, DependencyKind::write, "billing", "orders");
  REQUIRE(d != nullptr);
  CHECK(d->pattern == Pattern::owner_api_write);
  CHECK(d->columns == std::vector<std::string>{"public.orders.status"});
  const auto* f = find_finding(a, "DS113", "public.orders");
  REQUIRE(f != nullptr);
  CHECK(f->objects == std::vector<std::string>{"public.orders", "billing"});
  CHECK(f->message ==
        "billing writes public.orders of orders (7 calls in 1 statement); billing writes "
        "tables orders owns: one writer per entity");
  CHECK(find_finding(a, "DS101", "public.orders") != nullptr);
}

TEST_CASE("a transaction writing tables of several services is a saga (DS104)") {
  workload::Workload w;
  w.statements = owner_statements();
  workload::Transaction t;
  t.id = "3/17";
  t.module = "orders";
  t.tables_written = {"public.orders", "public.invoices", "public.products"};
  t.statements = {"INSERT INTO orders ...", "UPDATE products ...", "INSERT INTO invoices ..."};
  w.transactions = {t, t};
  workload::Transaction single = t;
  single.tables_written = {"public.orders"};
  w.transactions.push_back(single);
  auto a = analysis::analyze(schema(), w, {});
  auto sagas = findings_with(a, "DS104");
  REQUIRE(sagas.size() == 1);
  CHECK(sagas[0]->objects ==
        std::vector<std::string>{"public.invoices", "public.orders", "public.products", "orders"});
  CHECK(sagas[0]->message ==
        "a transaction of orders writes tables of 3 services (billing, catalog and orders): "
        "public.invoices, public.orders and public.products (2 times)");
  const auto* d = dependency(a, DependencyKind::transaction, "orders", "billing");
  REQUIRE(d != nullptr);
  CHECK(d->pattern == Pattern::saga);
  CHECK(d->calls == 2);
  CHECK(dependency(a, DependencyKind::transaction, "orders", "catalog") != nullptr);
}

TEST_CASE("schema objects spanning services are findings") {
  auto s = schema();
  s.foreign_keys = {make_fk("public.orders", "user_id", "public.users"),
                    make_fk("public.invoices", "order_id", "public.orders")};
  catalog::View v;
  v.schema = "public";
  v.name = "order_summaries";
  v.depends_on = {"public.orders", "public.users"};
  s.views = {v};
  catalog::Trigger trig;
  trig.name = "invoice_paid";
  trig.table = "public.invoices";
  trig.function = "public.mark_paid";
  trig.touches = {"public.orders"};
  s.triggers = {trig};
  catalog::Function fn;
  fn.schema = "public";
  fn.name = "close_account";
  fn.reads = {"public.orders"};
  fn.writes = {"public.users"};
  catalog::Function local_fn = fn;
  local_fn.name = "rename_user";
  local_fn.reads = {"public.users"};
  s.functions = {fn, local_fn};
  catalog::Sequence seq;
  seq.schema = "public";
  seq.name = "document_number_seq";
  seq.used_by = {"public.invoices.number", "public.orders.status"};
  s.sequences = {seq};
  catalog::UserType type;
  type.schema = "public";
  type.name = "order_status";
  type.used_by = {"public.orders.status", "public.invoices.number"};
  s.types = {type};
  workload::Workload w;
  w.statements = owner_statements();
  auto a = analysis::analyze(s, w, {});

  auto fks = findings_with(a, "DS102");
  REQUIRE(fks.size() == 2);
  CHECK(fks[0]->objects == std::vector<std::string>{"public.invoices", "public.orders"});
  CHECK(fks[0]->message ==
        "foreign key invoices_order_id_fkey of public.invoices (billing) references "
        "public.orders (orders): FOREIGN KEY (order_id) REFERENCES public.orders(id)");
  CHECK(fks[1]->objects == std::vector<std::string>{"public.orders", "public.users"});
  const auto* fk = dependency(a, DependencyKind::foreign_key, "orders", "accounts");
  REQUIRE(fk != nullptr);
  CHECK(fk->pattern == Pattern::orphan_check);
  CHECK(fk->object == "orders_user_id_fkey");

  auto views = findings_with(a, "DS105");
  REQUIRE(views.size() == 1);
  CHECK(views[0]->objects ==
        std::vector<std::string>{"public.order_summaries", "public.orders", "public.users"});
  auto triggers = findings_with(a, "DS106");
  REQUIRE(triggers.size() == 1);
  CHECK(triggers[0]->objects == std::vector<std::string>{"public.invoices.invoice_paid",
                                                         "public.invoices", "public.orders"});
  auto functions = findings_with(a, "DS107");
  REQUIRE(functions.size() == 1);
  CHECK(functions[0]->objects ==
        std::vector<std::string>{"public.close_account", "public.orders", "public.users"});
  auto sequences = findings_with(a, "DS108");
  REQUIRE(sequences.size() == 1);
  CHECK(sequences[0]->objects ==
        std::vector<std::string>{"public.document_number_seq", "public.invoices", "public.orders"});
  auto types = findings_with(a, "DS109");
  REQUIRE(types.size() == 1);
  CHECK(types[0]->message ==
        "enum type public.order_status spans 2 services (billing and orders): public.invoices "
        "and public.orders");
  for (const char* code : {"DS102", "DS105", "DS106", "DS107", "DS108", "DS109"})
    for (const auto* f : findings_with(a, code)) CHECK(f->severity == Severity::warning);
}

TEST_CASE("a table without primary key or replica identity blocks replication (DS110)") {
  auto s = schema();
  s.tables.push_back(make_table("public.price_history", {"price"}, true));
  auto full = make_table("public.audit_log", {"entry"}, true);
  full.replica_identity = 'f';
  s.tables.push_back(full);
  auto nothing = make_table("public.scratch", {"x"});
  nothing.replica_identity = 'n';
  s.tables.push_back(nothing);
  auto a = analysis::analyze(s, {}, {});
  auto blocked = findings_with(a, "DS110");
  REQUIRE(blocked.size() == 2);
  CHECK(blocked[0]->severity == Severity::error);
  CHECK(blocked[0]->objects == std::vector<std::string>{"public.price_history"});
  CHECK(blocked[0]->message ==
        "public.price_history has no primary key and no replica identity: logical replication "
        "cannot copy its UPDATEs and DELETEs, which blocks the database stage");
  CHECK(blocked[1]->objects == std::vector<std::string>{"public.scratch"});
  CHECK(blocked[1]->message.find("has REPLICA IDENTITY NOTHING") != std::string::npos);
}

TEST_CASE("unparsed statements are counted and reported (DS114)") {
  workload::Workload w;
  w.statements = owner_statements();
  w.unparsed = {"SELEC oops", "UPDATE"};
  auto a = analysis::analyze(schema(), w, {});
  CHECK(a.unparsed_statements == 2);
  const auto* f = find_finding(a, "DS114", "SELEC oops");
  REQUIRE(f != nullptr);
  CHECK(f->message == "2 statements did not parse and were left out of the analysis");
}

TEST_CASE("findings are sorted by severity, then code") {
  auto s = schema();
  s.tables.push_back(make_table("public.price_history", {"price"}, true));
  s.foreign_keys = {make_fk("public.orders", "user_id", "public.users")};
  workload::Workload w;
  w.statements = owner_statements();
  w.statements.push_back(statement("orders", 10, {writes("public.users")}));
  auto a = analysis::analyze(s, w, {});
  std::vector<std::string> codes;
  for (const auto& f : a.findings) codes.push_back(f.code);
  CHECK(codes == std::vector<std::string>{"DS101", "DS110", "DS102", "DS113", "DS111"});
}
