#pragma once
// serve's HTTP/1.1 front on an EventLoop (docs/serve.md, "How a request is served"):
// keep-alive and pipelining (a client may send requests without waiting; the answers
// leave in request order), parsing by the Node.js http_parser (Debian libhttp-parser),
// routing by Router, blocking handlers on a WorkerPool. Each request passes, in order:
//
//   parse → route (404 when none) → gate (authentication / authorisation) → handler
//         → Reply::send → written with the other answers ready in the same round
//
// The gate is per request and runs before any handler, so a handler that batches (point
// lookups) only ever sees requests that were let through.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/net/event_loop.hpp"
#include "core/net/http.hpp"
#include "core/net/router.hpp"
#include "core/net/worker_pool.hpp"

namespace dbsplit::net {

class Connection;
struct Exchange;

// Answers one request, once, on the loop thread. Copyable; answering a request whose
// client has gone away does nothing.
class Reply {
 public:
  explicit Reply(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void send(Response res) const;

 private:
  std::shared_ptr<Exchange> exchange_;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  size_t max_body_bytes = 1 << 20;               // larger bodies are answered 413
  size_t worker_threads = 4;                     // for RunOn::worker routes
  std::chrono::milliseconds idle_timeout{5000};  // a connection without requests
  size_t max_pipelined = 256;                    // per connection, then reading waits
};

// One line per answered request: "GET /orders/1 200 0.42ms" (time from the request's
// first bytes to its answer handed to the kernel).
using RequestLog = std::function<void(const std::string& line)>;

class HttpServer {
 public:
  HttpServer(EventLoop& loop, const Router& router, HttpServerOptions options, RequestLog log);
  ~HttpServer();

  // Authentication and authorisation go here: called for every routed request before
  // its handler; returning false answers `res` instead of running the handler.
  using Gate = std::function<bool(const Route& route, Request& req, Response& res)>;
  void set_gate(Gate gate) { gate_ = std::move(gate); }
  // Fills the body of the answers the front makes itself (400, 404, 413); `req` is null
  // when the request could not be read.
  using ErrorBody = std::function<void(const Request* req, Response& res)>;
  void set_error_body(ErrorBody fill) { error_body_ = std::move(fill); }

  // Binds and listens; throws RuntimeError naming host:port when it cannot.
  void listen();
  // Hands each accepted connection to `deal` (which gives it to this or another loop's
  // adopt()) instead of serving it here.
  void set_distributor(std::function<void(int fd)> deal) { distributor_ = std::move(deal); }
  // Serves an accepted connection on this loop (loop thread); closes it when draining.
  void adopt(int fd);
  // Stops accepting, closes idle connections, answers what was received, then calls
  // `drained` (on the loop thread) once no connection is left.
  void shutdown(std::function<void()> drained);

 private:
  friend class Connection;
  void accept_all();
  void dispatch(std::shared_ptr<Exchange> ex, Request&& req);
  void answer_error(const std::shared_ptr<Exchange>& ex, const Request* req, int status);
  void mark_dirty(int fd);
  bool flush_dirty();
  void close(int fd);
  void sweep_idle();
  void check_drained();

  EventLoop& loop_;
  const Router& router_;
  HttpServerOptions options_;
  RequestLog log_;
  Gate gate_;
  ErrorBody error_body_;
  std::function<void(int fd)> distributor_;
  WorkerPool workers_;
  int listen_fd_ = -1;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::vector<int> dirty_;
  bool draining_ = false;
  std::function<void()> drained_;
};

}  // namespace dbsplit::net
