#pragma once
// The HTTP server of `serve`: cpp-httplib's routing and request parsing, with keep-alive
// connections served by a loop of ours. httplib 0.11 writes a response's headers and body
// in two sends (two TCP segments, two wake-ups of the client), asks the kernel for both
// socket addresses on every request, and sleeps 1 ms after each 10 ms of idle keep-alive
// (delaying a request that arrives then). Here each response leaves in one send, the
// addresses are read once per connection, the wait for the next request is one poll, and
// the log line is written after the response is sent.
#include <httplib.h>

#include <functional>
#include <string>

namespace dbsplit::runtime {

// Receives one line per request ("GET /orders/1 200 0.42ms": method, path, status, time
// from the request's first bytes to its response sent).
using RequestLog = std::function<void(const std::string& line)>;

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(RequestLog log);

 private:
  bool process_and_close_socket(socket_t sock) override;
  RequestLog log_;
};

}  // namespace dbsplit::runtime
