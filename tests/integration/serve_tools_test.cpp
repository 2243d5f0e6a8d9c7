// Not a test: `serve_tools_test "[.write-plan]"` writes the test plan of the sample
// database at $DBSPLIT_SAMPLE_URL to $DBSPLIT_PLAN_OUT (used by bench/serve_bench.sh).
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/integration/serve_fixture.hpp"

using namespace dbsplit;

TEST_CASE("write the sample plan of an existing database", "[.write-plan]") {
  const char* url = std::getenv("DBSPLIT_SAMPLE_URL");
  const char* out = std::getenv("DBSPLIT_PLAN_OUT");
  REQUIRE(url != nullptr);
  REQUIRE(out != nullptr);
  plan::write_plan_file(test::sample_plan(url), out);
}
