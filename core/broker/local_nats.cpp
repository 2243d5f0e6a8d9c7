#include "core/broker/local_nats.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "core/pg/local_instance.hpp"
#include "core/util/error.hpp"
#include "core/util/process.hpp"

namespace fs = std::filesystem;

namespace dbsplit::broker {
namespace {

std::string pid_file(const std::string& dir) { return dir + "/nats.pid"; }
std::string port_file(const std::string& dir) { return dir + "/nats.port"; }
std::string log_file(const std::string& dir) { return dir + "/nats.log"; }
std::string store_dir(const std::string& dir) { return dir + "/jetstream"; }
std::string url_of(int port) { return fmt::format("nats://127.0.0.1:{}", port); }

std::string absolute(const std::string& dir) {
  return fs::absolute(dir).lexically_normal().string();
}

bool ever_held_server(const std::string& dir) {
  std::error_code ec;
  return fs::exists(port_file(dir), ec) || fs::exists(pid_file(dir), ec);
}

void require_server_dir(const std::string& dir) {
  if (!ever_held_server(dir))
    throw UsageError(fmt::format(
        "{} holds no dbsplit local NATS server (no nats.port); start one with `dbsplit local "
        "nats start --dir {}`",
        dir, dir));
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw RuntimeError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  out << text;
}

int read_int(const std::string& path) { return std::atoi(read_file_or_empty(path).c_str()); }

// Reaps `pid` when it is an exited child of this process (tests start servers themselves).
void reap_if_child(int pid) {
  int status = 0;
  waitpid(pid, &status, WNOHANG);
}

// A live, non-zombie nats-server whose store is DIR's: a pid the system reused for
// something else after a crash does not count.
bool is_our_server(int pid, const std::string& dir) {
  if (pid <= 0) return false;
  reap_if_child(pid);
  std::string proc = "/proc/" + std::to_string(pid);
  std::string stat = read_file_or_empty(proc + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  if (state == 'Z' || state == 'X') return false;
  std::string cmdline = read_file_or_empty(proc + "/cmdline");
  return cmdline.find("nats-server") != std::string::npos &&
         cmdline.find(std::string(1, '\0') + store_dir(dir) + '\0') != std::string::npos;
}

// The pid of DIR's running server, or 0 (then a leftover pid file is removed).
int running_pid(const std::string& dir) {
  int pid = read_int(pid_file(dir));
  if (is_our_server(pid, dir)) return pid;
  std::error_code ec;
  fs::remove(pid_file(dir), ec);
  return 0;
}

std::string find_nats_server() {
  const char* path = std::getenv("PATH");
  std::string paths = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= paths.size()) {
    size_t end = paths.find(':', begin);
    if (end == std::string::npos) end = paths.size();
    std::string candidate = paths.substr(begin, end - begin) + "/nats-server";
    if (end > begin && access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  throw RuntimeError(
      "nats-server not found in PATH; install it with scripts/install-deps.sh (Debian package "
      "nats-server)");
}

int choose_port(const LocalNatsOptions& options, const std::string& dir) {
  if (options.port != 0) {
    if (port_accepts_connections(options.port))
      throw RuntimeError(fmt::format(
          "port {} on 127.0.0.1 is already in use; pass another --port or leave it out to get a "
          "free one",
          options.port));
    return options.port;
  }
  // The previous server's port keeps the URL that relays were given valid after a restart.
  int previous = read_int(port_file(dir));
  if (previous > 0 && !port_accepts_connections(previous)) return previous;
  return pg::free_port();
}

int spawn_server(const std::string& program, const std::string& dir, int port,
                 LocalNatsOptions::Lifetime lifetime) {
  std::vector<std::string> args = {program, "-js",       "-sd", store_dir(dir),
                                   "-a",    "127.0.0.1", "-p",  std::to_string(port)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  long max_fd = sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  int log_fd = open(log_file(dir).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw RuntimeError(fmt::format("cannot open {}: {}; choose a writable --dir", log_file(dir),
                                   std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    throw RuntimeError(
        fmt::format("cannot start nats-server: fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    if (lifetime == LocalNatsOptions::Lifetime::detached) {
      setsid();  // a Ctrl-C meant for the shell that started it does not reach it
    } else {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    for (long fd = 3; fd < max_fd; ++fd) close(static_cast<int>(fd));
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

void terminate(int pid, const std::string& dir) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 200 && is_our_server(pid, dir); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!is_our_server(pid, dir)) return;
  kill(pid, SIGKILL);
  for (int i = 0; i < 100 && is_our_server(pid, dir); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

bool port_accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string start_local_nats(const LocalNatsOptions& options) {
  if (options.port < 0 || options.port > 65535)
    throw UsageError(fmt::format("--port {} is not a TCP port (1..65535)", options.port));
  std::string dir = absolute(options.dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw UsageError(fmt::format(
        "--dir {} exists and is not a directory; give a directory for the NATS server's store "
        "and log",
        dir));
  fs::create_directories(dir, ec);
  if (ec)
    throw RuntimeError(
        fmt::format("cannot create {}: {}; choose a writable --dir", dir, ec.message()));

  if (int pid = running_pid(dir); pid != 0) {
    int port = read_int(port_file(dir));
    if (options.port != 0 && options.port != port)
      throw UsageError(fmt::format(
          "the NATS server in {} already runs on port {}, not {}; stop it first with `dbsplit "
          "local nats stop --dir {}`",
          dir, port, options.port, dir));
    return url_of(port);
  }

  std::string program = find_nats_server();
  int port = choose_port(options, dir);
  auto log_start =
      static_cast<size_t>(fs::exists(log_file(dir), ec) ? fs::file_size(log_file(dir), ec) : 0);
  int pid = spawn_server(program, dir, port, options.lifetime);
  write_text(pid_file(dir), std::to_string(pid) + "\n");
  write_text(port_file(dir), std::to_string(port) + "\n");
  for (int i = 0; i < 400; ++i) {
    // Our own child: until it has exec'd, its command line is still ours, so ask waitpid.
    int status = 0;
    bool alive = waitpid(pid, &status, WNOHANG) == 0;
    if (alive && port_accepts_connections(port)) return url_of(port);
    if (!alive) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == 0) {  // still running but not listening: give up on it
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  fs::remove(pid_file(dir), ec);
  std::string log = read_file_or_empty(log_file(dir));
  throw RuntimeError(
      fmt::format("nats-server did not start on 127.0.0.1:{} (log {}):\n{}", port, log_file(dir),
                  tail_lines(log.size() > log_start ? log.substr(log_start) : log, 10)));
}

std::string local_nats_url(const std::string& dir_arg) {
  std::string dir = absolute(dir_arg);
  require_server_dir(dir);
  if (running_pid(dir) == 0)
    throw RuntimeError(fmt::format(
        "the NATS server in {} is not running; start it with `dbsplit local nats start --dir {}`",
        dir, dir));
  return url_of(read_int(port_file(dir)));
}

void stop_local_nats(const std::string& dir_arg, Remove remove) {
  std::string dir = absolute(dir_arg);
  require_server_dir(dir);
  if (int pid = running_pid(dir); pid != 0) terminate(pid, dir);
  std::error_code ec;
  fs::remove(pid_file(dir), ec);
  if (remove == Remove::yes) {
    fs::remove_all(dir, ec);
    if (ec) throw RuntimeError(fmt::format("cannot remove {}: {}", dir, ec.message()));
  }
}

}  // namespace dbsplit::broker
