#pragma once
// A local nats-server with JetStream in a directory of its own: the embedded default broker
// of `dbsplit relay` (DESIGN section 5), used by `dbsplit local nats`, the demo and tests.
// DIR holds jetstream/ (the store), nats.log, nats.pid and nats.port.
#include <string>

namespace dbsplit::broker {

struct LocalNatsOptions {
  std::string dir;
  // 0: the port the last server in DIR used when it is free, else a free one.
  int port = 0;
  // detached: own session, outlives the caller (the CLI). tied_to_caller: killed when the
  // calling thread's process dies (tests, so a crashed test leaves no server behind).
  enum class Lifetime { detached, tied_to_caller };
  Lifetime lifetime = Lifetime::detached;
};

// Starts `nats-server -js -sd DIR/jetstream -a 127.0.0.1 -p PORT` and waits until it accepts
// connections; when DIR's server already runs, returns its URL (nats://127.0.0.1:PORT).
// Throws UsageError for a DIR that is not a directory or a --port other than the running
// server's, RuntimeError when nats-server is missing, the port is taken or it does not start.
std::string start_local_nats(const LocalNatsOptions& options);

// The URL of the server running in DIR. Throws UsageError when DIR never held one,
// RuntimeError when it is not running.
std::string local_nats_url(const std::string& dir);

// Stops DIR's server (SIGTERM, then SIGKILL after 10 s; nothing when it is not running)
// and, with Remove::yes, deletes DIR. Throws UsageError when DIR never held a server.
enum class Remove { no, yes };
void stop_local_nats(const std::string& dir, Remove remove = Remove::no);

// Whether something accepts TCP connections on 127.0.0.1:port.
bool port_accepts_connections(int port);

}  // namespace dbsplit::broker
