#pragma once
// A small hand-made analysis of a three-service shop, for the plan tests: accounts owns
// users, catalog owns products, orders owns orders and order_items; orders reads users
// rarely (API), reads products often (cache), and order_items references products (FK).
#include "core/analysis/model.hpp"

namespace dbsplit::test {

inline catalog::Column column(std::string name, std::string type, int position,
                              bool not_null = false) {
  catalog::Column c;
  c.name = std::move(name);
  c.type = type;
  c.type_schema = "pg_catalog";
  c.type_name = std::move(type);
  c.not_null = not_null;
  c.position = position;
  return c;
}

inline catalog::Table table(std::string name, std::vector<catalog::Column> columns) {
  catalog::Table t;
  t.schema = "public";
  t.name = std::move(name);
  t.columns = std::move(columns);
  t.primary_key = {"id"};
  t.primary_key_name = t.name + "_pkey";
  return t;
}

inline catalog::ForeignKey foreign_key(std::string name, std::string table, std::string column,
                                       std::string ref_table) {
  catalog::ForeignKey f;
  f.name = std::move(name);
  f.table = std::move(table);
  f.columns = {column};
  f.ref_table = ref_table;
  f.ref_columns = {"id"};
  f.on_delete = "a";
  f.on_update = "a";
  f.definition = "FOREIGN KEY (" + column + ") REFERENCES " + ref_table + "(id)";
  return f;
}

inline analysis::Analysis shop_analysis() {
  analysis::Analysis a;
  a.database = "shop";
  auto& s = a.schema;
  s.database = "shop";
  s.server_version = "15.0";
  s.schemas = {"public"};
  s.tables = {
      table("order_items",
            {column("id", "bigint", 1, true), column("order_id", "bigint", 2, true),
             column("product_id", "bigint", 3, true), column("quantity", "integer", 4)}),
      table("orders", {column("id", "bigint", 1, true), column("user_id", "bigint", 2, true),
                       column("total", "numeric(12,2)", 3)}),
      table("products", {column("id", "bigint", 1, true), column("name", "text", 2),
                         column("price", "numeric(12,2)", 3), column("stock", "integer", 4)}),
      table("users", {column("id", "bigint", 1, true), column("email", "text", 2, true),
                      column("name", "text", 3)})};
  s.foreign_keys = {
      foreign_key("order_items_order_id_fkey", "public.order_items", "order_id", "public.orders"),
      foreign_key("order_items_product_id_fkey", "public.order_items", "product_id",
                  "public.products"),
      foreign_key("orders_user_id_fkey", "public.orders", "user_id", "public.users")};
  catalog::Sequence seq;
  seq.schema = "public";
  seq.name = "orders_id_seq";
  seq.owned_by_table = "public.orders";
  seq.owned_by_column = "id";
  seq.used_by = {"public.orders.id"};
  s.sequences = {seq};

  a.services = {{"accounts", {"public.users"}, {"accounts"}},
                {"catalog", {"public.products"}, {"catalog"}},
                {"orders", {"public.order_items", "public.orders"}, {"orders"}}};
  a.matrix = {{"accounts", "public.users", 50, 10, 0},     {"catalog", "public.products", 40, 5, 0},
              {"orders", "public.order_items", 20, 20, 0}, {"orders", "public.orders", 30, 20, 0},
              {"orders", "public.products", 400, 0, 0},    {"orders", "public.users", 3, 0, 0}};

  analysis::Dependency api;
  api.kind = analysis::DependencyKind::read;
  api.consumer = "orders";
  api.owner = "accounts";
  api.module = "orders";
  api.tables = {"public.users"};
  api.columns = {"public.users.email", "public.users.name"};
  api.filter_columns = {"public.users.id"};
  api.statement = "SELECT email, name FROM users WHERE id = $1";
  api.calls = 3;
  api.pattern = analysis::Pattern::api_composition;
  api.rationale = "rare read (0.5% of calls < 1%) needing fresh data";

  analysis::Dependency cache = api;
  cache.owner = "catalog";
  cache.tables = {"public.products"};
  cache.columns = {"public.products.name", "public.products.price"};
  cache.statement = "SELECT name, price FROM products WHERE id = $1";
  cache.calls = 400;
  cache.pattern = analysis::Pattern::event_replication;
  cache.rationale = "frequent read (70% of calls >= 1%) tolerating staleness";

  analysis::Dependency fk;
  fk.kind = analysis::DependencyKind::foreign_key;
  fk.consumer = "orders";
  fk.owner = "catalog";
  fk.tables = {"public.order_items", "public.products"};
  fk.object = "order_items_product_id_fkey";
  fk.pattern = analysis::Pattern::orphan_check;
  fk.rationale = "services refer to each other by ids, not foreign keys";

  analysis::Dependency user_fk = fk;
  user_fk.owner = "accounts";
  user_fk.tables = {"public.orders", "public.users"};
  user_fk.object = "orders_user_id_fkey";
  a.dependencies = {api, cache, fk, user_fk};

  workload::Statement st;
  st.text = api.statement;
  st.module = "orders";
  st.role = "orders_app";
  st.calls = 3;
  a.workload.statements = {st};
  a.total_calls = 598;
  return a;
}

}  // namespace dbsplit::test
