// Drives the orders service through its generated client (compiled by serve_test):
// create, read, list, update and delete of each resource, the plan's query, and the
// typed error. Prints one line per check; exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace orders_api;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  Client client(argv[1]);

  OrderFields fields;
  fields.user_id = 7;
  fields.total_cents = 1234;
  Order created = client.create_order(fields);
  CHECK(created.user_id == 7 && created.total_cents == 1234 && created.status == "pending");
  std::cout << "created order " << created.id << "\n";

  Order read = client.get_order(created.id);
  CHECK(read.id == created.id && read.created_at == created.created_at);

  auto page = client.list_orders({{"user_id", "7"}}, 1000);
  bool listed = false;
  for (const auto& o : page.items) listed = listed || o.id == created.id;
  CHECK(listed && !page.next_cursor);

  auto first = client.list_orders({}, 2);
  CHECK(first.items.size() == 2 && first.next_cursor);
  auto second = client.list_orders({}, 2, *first.next_cursor);
  CHECK(second.items.front().id > first.items.back().id);

  OrderFields change;
  change.status = std::string("paid");
  Order updated = client.update_order(created.id, change);
  CHECK(updated.status == "paid" && updated.total_cents == 1234);

  OrderItemFields item;
  item.order_id = created.id;
  item.line_no = 1;
  item.product_id = 3;
  item.quantity = 2;
  item.unit_price_cents = 617;
  OrderItem line = client.create_order_item(item);
  CHECK(line.order_id == created.id && line.quantity == 2);
  CHECK(client.get_order_item(created.id, 1).unit_price_cents == 617);
  CHECK(client.list_order_items({{"order_id", std::to_string(created.id)}}).items.size() == 1);
  OrderItemFields more;
  more.quantity = 5;
  CHECK(client.update_order_item(created.id, 1, more).quantity == 5);
  CHECK(client.delete_order_item(created.id, 1).quantity == 5);

  auto open = client.get_order_by_status_and_user_id({{"user_id", "7"}, {"status", "paid"}});
  bool found = false;
  for (const auto& row : open.items) found = found || (row.user_id == 7 && row.status == "paid");
  CHECK(found);

  CHECK(client.delete_order(created.id).id == created.id);
  try {
    client.get_order(created.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }
  try {
    OrderFields bad;
    bad.user_id = 999999999;
    bad.total_cents = 1;
    client.create_order(bad);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "orders_user_id_fkey");
    std::cout << "409: " << e.constraint() << "\n";
  }
  std::cout << "ok " << created.id << "\n";
  return 0;
}
