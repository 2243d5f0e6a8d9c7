// Drives the shipping service through its generated client (compiled by serve_test):
// create, read, list with a filter, update and delete of carriers and of a shipment of
// the order given as argument, and the typed error of a unique violation. Prints the key
// of each row it wrote ("shipments 17"); exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace shipping_api;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  Client client(argv[1]);
  const int64_t order_id = std::stoll(argv[2]);

  CarrierFields fields;
  fields.name = "Client Driver Express";
  fields.base_rate_cents = 495;
  Carrier carrier = client.create_carrier(fields);
  CHECK(carrier.name == "Client Driver Express" && carrier.base_rate_cents == 495);
  std::cout << "carriers " << carrier.id << "\n";
  CHECK(client.get_carrier(carrier.id).base_rate_cents == 495);
  auto carriers = client.list_carriers({{"name", "Client Driver Express"}});
  CHECK(carriers.items.size() == 1 && carriers.items[0].id == carrier.id);
  CarrierFields cheaper;
  cheaper.base_rate_cents = 395;
  CHECK(client.update_carrier(carrier.id, cheaper).base_rate_cents == 395);

  ShipmentFields shipment;
  shipment.order_id = order_id;
  shipment.user_id = 7;
  shipment.carrier_id = carrier.id;
  Shipment created = client.create_shipment(shipment);
  CHECK(created.order_id == order_id && created.carrier_id == carrier.id &&
        created.order_status == "paid" && created.tracking_number.rfind("TRK", 0) == 0 &&
        !created.shipped_at);
  std::cout << "shipments " << created.id << "\n";
  CHECK(client.get_shipment(created.id).tracking_number == created.tracking_number);
  auto shipments = client.list_shipments({{"order_id", argv[2]}});
  CHECK(shipments.items.size() == 1 && shipments.items[0].id == created.id);
  CHECK(client.list_shipments({{"tracking_number", created.tracking_number}}).items.size() == 1);
  try {
    client.create_shipment(shipment);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "shipments_order_id_key");
    std::cout << "409: " << e.constraint() << "\n";
  }
  ShipmentFields ship;
  ship.shipped_at = std::optional<std::string>("2031-01-02T03:04:05+00:00");
  Shipment shipped = client.update_shipment(created.id, ship);
  CHECK(shipped.shipped_at && shipped.order_status == "paid" && !shipped.delivered_at);

  CHECK(client.delete_shipment(created.id).tracking_number == created.tracking_number);
  CHECK(client.delete_carrier(carrier.id).base_rate_cents == 395);
  try {
    client.get_carrier(carrier.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }
  std::cout << "ok\n";
  return 0;
}
