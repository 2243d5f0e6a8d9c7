#pragma once
// The request and response of serve's HTTP front (core/net/http_server.hpp), and the
// target parsing it shares with callers: the path percent-decoded, the query string as
// name/value pairs (`+` is a space), read as cpp-httplib 0.11 reads them, so requests
// mean what they meant before the front was ours.
#include <map>
#include <string>
#include <vector>

namespace dbsplit::net {

// Header names compare without regard to case.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;
// Query parameters by name; a name may repeat (?status=a&status=b).
using Params = std::multimap<std::string, std::string>;

struct Request {
  std::string method;  // "GET"; a HEAD request is routed as GET and answered without body
  std::string target;  // as sent: "/orders?status=paid"
  std::string path;    // percent-decoded, without the query: "/orders"
  Params params;
  Headers headers;
  std::string body;
  std::vector<std::string> path_params;  // the {...} segments of the route, in order

  // The first value of a header, or "" when absent.
  const std::string& header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  void set(int status_code, std::string content) {
    status = status_code;
    body = std::move(content);
  }
};

// Percent-decoding (%XX and %uXXXX); `+` becomes a space when plus_is_space.
std::string decode_url(const std::string& text, bool plus_is_space);
// Splits "a=1&b=2" into params, decoded; an exact repeat of a pair counts once.
void parse_query(const std::string& query, Params& params);
// Fills path and params from target. False when it has more than one '?'.
bool split_target(Request& req);

}  // namespace dbsplit::net
