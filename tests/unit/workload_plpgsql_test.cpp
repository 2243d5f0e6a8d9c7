#include <catch2/catch.hpp>

#include "core/workload/plpgsql.hpp"

using dbsplit::workload::NameResolver;
using dbsplit::workload::plpgsql_statements;
using dbsplit::workload::resolve_function_accesses;
using Strings = std::vector<std::string>;

namespace {

const char* const kBody = R"(
DECLARE
  v_total numeric;
  r record;
BEGIN
  v_total := (SELECT sum(amount) FROM billing.payments WHERE order_id = NEW.id);
  IF EXISTS (SELECT 1 FROM inventory.stock WHERE sku = NEW.sku AND qty < 1) THEN
    UPDATE inventory.stock SET reserved = reserved + 1 WHERE sku = NEW.sku;
  END IF;
  INSERT INTO audit_log (what) VALUES ('order ' || NEW.id);
  SELECT count(*) INTO v_total FROM orders WHERE customer_id = NEW.customer_id;
  EXECUTE 'DELETE FROM shipping.pending WHERE done';
  EXECUTE format('DELETE FROM %I', TG_ARGV[0]);
  FOR r IN SELECT id FROM coupons WHERE expires < now() LOOP
    PERFORM pg_notify('coupon', r.id::text);
  END LOOP;
  RETURN NEW;
END)";

}  // namespace

TEST_CASE("every embedded SQL of a PL/pgSQL body is collected", "[plpgsql]") {
  Strings statements = plpgsql_statements(kBody);
  CHECK(statements ==
        Strings{"SELECT (SELECT sum(amount) FROM billing.payments WHERE order_id = NEW.id)",
                "SELECT EXISTS (SELECT 1 FROM inventory.stock WHERE sku = NEW.sku AND qty < 1)",
                "UPDATE inventory.stock SET reserved = reserved + 1 WHERE sku = NEW.sku",
                "INSERT INTO audit_log (what) VALUES ('order ' || NEW.id)",
                "SELECT count(*)" + std::string(14, ' ') +
                    "FROM orders WHERE customer_id = NEW.customer_id",
                "DELETE FROM shipping.pending WHERE done",
                "SELECT id FROM coupons WHERE expires < now()"});
}

TEST_CASE("a full CREATE FUNCTION text parses as written", "[plpgsql]") {
  Strings statements = plpgsql_statements(
      "CREATE OR REPLACE FUNCTION shop.top(n int) RETURNS SETOF int LANGUAGE plpgsql AS $f$ "
      "BEGIN RETURN QUERY SELECT id FROM shop.items ORDER BY price DESC LIMIT n; END $f$");
  CHECK(statements == Strings{"SELECT id FROM shop.items ORDER BY price DESC LIMIT n"});
  CHECK(plpgsql_statements("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
                           "RETURN 1; END $$")
            .empty());
  CHECK(plpgsql_statements("BEGIN this is not plpgsql END").empty());
}

TEST_CASE("functions get sorted reads/writes; triggers touch the other tables", "[plpgsql]") {
  dbsplit::catalog::Schema schema;
  dbsplit::catalog::Function f;
  f.schema = "public";
  f.name = "on_order";
  f.language = "plpgsql";
  f.body = kBody;
  dbsplit::catalog::Function sql;
  sql.schema = "billing";
  sql.name = "balance";
  sql.language = "sql";
  sql.body = "SELECT sum(amount) FROM billing.payments p JOIN orders o ON o.id = p.order_id";
  dbsplit::catalog::Function broken;
  broken.schema = "public";
  broken.name = "broken";
  broken.language = "plpgsql";
  broken.body = "BEGIN SELEC 1; END";
  dbsplit::catalog::Function c;
  c.schema = "public";
  c.name = "c_fn";
  c.language = "c";
  c.body = "c_fn";
  schema.functions = {f, sql, broken, c};
  dbsplit::catalog::Trigger trigger;
  trigger.name = "order_created";
  trigger.table = "public.orders";
  trigger.function = "public.on_order";
  schema.triggers = {trigger};

  resolve_function_accesses(schema, NameResolver{{"public"}, nullptr});
  const auto& fn = schema.functions[0];
  CHECK(fn.reads ==
        Strings{"billing.payments", "inventory.stock", "public.coupons", "public.orders"});
  CHECK(fn.writes == Strings{"inventory.stock", "public.audit_log", "shipping.pending"});
  CHECK(schema.functions[1].reads == Strings{"billing.payments", "public.orders"});
  CHECK(schema.functions[1].writes.empty());
  CHECK(schema.functions[2].reads.empty());
  CHECK(schema.functions[3].reads.empty());
  CHECK(schema.triggers[0].touches == Strings{"billing.payments", "inventory.stock",
                                              "public.audit_log", "public.coupons",
                                              "shipping.pending"});
}

TEST_CASE("a body that assigns to its parameters parses with the function's arguments",
          "[plpgsql]") {
  dbsplit::catalog::Schema schema;
  dbsplit::catalog::Function f;
  f.schema = "public";
  f.name = "bump";
  f.language = "plpgsql";
  f.arguments = "p_qty integer, p_sku text";
  f.body = "BEGIN p_qty := p_qty + 1; UPDATE stock SET qty = p_qty WHERE sku = p_sku; END";
  schema.functions = {f};
  resolve_function_accesses(schema, NameResolver{{"public"}, nullptr});
  CHECK(schema.functions[0].writes == Strings{"public.stock"});
}
