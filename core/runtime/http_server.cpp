#include "core/runtime/http_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

namespace dbsplit::runtime {
namespace {

using Clock = std::chrono::steady_clock;

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// poll() one socket; > 0 when ready, 0 on timeout, < 0 on error (EINTR retried).
int wait_for(int sock, short events, int timeout_ms) {
  pollfd pfd{sock, events, 0};
  int n;
  do {
    n = ::poll(&pfd, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n;
}

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "";
  socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) == 0)
    ip = host;
  port = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port)
                                    : ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
}

// One keep-alive connection: reads through a buffer kept across requests and collects a
// response's writes until flush() sends them at once.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, remote_ip_, remote_port_);
    len = sizeof addr;
    if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, local_ip_, local_port_);
  }

  bool is_readable() const override {
    return in_pos_ < in_.size() || wait_for(sock_, POLLIN, read_timeout_ms_) > 0;
  }
  bool is_writable() const override { return !failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (in_pos_ == in_.size() && !fill()) return failed_ ? -1 : 0;
    size_t n = std::min(size, in_.size() - in_pos_);
    std::memcpy(ptr, in_.data() + in_pos_, n);
    in_pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (failed_) return -1;
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

  // Sends everything written so far; false when the client is gone or too slow.
  bool flush() {
    size_t sent = 0;
    while (!failed_ && sent < out_.size()) {
      ssize_t n = ::send(sock_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (wait_for(sock_, POLLOUT, write_timeout_ms_) <= 0) failed_ = true;
      } else {
        failed_ = true;
      }
    }
    out_.clear();
    return !failed_;
  }

  bool has_input() const { return in_pos_ < in_.size(); }

 private:
  // Reads what the socket has (waiting up to the read timeout); false at end or error.
  // Pending output goes first: a client waiting for "100 Continue" sends nothing more.
  bool fill() {
    if (!out_.empty() && !flush()) return false;
    in_.resize(kChunk);
    in_pos_ = 0;
    for (bool waited = false;;) {
      ssize_t n = ::recv(sock_, in_.data(), kChunk, MSG_DONTWAIT);
      if (n > 0) {
        in_.resize(static_cast<size_t>(n));
        return true;
      }
      in_.clear();
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || waited ||
          wait_for(sock_, POLLIN, read_timeout_ms_) <= 0) {
        failed_ = true;
        return false;
      }
      in_.resize(kChunk);
      waited = true;
    }
  }

  static constexpr size_t kChunk = 16 * 1024;
  int sock_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::string in_;
  size_t in_pos_ = 0;
  std::string out_;
  bool failed_ = false;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

// What httplib's logger saw of the request being handled by this thread; logged once the
// response is sent.
struct Handled {
  std::string method;
  std::string path;
  int status = 0;
};
thread_local std::optional<Handled> handled;

constexpr int kIdleSliceMs = 100;  // how often an idle connection checks for shutdown

}  // namespace

HttpServer::HttpServer(RequestLog log) : log_(std::move(log)) {
  set_logger([](const httplib::Request& req, const httplib::Response& res) {
    handled = Handled{req.method, req.path, res.status};
  });
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  ConnectionStream strm(sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                        to_ms(write_timeout_sec_, write_timeout_usec_));
  const int idle_limit_ms = static_cast<int>(keep_alive_timeout_sec_ * 1000);
  bool ret = false;
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    // Wait for the next request (or the client's close), watching for shutdown.
    int idle_ms = 0;
    while (!strm.has_input() && svr_sock_ != INVALID_SOCKET && idle_ms <= idle_limit_ms) {
      int ready = wait_for(sock, POLLIN, kIdleSliceMs);
      if (ready != 0) break;
      idle_ms += kIdleSliceMs;
    }
    if (svr_sock_ == INVALID_SOCKET || idle_ms > idle_limit_ms) break;
    auto start = Clock::now();
    bool connection_closed = false;
    handled.reset();
    ret = process_request(strm, left == 1, connection_closed, nullptr);
    if (!strm.flush()) ret = false;
    if (handled && log_) {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      log_(fmt::format("{} {} {} {:.2f}ms", handled->method, handled->path, handled->status, ms));
    }
    if (!ret || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace dbsplit::runtime
