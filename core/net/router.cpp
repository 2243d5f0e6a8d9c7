#include "core/net/router.hpp"

namespace dbsplit::net {
namespace {

// "/a/b/" → {"a", "b", ""}: the segments after the leading slash, empties kept so
// "/orders/" does not match "/orders/{id}".
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty() || path[0] != '/') return out;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_parameter(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(Route route, const std::string& path_template) {
  route.segments = split_path(path_template);
  routes_.push_back(std::move(route));
}

void Router::on_loop(const std::string& method, const std::string& path_template,
                     std::function<void(Request&, Reply)> handler) {
  Route r;
  r.method = method;
  r.run_on = RunOn::loop;
  r.on_loop = std::move(handler);
  add(std::move(r), path_template);
}

void Router::on_worker(const std::string& method, const std::string& path_template,
                       std::function<void(const Request&, Response&)> handler) {
  Route r;
  r.method = method;
  r.run_on = RunOn::worker;
  r.on_worker = std::move(handler);
  add(std::move(r), path_template);
}

const Route* Router::match(Request& req) const {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  std::vector<std::string> segments = split_path(req.path);
  for (const auto& route : routes_) {
    if (route.method != method || route.segments.size() != segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i)
      same =
          is_parameter(route.segments[i]) ? !segments[i].empty() : route.segments[i] == segments[i];
    if (!same) continue;
    req.path_params.clear();
    for (size_t i = 0; i < segments.size(); ++i)
      if (is_parameter(route.segments[i])) req.path_params.push_back(segments[i]);
    return &route;
  }
  return nullptr;
}

}  // namespace dbsplit::net
