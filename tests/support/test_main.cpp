// Catch2 runner for dbsplit's test binaries: runs the tests, then stops the
// PostgreSQL cluster the tests started (if any), whatever the result.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "tests/support/test_cluster.hpp"

int main(int argc, char* argv[]) {
  int result = Catch::Session().run(argc, argv);
  dbsplit::test::shutdown_cluster();
  return result;
}
