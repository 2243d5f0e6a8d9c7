#include "core/net/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "core/util/error.hpp"

namespace dbsplit::net {

using Clock = std::chrono::steady_clock;

// One request on a connection and, once answered, its response as it goes on the wire.
struct Exchange {
  Connection* conn = nullptr;  // null once the connection is gone
  Clock::time_point start;
  std::string method;  // for the log; empty when the request could not be read
  std::string path;
  bool head = false;         // HEAD: the answer has no body
  bool close_after = false;  // the last answer on this connection
  bool done = false;
  std::string wire;
};

class Connection {
 public:
  Connection(HttpServer& server, int fd) : server_(server), fd_(fd) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    last_activity_ = Clock::now();
  }
  ~Connection() {
    for (auto& ex : exchanges_) ex->conn = nullptr;
  }

  int fd() const { return fd_; }
  bool dirty = false;

  // Handles what epoll reported; false when the connection is to be closed.
  bool on_events(uint32_t events) {
    if (events & EPOLLIN) {
      if (!receive()) return false;
    }
    if (events & EPOLLOUT) return flush();
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) return false;
    return true;
  }

  // Moves the answers ready at the head of the queue to the socket; false when the
  // connection is to be closed (client gone, or the last answer sent).
  bool flush() {
    while (!exchanges_.empty() && exchanges_.front()->done) {
      std::shared_ptr<Exchange> ex = std::move(exchanges_.front());
      exchanges_.pop_front();
      out_ += ex->wire;
      logged_.push_back(std::move(ex));
      if (logged_.back()->close_after) {
        closing_ = true;
        for (auto& rest : exchanges_) rest->conn = nullptr;
        exchanges_.clear();
        break;
      }
    }
    while (out_sent_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
      if (n > 0) {
        out_sent_ += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        return false;
      }
    }
    if (out_sent_ == out_.size()) {
      out_.clear();
      out_sent_ = 0;
    }
    if (!logged_.empty()) write_log();
    if (closing_ && exchanges_.empty() && out_.empty()) return false;
    if (read_closed_ && exchanges_.empty() && out_.empty()) return false;
    if (paused_ && !closing_ && exchanges_.size() < server_.options_.max_pipelined) {
      paused_ = false;
      http_parser_pause(&parser_, 0);
      std::string rest;
      rest.swap(held_);
      if (!rest.empty()) feed(rest.data(), rest.size());
    }
    update_interest();
    return true;
  }

  // Formats the answer of `ex` (one of this connection's) and queues the connection to
  // be written at the end of the round.
  void answer(Exchange& ex, const Response& res);

  bool idle_since(Clock::time_point limit) const {
    return exchanges_.empty() && out_.empty() && last_activity_ < limit;
  }
  bool quiet() const { return exchanges_.empty() && out_.empty(); }
  // Answers what was received, then closes; reads nothing more.
  void close_when_answered() {
    closing_ = true;
    update_interest();
  }

 private:
  friend class HttpServer;

  bool receive() {
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {
      read_closed_ = true;
      update_interest();
      return !quiet();
    }
    last_activity_ = Clock::now();
    if (paused_)
      held_.append(buf, static_cast<size_t>(n));
    else
      feed(buf, static_cast<size_t>(n));
    update_interest();
    return true;
  }

  void feed(const char* data, size_t size) {
    if (closing_) return;
    size_t parsed = http_parser_execute(&parser_, &settings(), data, size);
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      if (!closing_) {
        paused_ = true;
        held_.assign(data + parsed, size - parsed);
      }
      return;
    }
    if (err != HPE_OK || parser_.upgrade) {
      // The stream cannot be read further: answer 400 after what came before, then close.
      auto ex = std::make_shared<Exchange>();
      ex->conn = this;
      ex->start = Clock::now();
      ex->close_after = true;
      exchanges_.push_back(ex);
      closing_ = true;
      server_.answer_error(ex, nullptr, 400);
    }
  }

  void update_interest() {
    uint32_t want = 0;
    if (!read_closed_ && !closing_ && !paused_) want |= EPOLLIN;
    if (!out_.empty()) want |= EPOLLOUT;
    if (want != interest_) {
      interest_ = want;
      server_.loop_.modify(fd_, want);
    }
  }

  void write_log() {
    if (server_.log_) {
      auto now = Clock::now();
      for (const auto& ex : logged_) {
        if (ex->method.empty()) continue;
        double ms = std::chrono::duration<double, std::milli>(now - ex->start).count();
        server_.log_(
            fmt::format("{} {} {} {:.2f}ms", ex->method, ex->path, status_of(ex->wire), ms));
      }
    }
    logged_.clear();
  }

  static std::string status_of(const std::string& wire) { return wire.substr(9, 3); }

  // http_parser callbacks.
  static Connection& self(http_parser* p) { return *static_cast<Connection*>(p->data); }
  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_message_begin = [](http_parser* p) { return self(p).on_message_begin(); };
      x.on_url = [](http_parser* p, const char* at, size_t n) {
        self(p).url_.append(at, n);
        return 0;
      };
      x.on_header_field = [](http_parser* p, const char* at, size_t n) {
        return self(p).on_header_field(at, n);
      };
      x.on_header_value = [](http_parser* p, const char* at, size_t n) {
        Connection& c = self(p);
        c.in_value_ = true;
        c.value_.append(at, n);
        return 0;
      };
      x.on_headers_complete = [](http_parser* p) { return self(p).on_headers_complete(); };
      x.on_body = [](http_parser* p, const char* at, size_t n) { return self(p).on_body(at, n); };
      x.on_message_complete = [](http_parser* p) { return self(p).on_message_complete(); };
      return x;
    }();
    return s;
  }

  int on_message_begin() {
    req_ = Request{};
    start_ = Clock::now();
    url_.clear();
    field_.clear();
    value_.clear();
    in_value_ = false;
    too_large_ = false;
    body_bytes_ = 0;
    return 0;
  }

  void commit_header() {
    if (!field_.empty()) req_.headers.emplace(std::move(field_), std::move(value_));
    field_.clear();
    value_.clear();
    in_value_ = false;
  }

  int on_header_field(const char* at, size_t n) {
    if (in_value_) commit_header();
    field_.append(at, n);
    return 0;
  }

  int on_headers_complete() {
    commit_header();
    req_.method = http_method_str(static_cast<http_method>(parser_.method));
    req_.target = std::move(url_);
    const size_t max = server_.options_.max_body_bytes;
    if ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > max) too_large_ = true;
    if (strcasecmp(req_.header("Expect").c_str(), "100-continue") == 0) {
      if (too_large_) {
        // The client waits before sending the body: refuse now, skip the body and close
        // (whatever it sends after its wait cannot be told from a next request).
        expect_refused_ = true;
        return 1;
      }
      if (exchanges_.empty() && out_.empty()) {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)!::send(fd_, kContinue, sizeof kContinue - 1, MSG_NOSIGNAL);
      }
    }
    return 0;
  }

  int on_body(const char* at, size_t n) {
    body_bytes_ += n;
    if (body_bytes_ > server_.options_.max_body_bytes) {
      too_large_ = true;
      req_.body.clear();
      req_.body.shrink_to_fit();
    }
    if (!too_large_) req_.body.append(at, n);
    return 0;
  }

  int on_message_complete() {
    auto ex = std::make_shared<Exchange>();
    ex->conn = this;
    ex->start = start_;
    ex->method = req_.method;
    ex->head = req_.method == "HEAD";
    bool keep_alive = http_should_keep_alive(&parser_) != 0 && !expect_refused_;
    ex->close_after = !keep_alive;
    exchanges_.push_back(ex);
    bool target_ok = split_target(req_);
    ex->path = req_.path;
    if (too_large_)
      server_.answer_error(ex, &req_, 413);
    else if (!target_ok)
      server_.answer_error(ex, nullptr, 400);
    else
      server_.dispatch(ex, std::move(req_));
    if (!keep_alive) {
      closing_ = true;
      http_parser_pause(&parser_, 1);
    } else if (exchanges_.size() >= server_.options_.max_pipelined) {
      http_parser_pause(&parser_, 1);
    }
    return 0;
  }

  HttpServer& server_;
  int fd_;
  http_parser parser_;
  uint32_t interest_ = EPOLLIN;
  Clock::time_point last_activity_;
  std::deque<std::shared_ptr<Exchange>> exchanges_;  // in request order
  std::vector<std::shared_ptr<Exchange>> logged_;
  std::string out_;
  size_t out_sent_ = 0;
  std::string held_;  // received while parsing waits for answers to drain
  bool paused_ = false;
  bool closing_ = false;      // answer what was received, then close
  bool read_closed_ = false;  // the client sent everything it will
  // The request being read.
  Request req_;
  Clock::time_point start_;
  std::string url_, field_, value_;
  bool in_value_ = false;
  bool too_large_ = false;
  bool expect_refused_ = false;
  size_t body_bytes_ = 0;
};

namespace {

std::string format_response(const Exchange& ex, const Response& res, bool close) {
  const char* reason = http_status_str(static_cast<http_status>(res.status));
  std::string wire =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}\r\n", res.status,
                  reason, res.content_type, res.body.size(), close ? "Connection: close\r\n" : "");
  if (!ex.head) wire += res.body;
  return wire;
}

bool is_known_method(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "DELETE" ||
         m == "OPTIONS" || m == "PATCH";
}

}  // namespace

void Connection::answer(Exchange& ex, const Response& res) {
  ex.wire = format_response(ex, res, ex.close_after || server_.draining_);
  if (!dirty) {
    dirty = true;
    server_.mark_dirty(fd_);
  }
}

void Reply::send(Response res) const {
  Exchange& ex = *exchange_;
  if (ex.done) return;
  ex.done = true;
  if (ex.conn != nullptr) ex.conn->answer(ex, res);
}

HttpServer::HttpServer(EventLoop& loop, const Router& router, HttpServerOptions options,
                       RequestLog log)
    : loop_(loop),
      router_(router),
      options_(std::move(options)),
      log_(std::move(log)),
      workers_(options_.worker_threads) {
  loop_.at_round_end([this] { return flush_dirty(); });
  loop_.every(std::chrono::milliseconds(1000), [this] { sweep_idle(); });
}

HttpServer::~HttpServer() {
  for (auto& [fd, conn] : connections_) {
    loop_.unwatch(fd);
    ::close(fd);
  }
  connections_.clear();
  if (listen_fd_ >= 0) {
    loop_.unwatch(listen_fd_);
    ::close(listen_fd_);
  }
}

void HttpServer::listen() {
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  std::string port = std::to_string(options_.port);
  auto fail = [&](const std::string& why) {
    if (found) freeaddrinfo(found);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    throw RuntimeError(
        fmt::format("cannot listen on {}:{} ({}); is the port in use? pick another with --listen",
                    options_.host, options_.port, why));
  };
  if (getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &found) != 0 || !found)
    fail("unknown host");
  listen_fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail(std::strerror(errno));
  int yes = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(listen_fd_, found->ai_addr, found->ai_addrlen) != 0 ||
      ::listen(listen_fd_, SOMAXCONN) != 0)
    fail(std::strerror(errno));
  freeaddrinfo(found);
  found = nullptr;
  loop_.watch(listen_fd_, EPOLLIN, [this](uint32_t) { accept_all(); });
}

void HttpServer::accept_all() {
  while (listen_fd_ >= 0) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: try again on the next event
    // An answer written while the client has not acknowledged the last would wait for
    // its delayed ACK (~40 ms) under Nagle.
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (distributor_)
      distributor_(fd);
    else
      adopt(fd);
  }
}

void HttpServer::adopt(int fd) {
  if (draining_) {
    ::close(fd);
    return;
  }
  auto conn = std::make_unique<Connection>(*this, fd);
  Connection* raw = conn.get();
  connections_[fd] = std::move(conn);
  loop_.watch(fd, EPOLLIN, [this, fd, raw](uint32_t events) {
    if (!raw->on_events(events)) close(fd);
  });
}

void HttpServer::dispatch(std::shared_ptr<Exchange> ex, Request&& req) {
  const Route* route = router_.match(req);
  if (route == nullptr) {
    // As cpp-httplib answered: 404 for a path no route of the method has, 400 for a
    // method it does not serve at all.
    answer_error(ex, &req, is_known_method(req.method) ? 404 : 400);
    return;
  }
  Response refused;
  if (gate_ && !gate_(*route, req, refused)) {
    Reply(ex).send(std::move(refused));
    return;
  }
  if (route->run_on == RunOn::loop) {
    route->on_loop(req, Reply(ex));
    return;
  }
  workers_.submit([this, route, ex, req = std::move(req)]() mutable {
    auto res = std::make_shared<Response>();
    try {
      route->on_worker(req, *res);
    } catch (const std::exception&) {  // handlers answer their own errors; this is a bug
      res->set(500, "");
      if (error_body_) error_body_(&req, *res);
    }
    loop_.post([ex, res] { Reply(ex).send(std::move(*res)); });
  });
}

void HttpServer::answer_error(const std::shared_ptr<Exchange>& ex, const Request* req, int status) {
  Response res;
  res.status = status;
  if (error_body_) error_body_(req, res);
  Reply(ex).send(std::move(res));
}

void HttpServer::mark_dirty(int fd) { dirty_.push_back(fd); }

bool HttpServer::flush_dirty() {
  if (dirty_.empty()) return false;
  std::vector<int> now;
  now.swap(dirty_);
  for (int fd : now) {
    auto it = connections_.find(fd);
    if (it == connections_.end()) continue;
    it->second->dirty = false;
    if (!it->second->flush()) close(fd);
  }
  check_drained();
  return true;
}

void HttpServer::close(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  loop_.unwatch(fd);
  ::close(fd);
  connections_.erase(it);
  check_drained();
}

void HttpServer::sweep_idle() {
  auto limit = Clock::now() - options_.idle_timeout;
  std::vector<int> idle;
  for (auto& [fd, conn] : connections_)
    if (conn->idle_since(limit)) idle.push_back(fd);
  for (int fd : idle) close(fd);
}

void HttpServer::shutdown(std::function<void()> drained) {
  draining_ = true;
  drained_ = std::move(drained);
  if (listen_fd_ >= 0) {
    loop_.unwatch(listen_fd_);
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  std::vector<int> quiet;
  for (auto& [fd, conn] : connections_) {
    if (conn->quiet())
      quiet.push_back(fd);
    else
      conn->close_when_answered();
  }
  for (int fd : quiet) close(fd);
  check_drained();
}

void HttpServer::check_drained() {
  if (draining_ && connections_.empty() && drained_) {
    auto done = std::move(drained_);
    drained_ = nullptr;
    done();
  }
}

}  // namespace dbsplit::net
