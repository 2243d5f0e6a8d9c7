#include "core/apply/service_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>
#include <thread>

#include "core/util/error.hpp"
#include "core/util/process.hpp"

extern char** environ;

namespace dbsplit::apply {
namespace {

std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool is_url(const std::string& conninfo) {
  return conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
}

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or 0 when there is no such process.
char process_state(int pid) {
  std::string stat = read_file_or_empty("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return 0;
  return stat[paren + 2];
}

bool alive(int pid) {
  char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

}  // namespace

int spawn_detached(const std::vector<std::string>& argv,
                   const std::vector<std::pair<std::string, std::string>>& env,
                   const std::string& log_path) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string item = *e;
    bool replaced = false;
    for (const auto& [name, value] : env) replaced = replaced || item.rfind(name + "=", 0) == 0;
    if (!replaced) env_strings.push_back(item);
  }
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> raw_env;
  for (auto& e : env_strings) raw_env.push_back(e.data());
  raw_env.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> raw_args;
  for (auto& a : args) raw_args.push_back(a.data());
  raw_args.push_back(nullptr);
  long max_fd = sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;

  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0)
    throw RuntimeError("cannot open the log file " + log_path + ": " + std::strerror(errno) +
                       "; choose a writable --state-dir");
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    throw RuntimeError(std::string("cannot start ") + describe_command(argv) +
                       ": fork failed: " + std::strerror(errno));
  }
  if (pid == 0) {
    setsid();  // its own session: a Ctrl-C meant for the caller does not reach it
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    // The caller's database sockets and pipes (a test harness waiting for EOF) stay behind.
    for (long fd = 3; fd < max_fd; ++fd) close(static_cast<int>(fd));
    execve(raw_args[0], raw_args.data(), raw_env.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

bool child_exited(int pid, int& exit_code) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return true;
}

bool process_runs(int pid, const std::vector<std::string>& args) {
  if (pid <= 0 || !alive(pid)) return false;
  std::string cmdline = read_file_or_empty("/proc/" + std::to_string(pid) + "/cmdline");
  std::string with_nul = std::string(1, '\0') + cmdline;
  for (const auto& a : args)
    if (with_nul.find(std::string(1, '\0') + a + std::string(1, '\0')) == std::string::npos)
      return false;
  return true;
}

bool terminate_process(int pid, int seconds) {
  if (pid <= 0 || !alive(pid)) return true;
  kill(pid, SIGTERM);
  int code = 0;
  for (int i = 0; i < seconds * 20; ++i) {
    // Our own child is reaped here; someone else's is gone once it is a zombie.
    if (child_exited(pid, code) || !alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  for (int i = 0; i < 100 && alive(pid); ++i) {
    child_exited(pid, code);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::pair<std::string, std::string> split_password(const std::string& conninfo) {
  std::smatch m;
  if (is_url(conninfo)) {
    static const std::regex user_info(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/]*):([^@/]*)@)");
    static const std::regex query(R"(([?&])password=([^&]*)&?)");
    std::string out = conninfo;
    std::string password;
    if (std::regex_search(out, m, user_info)) {
      password = percent_decode(m[2].str());
      out = m[1].str() + "@" + m.suffix().str();
    }
    if (std::regex_search(out, m, query)) {
      password = percent_decode(m[2].str());
      out = m.prefix().str() + m[1].str() + m.suffix().str();
      while (!out.empty() && (out.back() == '?' || out.back() == '&')) out.pop_back();
    }
    return {out, password};
  }
  static const std::regex kv(R"((^|\s)password\s*=\s*('(([^'\\]|\\.)*)'|(\S+)))");
  if (!std::regex_search(conninfo, m, kv)) return {conninfo, ""};
  std::string password = m[3].matched ? m[3].str() : m[5].str();
  return {m.prefix().str() + m[1].str() + m.suffix().str(), password};
}

std::string with_role(const std::string& conninfo, const std::string& role) {
  if (is_url(conninfo))
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
           "options=-c%20role%3D" + role;
  return conninfo + " options='-c role=" + role + "'";
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

}  // namespace dbsplit::apply
