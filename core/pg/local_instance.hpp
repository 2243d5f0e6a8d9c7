#pragma once
// Throwaway or long-lived local PostgreSQL clusters: used by the tests, the demo and,
// as the embedded default, for the target databases of a split.
#include <string>
#include <utility>
#include <vector>

namespace dbsplit::pg {

struct LocalInstanceOptions {
  // Directory that will hold the cluster (data/, the socket, the log). Empty: a new
  // directory under `base_dir` named dbsplit-pg-XXXXXX.
  std::string dir;
  std::string base_dir = "/tmp";
  // 0: pick a free port on 127.0.0.1.
  int port = 0;
  // A temporary instance belongs to this process: once the process is gone,
  // cleanup_stale_instances may remove it. A persistent one (the demo's) is kept.
  enum class Lifetime { temporary, persistent };
  Lifetime lifetime = Lifetime::temporary;
  // Extra postgresql.conf settings, appended after the defaults.
  std::vector<std::pair<std::string, std::string>> settings;
};

// A PostgreSQL 15 cluster in a directory of its own, listening on 127.0.0.1 and on a
// socket inside its directory, with wal_level=logical and pg_stat_statements loaded.
// When running as root the server runs as the `postgres` system user. When that user
// cannot reach the directory (a private parent: /root, a `mktemp -d` directory), the
// server's files (data/, server.log, the socket) are kept in a directory of their own under
// kRelocatedInstancesRoot instead, owned by postgres and mode 0700; the asked-for directory
// then holds the record `server.location` naming it, a `server.log` link to the log, and
// `port`, so everything below works through the asked-for directory alone. No directory
// of the user's has its mode changed.
// Superuser `postgres`, trust authentication (local only).
class LocalInstance {
 public:
  // initdb + start. Throws RuntimeError naming the failed command and the log tail.
  static LocalInstance create_and_start(const LocalInstanceOptions& options = {});
  // Attaches to an existing cluster directory made by create_and_start; starts it when
  // it is not running and `start` says so. Throws UsageError when DIR holds no cluster.
  enum class StartIfStopped { no, yes };
  static LocalInstance open(const std::string& dir, StartIfStopped start = StartIfStopped::yes);
  // Whether DIR holds an instance made by create_and_start (here or relocated).
  static bool exists(const std::string& dir);

  LocalInstance(LocalInstance&& other) noexcept;
  LocalInstance& operator=(LocalInstance&& other) noexcept;
  LocalInstance(const LocalInstance&) = delete;
  LocalInstance& operator=(const LocalInstance&) = delete;
  // Does not stop the server: call stop()/destroy() (tests use a guard that does).
  ~LocalInstance() = default;

  void stop();     // fast shutdown; no-op when not running
  void destroy();  // stop and remove the directory

  // The directory asked for; server_dir() holds data/, server.log and the socket (the
  // same directory unless the instance was relocated).
  const std::string& dir() const { return dir_; }
  const std::string& server_dir() const { return server_dir_; }
  std::string log_file() const { return server_dir_ + "/server.log"; }
  // Set only by the create_and_start that relocated the instance: one sentence saying why
  // and where the server's files went, for the caller to show the user once.
  const std::string& relocation_note() const { return relocation_note_; }
  int port() const { return port_; }
  // Connection URL without password, e.g. postgresql://postgres@127.0.0.1:5433/db
  std::string url(const std::string& database = "postgres") const;
  bool running() const;

 private:
  LocalInstance() = default;
  void start();
  std::string dir_;
  std::string server_dir_;
  std::string relocation_note_;
  int port_ = 0;
};

// Where the server's files of instances go when root asks for a directory the postgres
// user cannot reach: one directory per instance, named after the asked-for path.
inline constexpr const char* kRelocatedInstancesRoot = "/var/lib/dbsplit/instances";

// Stops and removes clusters under base_dir left behind by processes that died
// (their owner.pid names a process that no longer exists), with their relocated server
// files; returns how many. Also removes the relocated server files of temporary instances
// whose owner died wherever their record was (a test's private TMPDIR removed since).
int cleanup_stale_instances(const std::string& base_dir = "/tmp");

// Directory holding initdb, pg_ctl, postgres: `pg_config --bindir` when it has them,
// else /usr/lib/postgresql/15/bin. Throws RuntimeError when neither has initdb.
std::string server_bindir();

// A TCP port on 127.0.0.1 nobody listens on right now.
int free_port();

}  // namespace dbsplit::pg
