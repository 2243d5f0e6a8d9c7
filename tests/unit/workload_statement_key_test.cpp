#include <catch2/catch.hpp>

#include "core/workload/statement_set.hpp"

using dbsplit::workload::detail::fingerprint;
using dbsplit::workload::detail::literal_free_key;

TEST_CASE("the literal-free key drops constants, comments and blank runs only", "[key]") {
  CHECK(literal_free_key("SELECT a1, \"Col 2\" FROM t9 WHERE id = 42 AND x > -1.5e3") ==
        "SELECT a1, \"Col 2\" FROM t9 WHERE id = ? AND x > -?");
  CHECK(literal_free_key("/* module='a' */ SELECT  *\n\tFROM t -- trailing 7\nWHERE n = $1") ==
        "SELECT * FROM t WHERE n = $1");
  CHECK(literal_free_key("SELECT 'it''s', E'\\'q', $$a 'b'$$, $f$x$f$ FROM t") ==
        "SELECT ?, E?, ?, ? FROM t");
  CHECK(literal_free_key("SELECT /* outer /* inner */ still */ .5") == "SELECT ?");
  CHECK(literal_free_key("SELECT a$1 FROM t") == "SELECT a$1 FROM t");
}

TEST_CASE("statements with equal keys have equal fingerprints", "[key]") {
  const char* pairs[][2] = {
      {"SELECT * FROM t WHERE id = 1", "select * from t where id = 'x'"},
      {"/* module='a' */ UPDATE t SET v = 2.5", "UPDATE t SET v = 7 -- note"},
  };
  for (const auto& p : pairs) {
    CHECK(fingerprint(p[0]) == fingerprint(p[1]));
  }
  CHECK(literal_free_key(pairs[1][0]) == literal_free_key(pairs[1][1]));
  CHECK(literal_free_key("SELECT * FROM t1") != literal_free_key("SELECT * FROM t2"));
}
