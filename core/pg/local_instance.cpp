#include "core/pg/local_instance.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/util/error.hpp"
#include "core/util/process.hpp"

namespace fs = std::filesystem;

namespace dbsplit::pg {
namespace {

bool is_root() { return geteuid() == 0; }

// Prefix that runs a server binary as the postgres user when we are root.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (!is_root()) return argv;
  std::vector<std::string> wrapped = {"runuser", "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

struct passwd* server_user() {
  struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr)
    throw RuntimeError(
        "running as root, but there is no `postgres` system user to run PostgreSQL as; "
        "install postgresql-15 (scripts/install-deps.sh) or run as a normal user");
  return pw;
}

void give_to_server_user(const std::string& path) {
  if (!is_root()) return;
  struct passwd* pw = server_user();
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw RuntimeError(fmt::format("cannot chown {} to postgres: {}", path, std::strerror(errno)));
}

// As root the server runs as `postgres`, which must be able to walk down to the
// directory. Returns the nearest parent it cannot pass (not searchable by others and not
// postgres's own), or "" when there is none or we are not root.
std::string unreachable_parent(const std::string& dir) {
  if (!is_root()) return "";
  uid_t postgres_uid = server_user()->pw_uid;
  fs::path path = fs::absolute(dir);
  for (fs::path p = path.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0 && st.st_uid != postgres_uid)
      return p.string();
    if (p == p.root_path()) break;
  }
  return "";
}

std::string data_dir(const std::string& dir) { return dir + "/data"; }
std::string log_path(const std::string& dir) { return dir + "/server.log"; }
// In the asked-for directory of a relocated instance: the directory holding its server files.
std::string location_file(const std::string& dir) { return dir + "/server.location"; }
// In a relocated server directory: the asked-for directory, for whoever finds it orphaned.
std::string asked_file(const std::string& server_dir) { return server_dir + "/asked.dir"; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool is_relocated_server_dir(const std::string& path) {
  return fs::path(path).parent_path() == fs::path(kRelocatedInstancesRoot);
}

// Where DIR's server files are: the directory its record names, else DIR itself. Only a
// directory under kRelocatedInstancesRoot counts: whatever a record says, nothing else is
// ever removed as an instance's server files.
std::string server_dir_of(const std::string& dir) {
  std::string recorded = first_line(read_file_or_empty(location_file(dir)));
  return is_relocated_server_dir(recorded) ? recorded : dir;
}

bool holds_cluster(const std::string& server_dir) {
  std::error_code ec;
  return fs::exists(data_dir(server_dir) + "/PG_VERSION", ec);
}

// A new directory under kRelocatedInstancesRoot named after DIR's absolute path (plus a
// random suffix, so a later instance asked for at the same path never meets an old one),
// owned by postgres, mode 0700. The root and its parent are dbsplit's own: 0755 so
// postgres can pass.
std::string make_relocated_server_dir(const std::string& dir) {
  fs::path root = kRelocatedInstancesRoot;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", root.string(), ec.message()));
  for (const fs::path& p : {root.parent_path(), root})
    fs::permissions(p,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    ec);
  std::string name;
  for (char c : fs::absolute(dir).lexically_normal().string())
    name +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '-';
  name.erase(0, name.find_first_not_of('-'));
  if (name.size() > 80) name.erase(0, name.size() - 80);  // the end of a path tells most
  std::string tmpl = (root / (name + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr)
    throw RuntimeError(
        fmt::format("cannot create a directory under {}: {}", root.string(), std::strerror(errno)));
  std::string server_dir = buf.data();  // mkdtemp makes it 0700
  give_to_server_user(server_dir);
  return server_dir;
}

ProcessResult run_checked(const std::vector<std::string>& argv, const std::string& dir) {
  ProcessResult r = run_process(argv);
  if (r.exit_code != 0) {
    std::string log = read_file_or_empty(log_path(dir));
    throw RuntimeError(fmt::format("command failed (exit {}): {}\n{}{}", r.exit_code,
                                   describe_command(argv), tail_lines(r.output, 15),
                                   log.empty() ? "" : "\nserver log:\n" + tail_lines(log, 15)));
  }
  return r;
}

bool process_alive(long pid) {
  return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

void write_text(const std::string& path, const std::string& text, bool append = false) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  if (!out) throw RuntimeError("cannot write " + path);
  out << text;
}

// Stops the server of a dead owner's instance at once and removes its server directory.
void remove_abandoned(const std::string& server_dir) {
  long server = std::atol(read_file_or_empty(data_dir(server_dir) + "/postmaster.pid").c_str());
  if (process_alive(server)) kill(static_cast<pid_t>(server), SIGQUIT);  // immediate stop
  for (int i = 0; i < 100 && process_alive(server); ++i) usleep(50 * 1000);
  std::error_code ec;
  fs::remove_all(server_dir, ec);
}

}  // namespace

std::string server_bindir() {
  ProcessResult r = run_process({"pg_config", "--bindir"});
  if (r.exit_code == 0) {
    std::string dir = r.output.substr(0, r.output.find('\n'));
    if (fs::exists(dir + "/initdb")) return dir;
  }
  if (fs::exists("/usr/lib/postgresql/15/bin/initdb")) return "/usr/lib/postgresql/15/bin";
  throw RuntimeError(
      "PostgreSQL 15 server binaries (initdb, pg_ctl) not found via `pg_config --bindir` or in "
      "/usr/lib/postgresql/15/bin; run scripts/install-deps.sh");
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RuntimeError("cannot create a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw RuntimeError("cannot bind a socket on 127.0.0.1 to find a free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

LocalInstance LocalInstance::create_and_start(const LocalInstanceOptions& options) {
  std::string dir = options.dir;
  if (dir.empty()) {
    std::string tmpl = options.base_dir + "/dbsplit-pg-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr)
      throw RuntimeError(fmt::format("cannot create a directory under {}: {}", options.base_dir,
                                     std::strerror(errno)));
    dir = buf.data();
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw RuntimeError(fmt::format("cannot create {}: {}", dir, ec.message()));
    if (exists(dir))
      throw RuntimeError(fmt::format(
          "{} already holds a PostgreSQL cluster; use it as it is or remove the directory", dir));
  }

  LocalInstance instance;
  instance.dir_ = dir;
  instance.server_dir_ = dir;
  std::string blocked = unreachable_parent(dir);
  if (blocked.empty()) {
    chmod(dir.c_str(), 0755);
    give_to_server_user(dir);
  } else {
    // A record left by an attempt that died before initdb finished names an empty directory.
    std::string earlier = server_dir_of(dir);
    if (earlier != dir) remove_abandoned(earlier);
    instance.server_dir_ = make_relocated_server_dir(dir);
    write_text(asked_file(instance.server_dir_), fs::absolute(dir).string() + "\n");
    write_text(location_file(dir), instance.server_dir_ + "\n");
    std::error_code ec;
    fs::remove(log_path(dir), ec);
    fs::create_symlink(log_path(instance.server_dir_), log_path(dir), ec);
    instance.relocation_note_ = fmt::format(
        "the postgres user (which runs the server when dbsplit runs as root) cannot reach {} "
        "({} is private), so the server's data is kept in {}; {} records where",
        dir, blocked, instance.server_dir_, location_file(dir));
  }
  const std::string& server_dir = instance.server_dir_;
  // Who owns the cluster: cleanup_stale_instances removes it once this process is gone.
  if (options.lifetime == LocalInstanceOptions::Lifetime::temporary) {
    write_text(dir + "/owner.pid", std::to_string(getpid()) + "\n");
    if (server_dir != dir) write_text(server_dir + "/owner.pid", std::to_string(getpid()) + "\n");
  }

  instance.port_ = options.port != 0 ? options.port : free_port();
  try {
    std::string bindir = server_bindir();
    run_checked(
        as_server_user({bindir + "/initdb", "-D", data_dir(server_dir), "-U", "postgres",
                        "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"}),
        server_dir);
    std::string conf = fmt::format(
        "\n# dbsplit local instance\n"
        "port = {}\n"
        "listen_addresses = '127.0.0.1'\n"
        "unix_socket_directories = '{}'\n"
        "wal_level = logical\n"
        "max_replication_slots = 32\n"
        "max_wal_senders = 32\n"
        "max_connections = 200\n"
        "shared_preload_libraries = 'pg_stat_statements'\n"
        "pg_stat_statements.track = all\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n"
        "logging_collector = off\n",
        instance.port_, server_dir);
    for (const auto& [key, value] : options.settings) conf += fmt::format("{} = {}\n", key, value);
    write_text(data_dir(server_dir) + "/postgresql.conf", conf, /*append=*/true);
    write_text(dir + "/port", std::to_string(instance.port_) + "\n");
    instance.start();
  } catch (...) {
    // Nothing of a failed instance stays in the system-wide directory; the asked-for one
    // keeps what the error points at only when it is the server's own.
    if (server_dir != dir) {
      try {
        instance.stop();
      } catch (...) {
        // The error being thrown is the one worth reporting.
      }
      std::error_code ec;
      fs::remove_all(server_dir, ec);
      fs::remove(location_file(dir), ec);
      fs::remove(log_path(dir), ec);
    }
    throw;
  }
  return instance;
}

bool LocalInstance::exists(const std::string& dir) { return holds_cluster(server_dir_of(dir)); }

LocalInstance LocalInstance::open(const std::string& dir, StartIfStopped start) {
  std::string server_dir = server_dir_of(dir);
  if (!holds_cluster(server_dir)) {
    if (server_dir == dir)
      throw UsageError(fmt::format("{} holds no dbsplit local instance (no data/PG_VERSION)", dir));
    throw UsageError(fmt::format(
        "{} holds no dbsplit local instance: {}, which {} names, has no data/PG_VERSION; remove {} "
        "and start a new instance",
        dir, server_dir, location_file(dir), dir));
  }
  LocalInstance instance;
  instance.dir_ = dir;
  instance.server_dir_ = server_dir;
  instance.port_ = std::atoi(read_file_or_empty(dir + "/port").c_str());
  if (instance.port_ == 0) throw RuntimeError(fmt::format("{}/port is missing or empty", dir));
  if (start == StartIfStopped::yes && !instance.running()) instance.start();
  return instance;
}

LocalInstance::LocalInstance(LocalInstance&& other) noexcept
    : dir_(std::move(other.dir_)),
      server_dir_(std::move(other.server_dir_)),
      relocation_note_(std::move(other.relocation_note_)),
      port_(other.port_) {
  other.dir_.clear();
  other.server_dir_.clear();
}

LocalInstance& LocalInstance::operator=(LocalInstance&& other) noexcept {
  dir_ = std::move(other.dir_);
  server_dir_ = std::move(other.server_dir_);
  relocation_note_ = std::move(other.relocation_note_);
  port_ = other.port_;
  other.dir_.clear();
  other.server_dir_.clear();
  return *this;
}

void LocalInstance::start() {
  std::string bindir = server_bindir();
  // A postmaster.pid left by a killed server would make pg_ctl refuse to start.
  std::string pidfile = data_dir(server_dir_) + "/postmaster.pid";
  if (fs::exists(pidfile)) {
    long pid = std::atol(read_file_or_empty(pidfile).c_str());
    if (!process_alive(pid)) fs::remove(pidfile);
  }
  run_checked(as_server_user({bindir + "/pg_ctl", "-D", data_dir(server_dir_), "-l",
                              log_path(server_dir_), "-w", "-t", "60", "start"}),
              server_dir_);
}

bool LocalInstance::running() const {
  if (server_dir_.empty()) return false;
  long pid = std::atol(read_file_or_empty(data_dir(server_dir_) + "/postmaster.pid").c_str());
  return process_alive(pid);
}

void LocalInstance::stop() {
  if (!running()) return;
  run_checked(as_server_user({server_bindir() + "/pg_ctl", "-D", data_dir(server_dir_), "-m",
                              "fast", "-w", "-t", "60", "stop"}),
              server_dir_);
}

void LocalInstance::destroy() {
  if (dir_.empty()) return;
  stop();
  std::error_code ec;
  // The server's files first: a failure in between leaves the record that finds them.
  if (server_dir_ != dir_) fs::remove_all(server_dir_, ec);
  fs::remove_all(dir_, ec);
  dir_.clear();
  server_dir_.clear();
}

std::string LocalInstance::url(const std::string& database) const {
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, database);
}

int cleanup_stale_instances(const std::string& base_dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("dbsplit-pg-", 0) != 0 || !entry.is_directory()) continue;
    std::string dir = entry.path().string();
    long owner = std::atol(read_file_or_empty(dir + "/owner.pid").c_str());
    if (owner == 0 || process_alive(owner)) continue;
    remove_abandoned(server_dir_of(dir));
    fs::remove_all(dir, ec);
    ++removed;
  }
  // Relocated server files whose record went with a private TMPDIR since removed: their
  // own owner.pid says whether they were temporary and whose. Persistent ones are kept.
  if (is_root()) {
    for (const auto& entry : fs::directory_iterator(kRelocatedInstancesRoot, ec)) {
      std::string server_dir = entry.path().string();
      long owner = std::atol(read_file_or_empty(server_dir + "/owner.pid").c_str());
      if (owner == 0 || process_alive(owner)) continue;
      remove_abandoned(server_dir);
    }
  }
  return removed;
}

}  // namespace dbsplit::pg
