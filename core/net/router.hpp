#pragma once
// Routes of serve's HTTP front: a method and a path template ("/orders/{id}") to a
// handler. A handler runs either on the loop thread (it must not block; it answers
// through its Reply now or later, e.g. when its batched lookup returns) or on a worker
// thread (it may block on the database; its Response is sent when it returns).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/net/http.hpp"

namespace dbsplit::net {

class Reply;

enum class RunOn { loop, worker };

struct Route {
  std::string method;                 // GET, POST, PATCH, DELETE, PUT, OPTIONS
  std::vector<std::string> segments;  // of the template; "{...}" matches any segment
  RunOn run_on = RunOn::worker;
  std::function<void(Request&, Reply)> on_loop;              // RunOn::loop
  std::function<void(const Request&, Response&)> on_worker;  // RunOn::worker
};

class Router {
 public:
  // Adds a route; a template segment "{name}" matches one non-empty path segment.
  void on_loop(const std::string& method, const std::string& path_template,
               std::function<void(Request&, Reply)> handler);
  void on_worker(const std::string& method, const std::string& path_template,
                 std::function<void(const Request&, Response&)> handler);

  // The route of req's method (HEAD as GET) and path, with req.path_params filled; the
  // first added wins. Null when none matches.
  const Route* match(Request& req) const;

 private:
  void add(Route route, const std::string& path_template);
  std::vector<Route> routes_;
};

}  // namespace dbsplit::net
