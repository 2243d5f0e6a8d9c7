// The names the relay gives streams and subjects, and how it hides NATS credentials.
#include <catch2/catch.hpp>

#include "core/events/names.hpp"

namespace dbsplit::events {

TEST_CASE("stream names are DBSPLIT_ and the service in upper case", "[events]") {
  CHECK(stream_name("orders") == "DBSPLIT_ORDERS");
  CHECK(stream_name("order-items_2") == "DBSPLIT_ORDER-ITEMS_2");
  CHECK(stream_name("a.b c*>") == "DBSPLIT_A_B_C__");
}

TEST_CASE("subjects are dbsplit.<service>.<event type> with valid tokens", "[events]") {
  CHECK(subject_for("orders", "orders.orders.inserted") == "dbsplit.orders.orders.inserted");
  CHECK(subject_for("orders", "billing.invoices.inserted") ==
        "dbsplit.orders.billing.invoices.inserted");
  CHECK(subject_for("orders", "orders.order items.updated") ==
        "dbsplit.orders.order_items.updated");
  CHECK(subject_for("a.b", "x..*.>") == "dbsplit.a_b.x._._._");
  CHECK(subject_for("orders", "") == "dbsplit.orders._");
}

TEST_CASE("NATS URLs lose passwords and tokens", "[events]") {
  CHECK(redact_nats_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222");
  CHECK(redact_nats_url("nats://relay:hunter2@127.0.0.1:4222") ==
        "nats://relay:***@127.0.0.1:4222");
  CHECK(redact_nats_url("nats://s3cr3ttoken@host:4222,tls://u:p@other:4222") ==
        "nats://***@host:4222,tls://u:***@other:4222");
}

}  // namespace dbsplit::events
