#include <catch2/catch.hpp>

#include "core/pg/connection.hpp"
#include "core/util/process.hpp"

using dbsplit::pg::quote_ident;
using dbsplit::pg::redact;

TEST_CASE("redact hides passwords in URLs and key=value strings") {
  CHECK(redact("postgresql://app:s3cret@db.example:5432/shop") ==
        "postgresql://app:***@db.example:5432/shop");
  CHECK(redact("postgres://app@db/shop?sslmode=require&password=s3cret") ==
        "postgres://app@db/shop?sslmode=require&password=***");
  CHECK(redact("host=db user=app password='s e c' dbname=shop") ==
        "host=db user=app password=*** dbname=shop");
  CHECK(redact("host=db password=s3cret") == "host=db password=***");
  CHECK(redact("postgresql://app@db/shop") == "postgresql://app@db/shop");
}

TEST_CASE("quote_ident quotes like PostgreSQL") {
  CHECK(quote_ident("orders") == "orders");
  CHECK(quote_ident("order") == "\"order\"");
  CHECK(quote_ident("user") == "\"user\"");
  CHECK(quote_ident("Users") == "\"Users\"");
  CHECK(quote_ident("name") == "name");  // unreserved keyword stays bare
  CHECK(quote_ident("weird\"name") == "\"weird\"\"name\"");
  CHECK(quote_ident("1abc") == "\"1abc\"");
  CHECK(dbsplit::pg::qualified_name("public", "Order Items") == "public.\"Order Items\"");
}

TEST_CASE("tail_lines keeps the last lines") {
  CHECK(dbsplit::tail_lines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(dbsplit::tail_lines("a\nb", 5) == "a\nb");
}
