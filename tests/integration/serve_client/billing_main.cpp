// Drives the billing service through its generated client (compiled by serve_test):
// create, read, list with a filter, update and delete of invoices and payments for the
// order given as argument, the plan's query, and the typed error of a check violation.
// Prints the key of each row it wrote ("invoices 17"); exits non-zero at the first failure.
#include <iostream>

#include "client.hpp"
#include "driver_check.hpp"

using namespace billing_api;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  Client client(argv[1]);
  const int64_t order_id = std::stoll(argv[2]);
  const std::string order = argv[2];

  InvoiceFields fields;
  fields.order_id = order_id;
  fields.user_id = 7;
  fields.amount_cents = 1234;
  Invoice invoice = client.create_invoice(fields);
  CHECK(invoice.order_id == order_id && invoice.status == "open" && invoice.number >= 100000 &&
        invoice.reminder_count == 0 && !invoice.paid_at);
  std::cout << "invoices " << invoice.id << "\n";
  CHECK(client.get_invoice(invoice.id).number == invoice.number);
  auto invoices = client.list_invoices({{"order_id", order}});
  CHECK(invoices.items.size() == 1 && invoices.items[0].id == invoice.id);
  CHECK(client.list_invoices({{"number", std::to_string(invoice.number)}}).items.size() == 1);

  PaymentFields payment;
  payment.invoice_id = invoice.id;
  payment.amount_cents = 1234;
  payment.method = "card";
  Payment paid = client.create_payment(payment);
  CHECK(paid.invoice_id == invoice.id && paid.method == "card");
  std::cout << "payments " << paid.id << "\n";
  CHECK(client.get_payment(paid.id).amount_cents == 1234);
  auto payments = client.list_payments({{"invoice_id", std::to_string(invoice.id)}});
  CHECK(payments.items.size() == 1 && payments.items[0].id == paid.id);
  PaymentFields wire;
  wire.method = "transfer";
  CHECK(client.update_payment(paid.id, wire).method == "transfer");
  try {
    PaymentFields cash;
    cash.method = "cash";
    client.update_payment(paid.id, cash);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 409 && e.constraint() == "payments_method_check");
    std::cout << "409: " << e.constraint() << "\n";
  }

  InvoiceFields settle;
  settle.status = std::string("paid");
  settle.paid_at = std::optional<std::string>("2031-01-02T03:04:05+00:00");
  Invoice settled = client.update_invoice(invoice.id, settle);
  CHECK(settled.status == "paid" && settled.paid_at && settled.amount_cents == 1234);
  auto query = client.get_invoice_by_order_id_and_status({{"order_id", order}, {"status", "paid"}});
  CHECK(query.items.size() == 1 && query.items[0].id == invoice.id &&
        query.items[0].number == invoice.number);
  CHECK(client.get_invoice_by_order_id_and_status({{"order_id", order}, {"status", "open"}})
            .items.empty());

  CHECK(client.delete_payment(paid.id).method == "transfer");
  CHECK(client.delete_invoice(invoice.id).status == "paid");
  try {
    client.get_invoice(invoice.id);
    CHECK(false);
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    std::cout << "404: " << e.what() << "\n";
  }
  std::cout << "ok\n";
  return 0;
}
