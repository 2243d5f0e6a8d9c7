// Drives the inventory service through its generated client (compiled by serve_test):
// create, read, list with a filter, update and delete of warehouses, stock (composite
// key) and stock_movements, and the typed error of a check violation. Prints the key of
// each row it wrote ("warehouses 6"); exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace inventory_api;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  Client client(argv[1]);

  WarehouseFields fields;
  fields.code = "CLIENT-WH";
  fields.city = "Rotterdam";
  Warehouse warehouse = client.create_warehouse(fields);
  CHECK(warehouse.code == "CLIENT-WH" && !warehouse.last_stocktake_at);
  std::cout << "warehouses " << warehouse.id << "\n";
  CHECK(client.get_warehouse(warehouse.id).city == "Rotterdam");
  auto warehouses = client.list_warehouses({{"code", "CLIENT-WH"}});
  CHECK(warehouses.items.size() == 1 && warehouses.items[0].id == warehouse.id);
  WarehouseFields count;
  count.last_stocktake_at = std::optional<std::string>("2031-01-02T03:04:05+00:00");
  Warehouse counted = client.update_warehouse(warehouse.id, count);
  CHECK(counted.last_stocktake_at && counted.city == "Rotterdam");

  StockFields stock;
  stock.product_id = 1;
  stock.warehouse_id = warehouse.id;
  stock.quantity = 10;
  Stock shelf = client.create_stock(stock);
  CHECK(shelf.product_id == 1 && shelf.warehouse_id == warehouse.id && shelf.quantity == 10);
  std::cout << "stock [1, " << warehouse.id << "]\n";
  CHECK(client.get_stock(1, warehouse.id).quantity == 10);
  auto shelves = client.list_stock({{"warehouse_id", std::to_string(warehouse.id)}});
  CHECK(shelves.items.size() == 1 && shelves.items[0].product_id == 1);
  StockFields fewer;
  fewer.quantity = 7;
  CHECK(client.update_stock(1, warehouse.id, fewer).quantity == 7);
  try {
    StockFields negative;
    negative.quantity = -1;
    client.update_stock(1, warehouse.id, negative);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "stock_quantity_check");
    std::cout << "409: " << e.constraint() << "\n";
  }

  StockMovementFields movement;
  movement.product_id = 1;
  movement.warehouse_id = warehouse.id;
  movement.delta = -3;
  movement.reason = "stocktake";
  StockMovement moved = client.create_stock_movement(movement);
  CHECK(moved.delta == -3 && moved.reason == "stocktake" && moved.warehouse_id == warehouse.id);
  std::cout << "stock_movements " << moved.id << "\n";
  CHECK(client.get_stock_movement(moved.id).delta == -3);
  auto moves = client.list_stock_movements(
      {{"product_id", "1"}, {"warehouse_id", std::to_string(warehouse.id)}});
  CHECK(moves.items.size() == 1 && moves.items[0].id == moved.id);
  StockMovementFields recount;
  recount.delta = -4;
  recount.reason = "restock";
  StockMovement recounted = client.update_stock_movement(moved.id, recount);
  CHECK(recounted.delta == -4 && recounted.reason == "restock");
  CHECK(client.delete_stock_movement(moved.id).delta == -4);

  CHECK(client.delete_stock(1, warehouse.id).quantity == 7);
  CHECK(client.delete_warehouse(warehouse.id).code == "CLIENT-WH");
  try {
    client.get_stock(1, warehouse.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }
  std::cout << "ok\n";
  return 0;
}
