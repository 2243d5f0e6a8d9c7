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

void give_to_server_user(const std::string& path) {
  if (!is_root()) return;
  struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr)
    throw RuntimeError(
        "running as root, but there is no `postgres` system user to run PostgreSQL as; "
        "install postgresql-15 (scripts/install-deps.sh) or run as a normal user");
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw RuntimeError(fmt::format("cannot chown {} to postgres: {}", path, std::strerror(errno)));
}

// As root the server runs as `postgres`, which must be able to walk down to the
// directory; a private parent (mktemp -d, /root) would make initdb fail obscurely.
void check_server_user_can_reach(const std::string& dir) {
  if (!is_root()) return;
  fs::path path = fs::absolute(dir);
  for (fs::path p = path.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      struct passwd* pw = getpwnam("postgres");
      if (pw == nullptr || st.st_uid != pw->pw_uid)
        throw RuntimeError(fmt::format(
            "the postgres user (which runs the server when dbsplit runs as root) cannot reach "
            "{}: {} is not searchable by others; choose a directory elsewhere (e.g. under /tmp) "
            "or run `chmod o+x {}`",
            dir, p.string(), p.string()));
    }
    if (p == p.root_path()) break;
  }
}

std::string data_dir(const std::string& dir) { return dir + "/data"; }
std::string log_file(const std::string& dir) { return dir + "/server.log"; }

ProcessResult run_checked(const std::vector<std::string>& argv, const std::string& dir) {
  ProcessResult r = run_process(argv);
  if (r.exit_code != 0) {
    std::string log = read_file_or_empty(log_file(dir));
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
    if (fs::exists(data_dir(dir) + "/PG_VERSION"))
      throw RuntimeError(fmt::format(
          "{} already holds a PostgreSQL cluster; use it as it is or remove the directory", dir));
  }
  chmod(dir.c_str(), 0755);
  give_to_server_user(dir);
  check_server_user_can_reach(dir);
  // Who owns the cluster: cleanup_stale_instances removes it once this process is gone.
  if (options.lifetime == LocalInstanceOptions::Lifetime::temporary)
    write_text(dir + "/owner.pid", std::to_string(getpid()) + "\n");

  std::string bindir = server_bindir();
  run_checked(as_server_user({bindir + "/initdb", "-D", data_dir(dir), "-U", "postgres",
                              "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"}),
              dir);

  LocalInstance instance;
  instance.dir_ = dir;
  instance.port_ = options.port != 0 ? options.port : free_port();
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
      instance.port_, dir);
  for (const auto& [key, value] : options.settings) conf += fmt::format("{} = {}\n", key, value);
  write_text(data_dir(dir) + "/postgresql.conf", conf, /*append=*/true);
  write_text(dir + "/port", std::to_string(instance.port_) + "\n");
  instance.start();
  return instance;
}

LocalInstance LocalInstance::open(const std::string& dir, StartIfStopped start) {
  if (!fs::exists(data_dir(dir) + "/PG_VERSION"))
    throw UsageError(fmt::format("{} holds no dbsplit local instance (no data/PG_VERSION)", dir));
  LocalInstance instance;
  instance.dir_ = dir;
  instance.port_ = std::atoi(read_file_or_empty(dir + "/port").c_str());
  if (instance.port_ == 0) throw RuntimeError(fmt::format("{}/port is missing or empty", dir));
  if (start == StartIfStopped::yes && !instance.running()) instance.start();
  return instance;
}

LocalInstance::LocalInstance(LocalInstance&& other) noexcept
    : dir_(std::move(other.dir_)), port_(other.port_) {
  other.dir_.clear();
}

LocalInstance& LocalInstance::operator=(LocalInstance&& other) noexcept {
  dir_ = std::move(other.dir_);
  port_ = other.port_;
  other.dir_.clear();
  return *this;
}

void LocalInstance::start() {
  std::string bindir = server_bindir();
  // A postmaster.pid left by a killed server would make pg_ctl refuse to start.
  std::string pidfile = data_dir(dir_) + "/postmaster.pid";
  if (fs::exists(pidfile)) {
    long pid = std::atol(read_file_or_empty(pidfile).c_str());
    if (!process_alive(pid)) fs::remove(pidfile);
  }
  run_checked(as_server_user({bindir + "/pg_ctl", "-D", data_dir(dir_), "-l", log_file(dir_), "-w",
                              "-t", "60", "start"}),
              dir_);
}

bool LocalInstance::running() const {
  if (dir_.empty()) return false;
  long pid = std::atol(read_file_or_empty(data_dir(dir_) + "/postmaster.pid").c_str());
  return process_alive(pid);
}

void LocalInstance::stop() {
  if (!running()) return;
  run_checked(as_server_user({server_bindir() + "/pg_ctl", "-D", data_dir(dir_), "-m", "fast", "-w",
                              "-t", "60", "stop"}),
              dir_);
}

void LocalInstance::destroy() {
  if (dir_.empty()) return;
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
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
    std::string pidfile = data_dir(dir) + "/postmaster.pid";
    long server = std::atol(read_file_or_empty(pidfile).c_str());
    if (process_alive(server)) kill(static_cast<pid_t>(server), SIGQUIT);  // immediate stop
    for (int i = 0; i < 100 && process_alive(server); ++i) usleep(50 * 1000);
    fs::remove_all(dir, ec);
    ++removed;
  }
  return removed;
}

}  // namespace dbsplit::pg
