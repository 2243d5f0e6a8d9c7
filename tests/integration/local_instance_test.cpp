#include "core/pg/local_instance.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pqxx/pqxx>

#include "core/pg/connection.hpp"
#include "core/util/error.hpp"
#include "core/util/process.hpp"
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

namespace {

namespace fs = std::filesystem;

// A directory only root can enter (like /root or a `mktemp -d` one), removed at the end.
struct PrivateDir {
  std::string path;
  explicit PrivateDir(const std::string& name) : path(fs::temp_directory_path() / name) {
    fs::remove_all(path);
    fs::create_directories(path);
    fs::permissions(path, fs::perms::owner_all);
  }
  ~PrivateDir() { fs::remove_all(path); }
};

// Runs its action when the test leaves, also on a failed REQUIRE, so no server outlives it.
struct AtExit {
  std::function<void()> action;
  ~AtExit() {
    try {
      action();
    } catch (...) {
      // The test's own failure is the one to report.
    }
  }
};

std::string first_line_of(const std::string& path) {
  std::string text = read_file_or_empty(path);
  return text.substr(0, text.find('\n'));
}

long owner_uid(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_uid) : -1;
}

fs::perms mode(const std::string& path) { return fs::status(path).permissions(); }

int server_version(const std::string& url) {
  pqxx::connection conn(url);
  pqxx::work tx(conn);
  return tx.exec1("SHOW server_version_num")[0].as<int>() / 10000;
}

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

// The real dbsplit binary, with stdout and stderr apart.
CliResult dbsplit_cli(const std::string& args, const std::string& scratch) {
  const char* bin = std::getenv("DBSPLIT_BIN");
  REQUIRE(bin != nullptr);
  std::string out = scratch + "/cli.out", err = scratch + "/cli.err";
  auto r = run_process(
      {"bash", "-c", std::string("\"$0\" ") + args + " >\"$1\" 2>\"$2\"", bin, out, err});
  return {r.exit_code, read_file_or_empty(out), read_file_or_empty(err)};
}

}  // namespace

TEST_CASE("as root, an instance asked for under a private directory keeps its data elsewhere") {
  if (geteuid() != 0) {
    WARN("skipped: not root, so the server runs as this user and can reach any directory");
    return;
  }
  PrivateDir parent("dbsplit-private-test");
  std::string dir = parent.path + "/instance";
  pg::LocalInstanceOptions options;
  options.dir = dir;
  auto instance = pg::LocalInstance::create_and_start(options);
  AtExit stop_server{[&] { instance.destroy(); }};
  REQUIRE(instance.running());
  std::string server_dir = instance.server_dir();
  CHECK(instance.dir() == dir);
  CHECK(fs::path(server_dir).parent_path() == pg::kRelocatedInstancesRoot);
  CHECK(fs::path(server_dir).filename().string().rfind("tmp-dbsplit-private-test-instance-", 0) ==
        0);
  CHECK(instance.relocation_note() ==
        "the postgres user (which runs the server when dbsplit runs as root) cannot reach " + dir +
            " (" + parent.path + " is private), so the server's data is kept in " + server_dir +
            "; " + dir + "/server.location records where");
  // The user's directory keeps its mode; the server's own is postgres's and private.
  CHECK(mode(parent.path) == fs::perms::owner_all);
  CHECK(owner_uid(server_dir) == static_cast<long>(getpwnam("postgres")->pw_uid));
  CHECK(mode(server_dir) == fs::perms::owner_all);
  CHECK(first_line_of(dir + "/server.location") == server_dir);
  CHECK(fs::exists(server_dir + "/data/PG_VERSION"));
  CHECK_FALSE(fs::exists(dir + "/data"));
  CHECK(server_version(instance.url()) == 15);
  // The log is reachable through the asked-for directory, as the demo and tutorial read it.
  CHECK(read_file_or_empty(dir + "/server.log").find("database system is ready") !=
        std::string::npos);

  // Found again through the asked-for directory alone, stopped and started there.
  CHECK(pg::LocalInstance::exists(dir));
  auto again = pg::LocalInstance::open(dir, pg::LocalInstance::StartIfStopped::no);
  CHECK(again.url() == instance.url());
  CHECK(again.server_dir() == server_dir);
  CHECK(again.relocation_note().empty());
  again.stop();
  CHECK_FALSE(instance.running());
  auto restarted = pg::LocalInstance::open(dir);
  CHECK(server_version(restarted.url()) == 15);

  restarted.destroy();
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(fs::exists(server_dir));
  CHECK_FALSE(instance.running());
}

TEST_CASE("as root, stale temporary instances under a private TMPDIR are cleaned up") {
  if (geteuid() != 0) {
    WARN("skipped: not root, so no instance is relocated");
    return;
  }
  PrivateDir tmp("dbsplit-private-tmpdir-test");
  pg::LocalInstanceOptions options;
  options.base_dir = tmp.path;
  auto kept = pg::LocalInstance::create_and_start(options);
  auto orphan = pg::LocalInstance::create_and_start(options);
  AtExit stop_servers{[&] {
    kept.destroy();
    orphan.destroy();
  }};
  REQUIRE(kept.server_dir() != kept.dir());
  REQUIRE(orphan.server_dir() != orphan.dir());
  CHECK(pg::cleanup_stale_instances(tmp.path) == 0);  // their owner, this process, lives

  // Owner died: found through its record under the TMPDIR, both places removed.
  for (const std::string& d : {kept.dir(), kept.server_dir()})
    std::ofstream(d + "/owner.pid") << "999999999\n";
  // Owner died and its TMPDIR was removed with the record: found in the system directory.
  std::ofstream(orphan.server_dir() + "/owner.pid") << "999999999\n";
  fs::remove_all(orphan.dir());

  CHECK(pg::cleanup_stale_instances(tmp.path) == 1);  // one record was under the TMPDIR
  CHECK_FALSE(fs::exists(kept.dir()));
  CHECK_FALSE(fs::exists(kept.server_dir()));
  CHECK_FALSE(kept.running());
  CHECK_FALSE(fs::exists(orphan.server_dir()));
  CHECK_FALSE(orphan.running());
}

TEST_CASE("as root, `dbsplit local` works through a directory under a private one") {
  if (geteuid() != 0) {
    WARN("skipped: not root, so no instance is relocated");
    return;
  }
  PrivateDir parent("dbsplit-private-cli-test");
  std::string scratch = parent.path;  // root's own: the CLI's output files go here
  std::string dir = parent.path + "/state/monolith";
  AtExit stop_server{[&] { dbsplit_cli("local stop --dir " + dir + " --remove", scratch); }};

  auto started = dbsplit_cli("local start --dir " + dir, scratch);
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  std::string server_dir = first_line_of(dir + "/server.location");
  REQUIRE(fs::path(server_dir).parent_path() == pg::kRelocatedInstancesRoot);
  CHECK(started.err ==
        "dbsplit: note: the postgres user (which runs the server when dbsplit runs as root) "
        "cannot reach " +
            dir + " (" + parent.path + " is private), so the server's data is kept in " +
            server_dir + "; " + dir + "/server.location records where; `dbsplit local stop --dir " +
            dir + " --remove` removes both\n");
  std::string url = started.out.substr(0, started.out.find('\n'));
  CHECK(server_version(url) == 15);

  auto located = dbsplit_cli("local url --dir " + dir, scratch);
  CHECK(located.exit_code == 0);
  CHECK(located.out == url + "\n");

  // Stopped and started again: the same instance, and the note is not repeated.
  CHECK(dbsplit_cli("local stop --dir " + dir, scratch).exit_code == 0);
  CHECK(fs::exists(server_dir + "/data/PG_VERSION"));
  auto restarted = dbsplit_cli("local start --dir " + dir, scratch);
  CHECK(restarted.exit_code == 0);
  CHECK(restarted.out == url + "\n");
  CHECK(restarted.err.empty());

  auto removed = dbsplit_cli("local stop --dir " + dir + " --remove", scratch);
  CHECK(removed.exit_code == 0);
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(fs::exists(server_dir));
  auto gone = dbsplit_cli("local url --dir " + dir, scratch);
  CHECK(gone.exit_code == 2);
  CHECK(gone.err ==
        "dbsplit: error: " + dir + " holds no dbsplit local instance (no data/PG_VERSION)\n");
}
