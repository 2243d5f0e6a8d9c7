// The source tree the tests read sample files from. Its own file: the path differs per
// checkout, and keeping it out of every other compile lets ccache share objects between
// checkouts.
#include "tests/support/test_cluster.hpp"

namespace dbsplit::test {

std::string source_dir() { return DBSPLIT_SOURCE_DIR; }

}  // namespace dbsplit::test
