// Drives the sample plan's three commands through the generated clients of inventory,
// billing and accounts (compiled together by serve_commands_test): update_stock (dry run,
// real run, a guard that matches nothing, a null argument), create_invoice (the computed
// amount, a unique and a foreign key violation) and update_user. Prints what the service
// answered ("update_stock quantity 68"); exits non-zero at the first failure.
#include <iostream>
#include <string>

#include "accounts/client.hpp"
#include "billing/client.hpp"
#include "driver_check.hpp"
#include "inventory/client.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cout << "usage: commands INVENTORY_URL BILLING_URL ACCOUNTS_URL ORDER_ID\n";
    return 2;
  }
  inventory_api::Client inventory(argv[1]);
  billing_api::Client billing(argv[2]);
  accounts_api::Client accounts(argv[3]);
  const int64_t order = std::stoll(argv[4]);

  inventory_api::UpdateStockRequest take;
  take.quantity_decrement = 2;
  take.product_id = 1;
  take.warehouse_id = 1;
  take.quantity_at_least = 2;
  auto dry = inventory.update_stock_command(take, inventory_api::DryRun::yes);
  CHECK(dry.dry_run && dry.count == 1 && dry.rows.size() == 1);
  std::cout << "dry_run quantity " << dry.rows[0].quantity << "\n";
  auto taken = inventory.update_stock_command(take);
  CHECK(!taken.dry_run && taken.count == 1 && taken.rows.size() == 1);
  CHECK(taken.rows[0].product_id == 1 && taken.rows[0].warehouse_id == 1);
  CHECK(taken.rows[0].quantity == dry.rows[0].quantity);
  std::cout << "update_stock quantity " << taken.rows[0].quantity << "\n";

  inventory_api::UpdateStockRequest too_many = take;
  too_many.quantity_at_least = 1000000000;
  auto none = inventory.update_stock_command(too_many);
  CHECK(none.count == 0 && none.rows.empty() && !none.dry_run);
  std::cout << "guard count " << none.count << "\n";
  try {
    inventory_api::UpdateStockRequest unset = take;
    unset.quantity_decrement.reset();  // sent as null: quantity - NULL is NULL
    inventory.update_stock_command(unset);
    CHECK(false);
  } catch (const inventory_api::ApiError& e) {
    CHECK(e.status() == 400);
    std::cout << "400 field " << e.field() << "\n";
  }

  billing_api::CreateInvoiceRequest invoice;
  invoice.order_id = order;
  invoice.user_id = 7;
  invoice.amount_cents_1 = 3;
  invoice.amount_cents_2 = 250;
  invoice.amount_cents_3 = 2;
  invoice.amount_cents_4 = 100;
  auto created = billing.create_invoice_command(invoice);
  CHECK(created.count == 1 && created.rows.size() == 1);
  CHECK(created.rows[0].order_id == order && created.rows[0].user_id == 7);
  std::cout << "create_invoice amount_cents " << created.rows[0].amount_cents << "\n";
  std::cout << "invoices " << created.rows[0].id << "\n";
  try {
    billing.create_invoice_command(invoice);
    CHECK(false);
  } catch (const billing_api::ApiError& e) {
    CHECK(e.status() == 409);
    std::cout << "409: " << e.constraint() << "\n";
  }
  try {
    billing_api::CreateInvoiceRequest orphan = invoice;
    orphan.order_id = -1;
    billing.create_invoice_command(orphan);
    CHECK(false);
  } catch (const billing_api::ApiError& e) {
    CHECK(e.status() == 409);
    std::cout << "409: " << e.constraint() << "\n";
  }

  accounts_api::UpdateUserRequest count;
  count.order_count_increment = 1;
  count.id = 7;
  auto counted = accounts.update_user_command(count);
  CHECK(counted.count == 1 && counted.rows.size() == 1 && counted.rows[0].id == 7);
  std::cout << "update_user order_count " << counted.rows[0].order_count << "\n";
  std::cout << "ok\n";
  return 0;
}
