// The command model: argument names and types from the parse tree of the statement a write
// endpoint replaces (the three sample statements and edge cases), the statements it
// cannot serve, and how generate and serve present a command.
#include "core/codegen/command_model.hpp"

#include <catch2/catch.hpp>

#include "core/codegen/client.hpp"
#include "core/codegen/openapi.hpp"
#include "core/runtime/statements.hpp"
#include "tests/unit/plan_fixture.hpp"

using namespace dbsplit;
using codegen::ArgumentRole;

namespace {

catalog::Column with_default(catalog::Column c, std::string expression) {
  c.default_expr = std::move(expression);
  return c;
}

catalog::Column identity(catalog::Column c) {
  c.identity = "d";
  return c;
}

// The sample's stock, invoices and users, as the catalog describes them.
catalog::Schema sample_schema() {
  catalog::Schema s;
  s.database = "shop";
  s.schemas = {"public"};
  catalog::Table stock = test::table(
      "stock",
      {test::column("product_id", "bigint", 1, true),
       test::column("warehouse_id", "integer", 2, true),
       test::column("quantity", "integer", 3, true),
       with_default(test::column("updated_at", "timestamp with time zone", 4, true), "now()")});
  stock.primary_key = {"product_id", "warehouse_id"};
  catalog::Table invoices = test::table(
      "invoices",
      {identity(test::column("id", "bigint", 1, true)), test::column("order_id", "bigint", 2, true),
       test::column("user_id", "bigint", 3, true),
       with_default(test::column("number", "bigint", 4, true),
                    "nextval('document_number_seq'::regclass)"),
       test::column("amount_cents", "integer", 5, true),
       with_default(test::column("status", "text", 6, true), "'open'::text"),
       with_default(test::column("issued_at", "timestamp with time zone", 7, true), "now()")});
  catalog::Table orders = test::table("orders", {identity(test::column("id", "bigint", 1, true)),
                                                 test::column("user_id", "bigint", 2, true)});
  catalog::Table users = test::table(
      "users", {identity(test::column("id", "bigint", 1, true)), test::column("email", "text", 2),
                test::column("name", "text", 3), test::column("status", "text", 4),
                with_default(test::column("order_count", "integer", 5, true), "0")});
  s.tables = {invoices, orders, stock, users};
  return s;
}

// The plan of a service "owner" owning every table, with one write endpoint "cmd".
plan::Plan plan_with(const std::string& table, const std::string& sql,
                     std::vector<std::string> returned = {}) {
  plan::Plan p;
  p.database = "shop";
  p.schema = sample_schema();
  p.services = {{"owner",
                 {"public.invoices", "public.orders", "public.stock", "public.users"},
                 {"owner"},
                 "svc_owner",
                 "embedded"}};
  plan::ApiEndpoint e;
  e.name = "cmd";
  e.service = "owner";
  e.resource = table;
  e.method = plan::ApiEndpoint::Method::write;
  e.returned_columns = std::move(returned);
  e.replaces = sql;
  plan::Dependency d;
  d.id = "write.consumer." + table;
  d.pattern = analysis::Pattern::owner_api_write;
  d.consumer = "consumer";
  d.endpoint = e;
  p.dependencies = {d};
  return p;
}

codegen::Command command(const std::string& table, const std::string& sql,
                         std::vector<std::string> returned = {}) {
  auto api = codegen::describe_service(plan_with(table, sql, std::move(returned)), "owner");
  REQUIRE(api.commands.size() == 1);
  return api.commands[0];
}

std::vector<std::string> names(const codegen::Command& c) {
  std::vector<std::string> out;
  for (const auto& a : c.arguments) out.push_back(a.name);
  return out;
}

const char* kUpdateStock =
    "UPDATE stock SET quantity = quantity - $1, updated_at = now()\n"
    "WHERE product_id = $2 AND warehouse_id = $3 AND quantity >= $4";
const char* kCreateInvoice =
    "INSERT INTO invoices (order_id, user_id, amount_cents)\nVALUES ($1, $2, $3 * $4 + $5 * $6)";
const char* kUpdateUser = "UPDATE users SET order_count = order_count + $1 WHERE id = $2";

}  // namespace

TEST_CASE("update_stock: decrement, equality and at_least arguments typed by their columns") {
  auto c = command("public.stock", kUpdateStock, {"quantity", "updated_at"});
  CHECK(c.unsupported.empty());
  CHECK(c.path == "/commands/cmd");
  CHECK(c.operation == "cmd_command");
  CHECK(c.kind == codegen::CommandKind::update);
  CHECK(names(c) == std::vector<std::string>{"quantity_decrement", "product_id", "warehouse_id",
                                             "quantity_at_least"});
  CHECK(c.arguments[0].role == ArgumentRole::decrement);
  CHECK(c.arguments[3].role == ArgumentRole::at_least);
  CHECK(c.arguments[1].field.sql_type == "bigint");
  CHECK(c.arguments[1].field.kind == codegen::ValueKind::int64);
  CHECK(c.arguments[2].field.kind == codegen::ValueKind::int32);
  CHECK(c.arguments[1].field.nullable);  // an explicit null is allowed
  CHECK(c.arguments[0].typed == codegen::CommandArgument::Typed::yes);
  CHECK(c.columns ==
        std::vector<std::string>{"product_id", "warehouse_id", "quantity", "updated_at"});
  CHECK(c.volatile_columns == std::vector<std::string>{"updated_at"});
  CHECK(c.target == "stock");
  REQUIRE(c.sites.size() == 4);
  CHECK(c.statement.substr(c.sites[0].offset, c.sites[0].length) == "$1");
}

TEST_CASE("create_invoice: insert columns, parts of an expression, volatile defaults") {
  auto c = command("public.invoices", kCreateInvoice, {"amount_cents", "order_id", "user_id"});
  CHECK(c.kind == codegen::CommandKind::insert);
  CHECK(names(c) == std::vector<std::string>{"order_id", "user_id", "amount_cents_1",
                                             "amount_cents_2", "amount_cents_3", "amount_cents_4"});
  CHECK(c.arguments[0].role == ArgumentRole::insert_value);
  CHECK(c.arguments[4].role == ArgumentRole::expression_part);
  CHECK(c.arguments[4].field.sql_type == "integer");
  CHECK(c.columns == std::vector<std::string>{"id", "amount_cents", "order_id", "user_id"});
  // identity, nextval() and now() differ between two runs; the cast 'open'::text does not.
  CHECK(c.volatile_columns == std::vector<std::string>{"id", "issued_at", "number"});
}

TEST_CASE("update_user: increment and key") {
  auto c = command("public.users", kUpdateUser, {"order_count"});
  CHECK(names(c) == std::vector<std::string>{"order_count_increment", "id"});
  CHECK(c.arguments[0].role == ArgumentRole::increment);
  CHECK(c.volatile_columns.empty());
  CHECK(codegen::change_of(c.kind) == "updated");
}

TEST_CASE("argument names: IN lists, casts, reversed and other comparisons, duplicates") {
  CHECK(names(command("public.users", "DELETE FROM users WHERE id IN ($1, $2) AND status = $3")) ==
        std::vector<std::string>{"id", "id_2", "status"});
  CHECK(names(command("public.users", "UPDATE users SET name = $1::text WHERE id = $2::bigint")) ==
        std::vector<std::string>{"name", "id"});
  CHECK(names(command("public.stock",
                      "DELETE FROM stock WHERE quantity <= $1 AND warehouse_id <> $2 AND $3 < "
                      "quantity AND product_id > $4 AND quantity < $5")) ==
        std::vector<std::string>{"quantity_at_most", "warehouse_id_not", "quantity_above",
                                 "product_id_above", "quantity_below"});
  CHECK(names(command("public.users", "DELETE FROM users WHERE id BETWEEN $1 AND $2")) ==
        std::vector<std::string>{"id_at_least", "id_at_most"});
  CHECK(names(command("public.users", "UPDATE users SET name = $1 WHERE name = $2")) ==
        std::vector<std::string>{"name", "name_2"});
  CHECK(names(command("public.users", "UPDATE users SET name = $2 || ' ' || $1 WHERE id = $3")) ==
        std::vector<std::string>{"name_2", "name_1", "id"});
  auto other = command("public.users", "UPDATE users SET name = 'x' WHERE lower(email) = $1");
  CHECK(names(other) == std::vector<std::string>{"arg1"});
  CHECK(other.arguments[0].typed == codegen::CommandArgument::Typed::no);
  CHECK(other.arguments[0].field.kind == codegen::ValueKind::text);
}

TEST_CASE("the same $N used twice is one argument, cast at every use") {
  auto c = command("public.users",
                   "UPDATE users SET order_count = order_count + $1 WHERE id = $2 AND "
                   "order_count + $1 < 100;");
  CHECK(names(c) == std::vector<std::string>{"order_count_increment", "id"});
  CHECK(c.sites.size() == 3);
  CHECK(c.statement.back() == '0');  // the trailing ';' is gone
  auto api = codegen::describe_service(plan_with("public.users", ""), "owner");
  auto st = runtime::command_statement(c, *api.find_resource("public.users"), "owner",
                                       "dbsplit_outbox.owner", {"1", "7"});
  CHECK(st.sql.rfind("WITH w AS (UPDATE users SET order_count = order_count + ($1::integer) "
                     "WHERE id = ($2::bigint) AND order_count + ($1::integer) < 100\n"
                     "RETURNING users.*), o AS (INSERT INTO dbsplit_outbox.owner",
                     0) == 0);
  CHECK(st.params.size() == 4);  // the arguments, then aggregate and event type
  CHECK(st.params[3] == "owner.users.updated");
}

TEST_CASE("INSERT ... SELECT, DELETE and a read-only WITH are commands") {
  auto c = command("public.invoices",
                   "INSERT INTO invoices (order_id, user_id, amount_cents) SELECT o.id, o.user_id, "
                   "$1 FROM orders o WHERE o.id = $2");
  CHECK(names(c) == std::vector<std::string>{"amount_cents", "id"});
  CHECK(c.arguments[0].typed == codegen::CommandArgument::Typed::yes);
  // o.id is a column of orders, not of invoices: PostgreSQL infers its type.
  CHECK(c.arguments[1].typed == codegen::CommandArgument::Typed::no);
  auto removed = command("public.stock", "DELETE FROM stock s WHERE s.product_id = $1");
  CHECK(removed.kind == codegen::CommandKind::remove);
  CHECK(removed.target == "s");
  CHECK(names(removed) == std::vector<std::string>{"product_id"});
  auto with = command("public.users",
                      "WITH x AS (SELECT $2::bigint AS id) UPDATE users u SET name = $1 FROM x "
                      "WHERE u.id = x.id");
  CHECK(with.unsupported.empty());
  CHECK(names(with) == std::vector<std::string>{"name", "arg2"});
}

TEST_CASE("statements a command cannot wrap are kept, with the reason") {
  auto returning = command("public.users", "UPDATE users SET name = $1 WHERE id = $2 RETURNING id");
  CHECK(returning.unsupported ==
        "it has its own RETURNING clause; the command adds one to record its outbox events");
  CHECK(returning.arguments.empty());
  CHECK(command("public.users",
                "WITH gone AS (DELETE FROM orders WHERE id = $1 RETURNING user_id) UPDATE users "
                "SET name = 'x' WHERE id IN (SELECT user_id FROM gone)")
            .unsupported ==
        "its WITH clause writes; PostgreSQL allows that only at the top level, where the "
        "command's outbox insert goes");
  CHECK(command("public.users", "UPDATE users SET name = $1; DELETE FROM users").unsupported ==
        "it holds 2 statements; a command runs exactly one");
  CHECK(command("public.users", "UPDATE orders SET user_id = $1").unsupported ==
        "it writes orders, not the endpoint's table public.users");
  CHECK(command("public.users", "SELECT 1").unsupported == "it is not an INSERT, UPDATE or DELETE");
  CHECK(command("public.users", "UPDATE users SET").unsupported.rfind("it does not parse: ", 0) ==
        0);
  CHECK(command("public.users", "UPDATE users SET name = $1", {"nickname"}).unsupported ==
        "it returns column nickname, which public.users lacks");
}

TEST_CASE("generate: an OpenAPI operation and a client method per command; unsupported listed") {
  plan::Plan p = plan_with("public.stock", kUpdateStock, {"quantity", "updated_at"});
  plan::Dependency broken = p.dependencies[0];
  broken.id = "write.consumer.public.users";
  broken.endpoint->name = "update_user";
  broken.endpoint->resource = "public.users";
  broken.endpoint->replaces = "UPDATE users SET name = $1 RETURNING id";
  p.dependencies.push_back(broken);
  auto api = codegen::describe_service(p, "owner");
  auto doc = codegen::openapi_document(api, "shop");
  const auto& post = doc["paths"]["/commands/cmd"]["post"];
  CHECK(post["operationId"] == "cmd_command");
  CHECK(post["tags"] == nlohmann::ordered_json({"commands"}));
  CHECK(post["parameters"][0]["name"] == "dry_run");
  CHECK(post["responses"].contains("409"));
  const auto& request = doc["components"]["schemas"]["CmdRequest"];
  CHECK(request["required"] == nlohmann::ordered_json({"quantity_decrement", "product_id",
                                                       "warehouse_id", "quantity_at_least"}));
  CHECK(request["properties"]["product_id"]["format"] == "int64");
  CHECK(doc["components"]["schemas"]["CmdRow"]["required"] ==
        nlohmann::ordered_json({"product_id", "warehouse_id", "quantity", "updated_at"}));
  CHECK(!doc["paths"].contains("/commands/update_user"));
  CHECK(doc["x-dbsplit-unsupported"][0]["command"] == "update_user");

  std::string header = codegen::client_header(api);
  CHECK(header.find(
            "  CmdResult cmd_command(const CmdRequest& request, DryRun dry_run = DryRun::no);") !=
        std::string::npos);
  CHECK(header.find("  std::optional<int64_t> product_id;  // $2, bigint\n") != std::string::npos);
  CHECK(header.find("// Not in this client: command update_user") != std::string::npos);
}
