// serve's input checks and cursors, and the contract check's parameter mapping: a bad
// value names its field, valid values pass unchanged, cursors round-trip.
#include <catch2/catch.hpp>

#include "core/runtime/statement_params.hpp"
#include "core/runtime/values.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;
using nlohmann::json;
using runtime::BadInput;

namespace {

codegen::Field field(std::string name, codegen::ValueKind kind, std::string sql_type,
                     bool nullable = false) {
  codegen::Field f;
  f.name = std::move(name);
  f.kind = kind;
  f.element = kind;
  f.sql_type = std::move(sql_type);
  f.nullable = nullable;
  return f;
}

std::string rejection(const codegen::Field& f, const json& value) {
  try {
    runtime::param_from_json(f, value);
  } catch (const BadInput& e) {
    return e.field() + ": " + e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("JSON values become exact text parameters or a 400 naming the field") {
  auto id = field("id", codegen::ValueKind::int64, "bigint");
  CHECK(*runtime::param_from_json(id, json(9223372036854775807LL)) == "9223372036854775807");
  CHECK(rejection(id, json("7")) == "id: id is bigint: expected a JSON integer, got string");
  CHECK(rejection(id, json(1.5)) == "id: id is bigint: expected a JSON integer, got number");
  CHECK(rejection(id, json(nullptr)) == "id: id may not be null");
  CHECK(rejection(id, json::parse("18446744073709551615")) ==
        "id: id is bigint: 18446744073709551615 is out of range");

  auto small = field("qty", codegen::ValueKind::int32, "integer");
  CHECK(rejection(small, json(2147483648LL)) == "qty: qty is integer: 2147483648 is out of range");

  auto price = field("price", codegen::ValueKind::numeric, "numeric(12,2)", true);
  CHECK(*runtime::param_from_json(price, json("12345678901234567890.25")) ==
        "12345678901234567890.25");
  CHECK(runtime::param_from_json(price, json(nullptr)) == std::nullopt);
  CHECK(rejection(price, json("1; DROP TABLE x")) ==
        "price: price is numeric(12,2): expected a decimal number as a string, got '1; DROP TABLE "
        "x'");

  auto status = field("status", codegen::ValueKind::enumeration, "order_status");
  status.labels = {"pending", "paid"};
  CHECK(*runtime::param_from_json(status, json("paid")) == "paid");
  CHECK(rejection(status, json("lost")) ==
        "status: status is order_status: 'lost' is not one of its values");

  auto name = field("name", codegen::ValueKind::text, "text");
  CHECK(*runtime::param_from_json(name, json("x' OR '1'='1")) == "x' OR '1'='1");
  CHECK(rejection(name, json(std::string("a\0b", 3))) ==
        "name: name: not valid UTF-8 text (or contains a NUL character)");
  CHECK(rejection(name, json(5)) == "name: name is text: expected a string, got number");
}

TEST_CASE("query-string values are checked like JSON values") {
  auto id = field("id", codegen::ValueKind::int64, "bigint");
  CHECK(runtime::param_from_text(id, "42") == "42");
  CHECK_THROWS_WITH(runtime::param_from_text(id, "1 OR 1=1"),
                    "id is bigint: expected an integer, got '1 OR 1=1'");
  CHECK(runtime::param_from_text(id, "+007") == "7");
  CHECK(runtime::param_from_text(id, "-12") == "-12");
  for (const char* bad : {"", "+", "-", "1.5", "1e3", " 1", "1 ", "0x10", "١"})
    CHECK_THROWS_WITH(runtime::param_from_text(id, bad),
                      std::string("id is bigint: expected an integer, got '") + bad + "'");
  CHECK_THROWS_WITH(runtime::param_from_text(id, std::string(41, '1')),
                    "id is bigint: expected an integer, got '" + std::string(41, '1') + "'");
  CHECK_THROWS_WITH(runtime::param_from_text(id, "9223372036854775808"),
                    "id is bigint: 9223372036854775808 is out of range");
  auto flag = field("active", codegen::ValueKind::boolean, "boolean");
  CHECK(runtime::param_from_text(flag, "true") == "true");
  CHECK_THROWS_AS(runtime::param_from_text(flag, "yes"), BadInput);
}

TEST_CASE("UTF-8 validation rejects invalid, overlong and surrogate sequences and NUL") {
  CHECK(runtime::valid_text("Zoë 日本 🙂"));
  CHECK_FALSE(runtime::valid_text("\xff"));
  CHECK_FALSE(runtime::valid_text("\xc0\xaf"));      // overlong '/'
  CHECK_FALSE(runtime::valid_text("\xed\xa0\x80"));  // surrogate
  CHECK_FALSE(runtime::valid_text("\xe6\x97"));      // truncated
  CHECK_FALSE(runtime::valid_text(std::string("a\0", 2)));
}

TEST_CASE("cursors round-trip key values and reject anything else with field cursor") {
  std::vector<std::string> key = {"17", "x/\"y\""};
  CHECK(runtime::decode_cursor(runtime::encode_cursor(key), 2) == key);
  try {
    runtime::decode_cursor(runtime::encode_cursor(key), 1);
    FAIL("accepted a cursor of another key size");
  } catch (const BadInput& e) {
    CHECK(e.field() == "cursor");
  }
  CHECK_THROWS_AS(runtime::decode_cursor("'; DROP", 1), BadInput);
}

TEST_CASE("the contract check maps each $N of a statement to the column it is compared with") {
  auto columns = runtime::parameter_columns(
      "SELECT count(*) AS open_orders FROM orders WHERE user_id = $1 AND status IN ($2, $3)");
  CHECK(columns == std::map<int, std::string>{{1, "user_id"}, {2, "status"}, {3, "status"}});
  CHECK(runtime::parameter_count("SELECT * FROM t WHERE $2::bigint = t.id LIMIT $1") == 2);
  CHECK(runtime::parameter_columns("SELECT * FROM t WHERE $2::bigint = t.id LIMIT $1") ==
        std::map<int, std::string>{{2, "id"}});
  CHECK_THROWS_AS(runtime::parameter_columns("SELEC 1"), UsageError);
  CHECK(runtime::is_read_only_query("WITH x AS (SELECT 1) SELECT * FROM x"));
  CHECK_FALSE(runtime::is_read_only_query("UPDATE orders SET status = $1 WHERE id = $2"));
  CHECK_FALSE(runtime::is_read_only_query("SELECT * FROM stock WHERE product_id = $1 FOR UPDATE"));
}
