// Drives the catalog service through its generated client (compiled by serve_test):
// create, read, list with a filter, update and delete of categories and products;
// create and list of price_history (no primary key, so no operation by key); and the
// typed error of a check violation. Prints the key of each row it wrote ("products 17");
// exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace catalog_api;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  Client client(argv[1]);

  CategoryFields fields;
  fields.name = "Client Driver Gear";
  Category category = client.create_category(fields);
  CHECK(category.name == "Client Driver Gear" && !category.parent_id);
  std::cout << "categories " << category.id << "\n";
  CHECK(client.get_category(category.id).name == "Client Driver Gear");
  auto categories = client.list_categories({{"id", std::to_string(category.id)}});
  CHECK(categories.items.size() == 1 && categories.items[0].id == category.id);
  CategoryFields nest;
  nest.parent_id = std::optional<int32_t>(1);
  nest.name = "Client Driver Tools";
  Category nested = client.update_category(category.id, nest);
  CHECK(nested.parent_id == 1 && nested.name == "Client Driver Tools");

  ProductFields product;
  product.category_id = category.id;
  product.sku = "CLIENT-DRIVER-1";
  product.name = "Driver Wrench";
  product.price_cents = 1999;
  Product created = client.create_product(product);
  CHECK(created.category_id == category.id && created.active && created.price_cents == 1999);
  std::cout << "products " << created.id << "\n";
  CHECK(client.get_product(created.id).sku == "CLIENT-DRIVER-1");
  auto products = client.list_products({{"category_id", std::to_string(category.id)}});
  CHECK(products.items.size() == 1 && products.items[0].id == created.id);
  CHECK(client.list_products({{"sku", "CLIENT-DRIVER-1"}}).items.size() == 1);
  ProductFields reprice;
  reprice.price_cents = 2499;
  reprice.active = false;
  Product repriced = client.update_product(created.id, reprice);
  CHECK(repriced.price_cents == 2499 && !repriced.active && repriced.name == "Driver Wrench");
  try {
    ProductFields free;
    free.price_cents = 0;
    client.update_product(created.id, free);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "products_price_cents_check");
    std::cout << "409: " << e.constraint() << "\n";
  }
  CHECK(client.delete_product(created.id).price_cents == 2499);
  CHECK(client.delete_category(category.id).name == "Client Driver Tools");
  try {
    client.get_category(category.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }

  // price_history has no key: a row can be created and listed, nothing more. It goes on
  // a sample product (serve_test removes it), so that the product above could be deleted.
  PriceHistoryFields price;
  price.product_id = 1;
  price.price_cents = 4242;
  price.changed_at = "2031-01-02T03:04:05+00:00";
  PriceHistory history = client.create_price_history(price);
  CHECK(history.product_id == 1 && history.price_cents == 4242);
  std::cout << "price_history " << history.changed_at << "\n";
  auto histories = client.list_price_history({{"product_id", "1"}}, 1000);
  int mine = 0;
  for (const auto& h : histories.items) {
    CHECK(h.product_id == 1);
    mine += h.price_cents == 4242 && h.changed_at == history.changed_at;
  }
  CHECK(mine == 1 && !histories.next_cursor);
  std::cout << "ok\n";
  return 0;
}
