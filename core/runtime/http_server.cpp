#include "core/runtime/http_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>

namespace dbsplit::runtime {
namespace {

using Clock = std::chrono::steady_clock;

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "";
  socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) == 0)
    ip = host;
  port = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port)
                                    : ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
}

timeval to_timeval(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

// One keep-alive connection: reads through a buffer kept across requests and collects a
// response's writes until flush() sends them at once. The socket blocks for at most a
// slice of kSliceMs per call, so a waiting thread notices shutdown without a poll() before
// every read.
class ConnectionStream final : public httplib::Stream {
 public:
  static constexpr int kSliceMs = 100;

  ConnectionStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms) {
    timeval slice = to_timeval(kSliceMs), write_timeout = to_timeval(write_timeout_ms);
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &write_timeout, sizeof write_timeout);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, remote_ip_, remote_port_);
    len = sizeof addr;
    if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      address_of(addr, local_ip_, local_port_);
  }

  // httplib asks before reading a body; the read itself waits (and fails) as needed.
  bool is_readable() const override { return !failed_; }
  bool is_writable() const override { return !failed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (in_pos_ == in_.size() && !receive(read_timeout_ms_, [] { return false; }))
      return failed_ ? -1 : 0;
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

  // Waits for the first bytes of the next request; false when the client closed, after
  // idle_limit_ms without any, or once `stopping` says so.
  bool next_request(int idle_limit_ms, const std::function<bool()>& stopping) {
    return in_pos_ < in_.size() || receive(idle_limit_ms, stopping);
  }

  // Sends everything written so far; false when the client is gone or too slow.
  bool flush() {
    size_t sent = 0;
    while (!failed_ && sent < out_.size()) {
      ssize_t n = ::send(sock_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n > 0)
        sent += static_cast<size_t>(n);
      else if (n < 0 && errno == EINTR)
        continue;
      else
        failed_ = true;  // includes EAGAIN: the write timeout passed
    }
    out_.clear();
    return !failed_;
  }

 private:
  // Reads what the socket has, waiting up to limit_ms; false at the end of the stream,
  // on an error or timeout (failed_ set), or when `stopping` says so. Pending output goes
  // first: a client waiting for "100 Continue" sends nothing more.
  bool receive(int limit_ms, const std::function<bool()>& stopping) {
    if (!out_.empty() && !flush()) return false;
    in_.resize(kChunk);
    in_pos_ = 0;
    for (int waited = 0;;) {
      ssize_t n = ::recv(sock_, in_.data(), kChunk, 0);
      if (n > 0) {
        in_.resize(static_cast<size_t>(n));
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        waited += kSliceMs;
        if (waited < limit_ms && !stopping()) continue;
      }
      in_.clear();
      if (n < 0) failed_ = true;
      return false;
    }
  }

  static constexpr size_t kChunk = 16 * 1024;
  int sock_;
  int read_timeout_ms_;
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
  auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
  for (size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!strm.next_request(idle_limit_ms, stopping)) break;
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
