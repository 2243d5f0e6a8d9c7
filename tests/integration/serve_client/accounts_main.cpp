// Drives the accounts service through its generated client (compiled by serve_test):
// create, read, list with a filter, update and delete of users, addresses and
// legacy_coupons, and the typed error of a unique violation. Prints the key of each
// row it wrote ("users 17"); exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace accounts_api;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  Client client(argv[1]);

  UserFields fields;
  fields.email = "client-driver@example.com";
  fields.name = "Client Driver";
  User user = client.create_user(fields);
  CHECK(user.name == "Client Driver" && user.status == "active" && user.order_count == 0 &&
        !user.last_login_at);
  std::cout << "users " << user.id << "\n";
  CHECK(client.get_user(user.id).email == "client-driver@example.com");
  auto users = client.list_users({{"email", "client-driver@example.com"}});
  CHECK(users.items.size() == 1 && users.items[0].id == user.id && !users.next_cursor);
  UserFields rename;
  rename.name = "Driver Renamed";
  rename.last_login_at = std::optional<std::string>("2031-01-02T03:04:05+00:00");
  User renamed = client.update_user(user.id, rename);
  CHECK(renamed.name == "Driver Renamed" && renamed.email == user.email && renamed.last_login_at);

  AddressFields address;
  address.user_id = user.id;
  address.line1 = "Keizersgracht 1";
  address.city = "Amsterdam";
  address.postcode = "1015 CJ";
  Address home = client.create_address(address);
  CHECK(home.user_id == user.id && home.country == "NL");
  std::cout << "addresses " << home.id << "\n";
  CHECK(client.get_address(home.id).postcode == "1015 CJ");
  auto homes = client.list_addresses({{"user_id", std::to_string(user.id)}});
  CHECK(homes.items.size() == 1 && homes.items[0].id == home.id);
  AddressFields move;
  move.city = "Utrecht";
  CHECK(client.update_address(home.id, move).city == "Utrecht");
  CHECK(client.delete_address(home.id).city == "Utrecht");

  LegacyCouponFields coupon;
  coupon.code = "CLIENT-DRIVER-10";
  coupon.user_id = std::optional<int64_t>(user.id);
  coupon.discount_pct = 10;
  coupon.expires_on = "2031-12-31";
  LegacyCoupon created = client.create_legacy_coupon(coupon);
  CHECK(created.code == "CLIENT-DRIVER-10" && created.user_id == user.id &&
        created.expires_on == "2031-12-31");
  std::cout << "legacy_coupons " << created.code << "\n";
  CHECK(client.get_legacy_coupon("CLIENT-DRIVER-10").discount_pct == 10);
  CHECK(client.list_legacy_coupons({{"code", "CLIENT-DRIVER-10"}}).items.size() == 1);
  LegacyCouponFields unbind;
  unbind.user_id = std::optional<int64_t>();
  unbind.discount_pct = 15;
  LegacyCoupon unbound = client.update_legacy_coupon("CLIENT-DRIVER-10", unbind);
  CHECK(!unbound.user_id && unbound.discount_pct == 15);
  CHECK(client.delete_legacy_coupon("CLIENT-DRIVER-10").discount_pct == 15);

  try {
    UserFields twin;
    twin.email = "client-driver@example.com";
    twin.name = "Twin";
    client.create_user(twin);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "users_email_key");
    std::cout << "409: " << e.constraint() << "\n";
  }
  CHECK(client.delete_user(user.id).name == "Driver Renamed");
  try {
    client.get_user(user.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }
  std::cout << "ok\n";
  return 0;
}
