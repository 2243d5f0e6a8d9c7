#include "core/pg/local_instance.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "core/pg/connection.hpp"
#include "core/util/error.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

TEST_CASE("the test cluster runs PostgreSQL 15 with logical WAL and pg_stat_statements") {
  std::string url = test::fresh_database();
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  CHECK(tx.exec1("SHOW server_version_num")[0].as<int>() / 10000 == 15);
  CHECK(tx.exec1("SHOW wal_level")[0].as<std::string>() == "logical");
  CHECK(tx.exec1("SELECT count(*) FROM pg_extension WHERE extname='pg_stat_statements'")[0]
            .as<int>() == 1);
  CHECK(tx.exec1("SELECT count(*) FROM pg_stat_statements")[0].as<int>() >= 0);
}

TEST_CASE("fresh databases are distinct") {
  std::string a = test::fresh_database();
  std::string b = test::fresh_database();
  CHECK(a != b);
  test::exec_sql(a, "CREATE TABLE only_in_a(id int)");
  pqxx::connection conn(b);
  pqxx::work tx(conn);
  CHECK(tx.exec1("SELECT count(*) FROM pg_class WHERE relname='only_in_a'")[0].as<int>() == 0);
}

TEST_CASE("a stale instance of a dead process is cleaned up, a live one is kept") {
  std::string base = std::filesystem::temp_directory_path() / "dbsplit-stale-test";
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  pg::LocalInstanceOptions options;
  options.base_dir = base;
  auto instance = pg::LocalInstance::create_and_start(options);
  REQUIRE(instance.running());
  // Still owned by this live process: kept.
  CHECK(pg::cleanup_stale_instances(base) == 0);
  // Pretend the owner died (pid 999999999 does not exist).
  {
    std::ofstream out(instance.dir() + "/owner.pid");
    out << "999999999\n";
  }
  CHECK(pg::cleanup_stale_instances(base) == 1);
  CHECK_FALSE(std::filesystem::exists(instance.dir()));
  CHECK_FALSE(instance.running());
  std::filesystem::remove_all(base);
}

TEST_CASE("connect errors name the target without its password") {
  int port = pg::free_port();
  std::string url = "postgresql://app:hunter2@127.0.0.1:" + std::to_string(port) + "/shop";
  try {
    pg::connect(url);
    FAIL("connect to a closed port succeeded");
  } catch (const RuntimeError& e) {
    std::string msg = e.what();
    CHECK(msg.find("hunter2") == std::string::npos);
    CHECK(msg.find("postgresql://app:***@127.0.0.1:" + std::to_string(port) + "/shop") !=
          std::string::npos);
    CHECK(msg.find("cannot connect to") == 0);
  }
}

TEST_CASE("as root, a directory the postgres user cannot reach is refused with advice") {
  if (geteuid() != 0) {
    SUCCEED("not root: the server runs as this user, nothing to check");
    return;
  }
  std::string parent = std::filesystem::temp_directory_path() / "dbsplit-private-test";
  std::filesystem::remove_all(parent);
  std::filesystem::create_directories(parent);
  std::filesystem::permissions(parent, std::filesystem::perms::owner_all);
  pg::LocalInstanceOptions options;
  options.dir = parent + "/instance";
  try {
    pg::LocalInstance::create_and_start(options);
    FAIL("an unreachable directory was accepted");
  } catch (const RuntimeError& e) {
    CHECK(std::string(e.what()) ==
          "the postgres user (which runs the server when dbsplit runs as root) cannot reach " +
              parent + "/instance: " + parent +
              " is not searchable by others; choose a directory elsewhere (e.g. under /tmp) or "
              "run `chmod o+x " +
              parent + "`");
  }
  std::filesystem::remove_all(parent);
}
