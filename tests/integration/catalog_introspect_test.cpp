// introspect(), to_json and fingerprint() on a crafted schema holding every kind of
// object dbsplit reads, with names that need quoting and several schemas.
#include <algorithm>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "core/catalog/introspect.hpp"
#include "core/catalog/json.hpp"
#include "core/util/error.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;
using catalog::Schema;
using Strings = std::vector<std::string>;

namespace {

const char* const kCraftedSchema = R"SQL(
CREATE SCHEMA shop;
CREATE SCHEMA "Billing Dept";
CREATE SCHEMA scratch;
CREATE SCHEMA dbsplit;
CREATE TABLE scratch.ignored (id int PRIMARY KEY);
CREATE TABLE dbsplit.journal (id int PRIMARY KEY);

CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TYPE shop.address AS (street text, city text, zip text);
CREATE DOMAIN shop.positive_amount AS numeric(12,2) CHECK (VALUE > 0);
CREATE SEQUENCE shop.shared_ids;

CREATE TABLE shop.customers (
  id bigint PRIMARY KEY DEFAULT nextval('shop.shared_ids'),
  email text NOT NULL UNIQUE,
  home shop.address,
  created_at timestamptz DEFAULT now());
CREATE UNIQUE INDEX customers_lower_email ON shop.customers (lower(email));
ALTER TABLE shop.customers REPLICA IDENTITY USING INDEX customers_email_key;

CREATE TABLE shop."order" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers (id) ON DELETE CASCADE,
  status shop.order_status NOT NULL DEFAULT 'new',
  total shop.positive_amount,
  total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
  CONSTRAINT order_total_check CHECK (total < 1000000));
CREATE INDEX order_status_idx ON shop."order" (status, customer_id);

CREATE TABLE shop.order_lines (
  order_id bigint REFERENCES shop."order" (id),
  line_no int,
  sku varchar(40),
  qty int CHECK (qty > 0),
  PRIMARY KEY (order_id, line_no));

CREATE TABLE shop.shipments (
  id bigint PRIMARY KEY DEFAULT nextval('shop.shared_ids'),
  order_id bigint,
  line_no int,
  history shop.order_status[],
  CONSTRAINT shipment_line FOREIGN KEY (line_no, order_id)
    REFERENCES shop.order_lines (line_no, order_id) ON UPDATE CASCADE DEFERRABLE);
ALTER TABLE shop.order_lines ADD CONSTRAINT order_lines_line_order UNIQUE (line_no, order_id);

CREATE TABLE "Billing Dept"."Invoice Lines" (
  "Line ID" serial PRIMARY KEY,
  "Amount" numeric(10,2),
  status shop.order_status,
  CONSTRAINT "No Equal Amounts" EXCLUDE USING btree ("Amount" WITH =));

CREATE TABLE shop.audit_log (
  at timestamptz NOT NULL DEFAULT now(),
  message text,
  ignored_id int REFERENCES scratch.ignored (id));
ALTER TABLE shop.audit_log REPLICA IDENTITY FULL;

CREATE TABLE shop.events (
  id bigint NOT NULL DEFAULT nextval('shop.shared_ids'),
  happened_on date NOT NULL,
  customer_id bigint REFERENCES shop.customers (id),
  payload jsonb,
  PRIMARY KEY (id, happened_on)) PARTITION BY RANGE (happened_on);
CREATE TABLE shop.events_2023 PARTITION OF shop.events
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE shop.events_2024 PARTITION OF shop.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

CREATE VIEW shop.order_summary AS
  SELECT o.id, c.email, o.status FROM shop."order" o JOIN shop.customers c ON c.id = o.customer_id;
CREATE MATERIALIZED VIEW "Billing Dept".revenue AS
  SELECT s.status, count(*) AS n FROM shop.order_summary s GROUP BY s.status;

CREATE FUNCTION shop.log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO shop.audit_log (message) VALUES ('row ' || NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER order_audit AFTER INSERT ON shop."order"
  FOR EACH ROW EXECUTE FUNCTION shop.log_order();
CREATE TRIGGER events_audit AFTER INSERT ON shop.events
  FOR EACH ROW EXECUTE FUNCTION shop.log_order();

INSERT INTO shop.customers (email) VALUES ('a@example.com');
INSERT INTO shop.events (happened_on, customer_id, payload)
  SELECT date '2023-01-01' + i, NULL, jsonb_build_object('i', i) FROM generate_series(0, 299) i;
INSERT INTO shop.events (happened_on, payload)
  SELECT date '2024-01-01' + (i % 300), jsonb_build_object('i', i) FROM generate_series(0, 99) i;
)SQL";

Schema introspect_url(const std::string& url, const catalog::IntrospectOptions& options = {}) {
  pqxx::connection conn(url);
  return catalog::introspect(conn, options);
}

template <typename T>
Strings names(const std::vector<T>& items) {
  Strings out;
  for (const auto& item : items) out.push_back(item.qualified());
  return out;
}

const catalog::Column& column(const catalog::Table& t, const std::string& name) {
  const auto* c = t.column(name);
  REQUIRE(c != nullptr);
  return *c;
}

template <typename T>
const T& named(const std::vector<T>& items, const std::string& name) {
  auto it =
      std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  REQUIRE(it != items.end());
  return *it;
}

// One crafted database per test process; each case reads what it needs.
const std::string& crafted_url() {
  static const std::string url = [] {
    std::string u = test::fresh_database("crafted");
    test::exec_sql(u, kCraftedSchema);
    test::exec_sql(u, "VACUUM ANALYZE");
    return u;
  }();
  return url;
}

Schema crafted() { return introspect_url(crafted_url(), {{"scratch"}}); }

}  // namespace

TEST_CASE("introspect lists user schemas, tables and partitions, leaving out excluded ones") {
  Schema s = crafted();
  CHECK(s.schemas == Strings{"Billing Dept", "public", "shop"});
  CHECK(names(s.tables) == Strings{"Billing Dept.Invoice Lines", "shop.audit_log", "shop.customers",
                                   "shop.events", "shop.events_2023", "shop.events_2024",
                                   "shop.order", "shop.order_lines", "shop.shipments"});
  CHECK(s.extensions == Strings{"pg_stat_statements", "plpgsql"});
  CHECK(s.server_version.rfind("15", 0) == 0);

  const auto* events = s.find_table("shop.events");
  REQUIRE(events != nullptr);
  CHECK(events->kind == 'p');
  CHECK(events->partitions == Strings{"shop.events_2023", "shop.events_2024"});
  CHECK(events->partition_of.empty());
  const auto* p2023 = s.find_table("shop.events_2023");
  const auto* p2024 = s.find_table("shop.events_2024");
  REQUIRE(p2023 != nullptr);
  REQUIRE(p2024 != nullptr);
  CHECK(p2023->kind == 'r');
  CHECK(p2023->partition_of == "shop.events");
  CHECK(p2023->estimated_rows == 300);
  CHECK(p2024->estimated_rows == 100);
  CHECK(p2023->estimated_bytes > 0);
  CHECK(p2023->estimated_bytes % 8192 == 0);
  CHECK(events->estimated_rows == 400);
  CHECK(events->estimated_bytes == p2023->estimated_bytes + p2024->estimated_bytes);
  CHECK(events->primary_key == Strings{"id", "happened_on"});
  CHECK(s.find_table("scratch.ignored") == nullptr);
  CHECK(s.find_table("dbsplit.journal") == nullptr);

  // Without the option, scratch is read too.
  Schema all = introspect_url(crafted_url());
  CHECK(all.schemas == Strings{"Billing Dept", "public", "scratch", "shop"});
  CHECK(all.find_table("scratch.ignored") != nullptr);
}

TEST_CASE("introspect reads columns with types, defaults, identity and generated values") {
  Schema s = crafted();
  const auto* invoice = s.find_table("Billing Dept.Invoice Lines");
  REQUIRE(invoice != nullptr);
  const auto& line_id = column(*invoice, "Line ID");
  CHECK(line_id.position == 1);
  CHECK(line_id.type == "integer");
  CHECK(line_id.type_schema == "pg_catalog");
  CHECK(line_id.type_name == "int4");
  CHECK(line_id.not_null);
  CHECK(line_id.default_expr ==
        std::optional<std::string>(
            "nextval('\"Billing Dept\".\"Invoice Lines_Line ID_seq\"'::regclass)"));
  const auto& amount = column(*invoice, "Amount");
  CHECK(amount.type == "numeric(10,2)");
  CHECK(amount.type_name == "numeric");
  CHECK_FALSE(amount.not_null);
  CHECK_FALSE(amount.default_expr.has_value());
  CHECK(invoice->primary_key == Strings{"Line ID"});
  CHECK(invoice->primary_key_name == "Invoice Lines_pkey");

  const auto* order = s.find_table("shop.order");
  REQUIRE(order != nullptr);
  REQUIRE(order->columns.size() == 5);
  CHECK(order->columns[0].name == "id");
  CHECK(order->columns[0].identity == "a");
  CHECK_FALSE(order->columns[0].default_expr.has_value());
  const auto& status = column(*order, "status");
  CHECK(status.type == "shop.order_status");
  CHECK(status.type_schema == "shop");
  CHECK(status.type_name == "order_status");
  CHECK(status.default_expr == std::optional<std::string>("'new'::shop.order_status"));
  CHECK(column(*order, "total").type == "shop.positive_amount");
  const auto& cents = column(*order, "total_cents");
  CHECK(cents.generated == "s");
  CHECK(cents.identity.empty());
  REQUIRE(cents.default_expr.has_value());
  CHECK(*cents.default_expr == "(((total)::numeric * (100)::numeric))::bigint");

  const auto* shipments = s.find_table("shop.shipments");
  REQUIRE(shipments != nullptr);
  const auto& history = column(*shipments, "history");
  CHECK(history.type == "shop.order_status[]");
  CHECK(history.type_schema == "shop");
  CHECK(history.type_name == "order_status");
  const auto* lines = s.find_table("shop.order_lines");
  REQUIRE(lines != nullptr);
  CHECK(column(*lines, "sku").type == "character varying(40)");
  CHECK(column(*lines, "sku").type_name == "varchar");
  CHECK(lines->primary_key == Strings{"order_id", "line_no"});
}

TEST_CASE("introspect reads constraints, indexes and replica identity") {
  Schema s = crafted();
  const auto* customers = s.find_table("shop.customers");
  REQUIRE(customers != nullptr);
  REQUIRE(customers->constraints.size() == 1);
  CHECK(customers->constraints[0].name == "customers_email_key");
  CHECK(customers->constraints[0].kind == 'u');
  CHECK(customers->constraints[0].columns == Strings{"email"});
  CHECK(customers->constraints[0].definition == "UNIQUE (email)");
  REQUIRE(customers->indexes.size() == 3);
  const auto& pkey = named(customers->indexes, "customers_pkey");
  CHECK(pkey.primary);
  CHECK(pkey.unique);
  CHECK(pkey.columns == Strings{"id"});
  const auto& lower_email = named(customers->indexes, "customers_lower_email");
  CHECK(lower_email.unique);
  CHECK_FALSE(lower_email.primary);
  CHECK(lower_email.columns == Strings{""});
  CHECK(lower_email.definition ==
        "CREATE UNIQUE INDEX customers_lower_email ON shop.customers USING btree (lower(email))");
  CHECK(customers->replica_identity == 'i');
  CHECK(customers->replica_identity_index == "customers_email_key");

  const auto* order = s.find_table("shop.order");
  REQUIRE(order != nullptr);
  const auto& check = named(order->constraints, "order_total_check");
  CHECK(check.kind == 'c');
  CHECK(check.columns == Strings{"total"});
  CHECK(check.definition == "CHECK (((total)::numeric < (1000000)::numeric))");
  CHECK(named(order->indexes, "order_status_idx").columns == Strings{"status", "customer_id"});
  CHECK(order->replica_identity == 'd');
  CHECK(order->replica_identity_index.empty());

  const auto* lines = s.find_table("shop.order_lines");
  REQUIRE(lines != nullptr);
  CHECK(named(lines->constraints, "order_lines_line_order").columns ==
        Strings{"line_no", "order_id"});
  CHECK(named(lines->constraints, "order_lines_qty_check").kind == 'c');

  const auto* invoice = s.find_table("Billing Dept.Invoice Lines");
  REQUIRE(invoice != nullptr);
  const auto& exclusion = named(invoice->constraints, "No Equal Amounts");
  CHECK(exclusion.kind == 'x');
  CHECK(exclusion.columns == Strings{"Amount"});
  CHECK(exclusion.definition == "EXCLUDE USING btree (\"Amount\" WITH =)");

  const auto* audit = s.find_table("shop.audit_log");
  REQUIRE(audit != nullptr);
  CHECK(audit->primary_key.empty());
  CHECK(audit->primary_key_name.empty());
  CHECK(audit->indexes.empty());
  CHECK(audit->replica_identity == 'f');
}

TEST_CASE("introspect reads declared foreign keys with columns in key order") {
  Schema s = crafted();
  // The key on the partitioned table is listed once, not again for each partition.
  REQUIRE(s.foreign_keys.size() == 5);
  // A key into an excluded schema is kept, its columns named all the same.
  CHECK(s.foreign_keys[0].name == "audit_log_ignored_id_fkey");
  CHECK(s.foreign_keys[0].ref_table == "scratch.ignored");
  CHECK(s.foreign_keys[0].ref_columns == Strings{"id"});

  const auto& cascade = s.foreign_keys[2];
  CHECK(cascade.name == "order_customer_id_fkey");
  CHECK(cascade.table == "shop.order");
  CHECK(cascade.columns == Strings{"customer_id"});
  CHECK(cascade.ref_table == "shop.customers");
  CHECK(cascade.ref_columns == Strings{"id"});
  CHECK(cascade.on_delete == "c");
  CHECK(cascade.on_update == "a");
  CHECK_FALSE(cascade.deferrable);
  CHECK(cascade.definition ==
        "FOREIGN KEY (customer_id) REFERENCES shop.customers(id) ON DELETE CASCADE");

  CHECK(s.foreign_keys[1].name == "events_customer_id_fkey");
  CHECK(s.foreign_keys[1].table == "shop.events");
  CHECK(s.foreign_keys[3].name == "order_lines_order_id_fkey");
  CHECK(s.foreign_keys[3].ref_table == "shop.order");

  const auto& multi = s.foreign_keys[4];
  CHECK(multi.name == "shipment_line");
  CHECK(multi.table == "shop.shipments");
  CHECK(multi.columns == Strings{"line_no", "order_id"});
  CHECK(multi.ref_table == "shop.order_lines");
  CHECK(multi.ref_columns == Strings{"line_no", "order_id"});
  CHECK(multi.on_update == "c");
  CHECK(multi.on_delete == "a");
  CHECK(multi.deferrable);
}

TEST_CASE("introspect reads views, sequences, functions, triggers and user types") {
  Schema s = crafted();
  // pg_stat_statements' view belongs to its extension and is left out.
  REQUIRE(names(s.views) == Strings{"Billing Dept.revenue", "shop.order_summary"});
  CHECK(s.views[0].materialized);
  CHECK(s.views[0].depends_on == Strings{"shop.order_summary"});
  CHECK_FALSE(s.views[1].materialized);
  CHECK(s.views[1].depends_on == Strings{"shop.customers", "shop.order"});
  CHECK(s.views[1].definition.find("JOIN shop.customers c") != std::string::npos);

  REQUIRE(names(s.sequences) == Strings{"Billing Dept.Invoice Lines_Line ID_seq",
                                        "shop.order_id_seq", "shop.shared_ids"});
  CHECK(s.sequences[0].owned_by_table == "Billing Dept.Invoice Lines");
  CHECK(s.sequences[0].owned_by_column == "Line ID");
  CHECK(s.sequences[0].used_by == Strings{"Billing Dept.Invoice Lines.Line ID"});
  CHECK(s.sequences[1].owned_by_table == "shop.order");
  CHECK(s.sequences[1].owned_by_column == "id");
  CHECK(s.sequences[1].used_by.empty());
  CHECK(s.sequences[2].owned_by_table.empty());
  // The partitions' copies of the default are reported under their root, shop.events.
  CHECK(s.sequences[2].used_by ==
        Strings{"shop.customers.id", "shop.events.id", "shop.shipments.id"});

  REQUIRE(s.functions.size() == 1);
  CHECK(s.functions[0].schema == "shop");
  CHECK(s.functions[0].name == "log_order");
  CHECK(s.functions[0].arguments.empty());
  CHECK(s.functions[0].language == "plpgsql");
  CHECK(s.functions[0].body.find("INSERT INTO shop.audit_log (message)") != std::string::npos);

  // The row trigger on shop.events is listed once, not again for each partition.
  REQUIRE(s.triggers.size() == 2);
  CHECK(s.triggers[0].name == "events_audit");
  CHECK(s.triggers[0].table == "shop.events");
  CHECK(s.triggers[1].name == "order_audit");
  CHECK(s.triggers[1].table == "shop.order");
  CHECK(s.triggers[1].function == "shop.log_order");
  CHECK(s.triggers[1].definition ==
        "CREATE TRIGGER order_audit AFTER INSERT ON shop.\"order\" FOR EACH ROW EXECUTE "
        "FUNCTION shop.log_order()");

  REQUIRE(names(s.types) == Strings{"shop.address", "shop.order_status", "shop.positive_amount"});
  CHECK(s.types[0].kind == 'c');
  CHECK(s.types[0].labels == Strings{"street", "city", "zip"});
  CHECK(s.types[0].used_by == Strings{"shop.customers.home"});
  CHECK(s.types[1].kind == 'e');
  CHECK(s.types[1].labels == Strings{"new", "paid", "shipped"});
  CHECK(s.types[1].used_by == Strings{"Billing Dept.Invoice Lines.status", "shop.order.status",
                                      "shop.shipments.history"});
  CHECK(s.types[2].kind == 'd');
  CHECK(s.types[2].base_type == "numeric(12,2)");
  CHECK(s.types[2].used_by == Strings{"shop.order.total"});
}

TEST_CASE("the catalog JSON of a live schema reads back to the same JSON") {
  Schema s = crafted();
  for (auto stats : {catalog::WithStatistics::no, catalog::WithStatistics::yes}) {
    nlohmann::json json = catalog::to_json(s, stats);
    CHECK(catalog::to_json(catalog::schema_from_json(json), stats) == json);
  }
  nlohmann::json plain = catalog::to_json(s);
  CHECK_FALSE(plain["tables"][0].contains("estimated_rows"));
  CHECK(catalog::to_json(s, catalog::WithStatistics::yes)["tables"][3]["estimated_rows"] == 400);
  CHECK(catalog::to_json(s).dump() == catalog::to_json(crafted()).dump());
}

TEST_CASE("the fingerprint ignores statistics and the database, and follows the structure") {
  std::string url = test::fresh_database("fp");
  test::exec_sql(url, kCraftedSchema);
  std::string before = catalog::fingerprint(introspect_url(url));
  CHECK(before.rfind("sha256:", 0) == 0);
  CHECK(before.size() == 7 + 64);
  // The same schema in another database fingerprints the same.
  CHECK(catalog::fingerprint(crafted()) != before);  // crafted() excludes scratch
  CHECK(catalog::fingerprint(introspect_url(crafted_url())) == before);

  test::exec_sql(url,
                 "INSERT INTO shop.audit_log (message) SELECT 'x' FROM generate_series(1, 500)");
  test::exec_sql(url, "ANALYZE");
  Schema analysed = introspect_url(url);
  CHECK(analysed.find_table("shop.audit_log")->estimated_rows > 0);
  CHECK(catalog::fingerprint(analysed) == before);

  test::exec_sql(url, "ALTER TABLE shop.audit_log ADD COLUMN level int");
  CHECK(catalog::fingerprint(introspect_url(url)) != before);
}

TEST_CASE("introspection errors name the object kind whose query failed") {
  std::string url = test::fresh_database("denied");
  test::exec_sql(url, kCraftedSchema);
  test::exec_sql(url,
                 "CREATE ROLE catalog_reader LOGIN;"
                 "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_get_triggerdef(oid) FROM PUBLIC");
  std::string reader_url = url;
  reader_url.replace(reader_url.find("postgres@"), 9, "catalog_reader@");
  try {
    introspect_url(reader_url);
    FAIL("introspect succeeded without permission to deparse triggers");
  } catch (const RuntimeError& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("failed while reading triggers"));
    CHECK_THAT(message, Catch::Contains("permission denied for function pg_get_triggerdef"));
    CHECK_THAT(message, Catch::Contains("database \"denied_"));
  }
}

TEST_CASE("introspect reads the same schema when a second connection is refused") {
  // Constraints and indexes are read on a second connection; a role limited to one
  // connection makes introspect read them on the first.
  test::exec_sql(crafted_url(), "CREATE ROLE single_reader LOGIN CONNECTION LIMIT 1");
  std::string single_url = crafted_url();
  single_url.replace(single_url.find("postgres@"), 9, "single_reader@");
  Schema single = introspect_url(single_url, {{"scratch"}});
  CHECK(catalog::to_json(single, catalog::WithStatistics::yes) ==
        catalog::to_json(crafted(), catalog::WithStatistics::yes));
  CHECK(single.find_table("shop.customers")->indexes.size() == 3);
}
