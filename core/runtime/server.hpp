#pragma once
// `dbsplit serve`: hosts one service's API from the plan (no per-service code) on a
// pool of connections to its database, until SIGTERM or SIGINT (docs/serve.md).
#include <cstddef>
#include <functional>
#include <string>

#include "core/plan/model.hpp"

namespace dbsplit::runtime {

struct ServeOptions {
  std::string service;
  std::string db_url;
  std::string host = "127.0.0.1";
  int port = 8080;
  int pool_size = 4;
  // Event-loop threads (0: one per two CPUs), at most pool_size; the lookup connections and
  // worker threads are shared out among them.
  int threads = 0;
  // Coalesced lookup statements of one resource running at once per thread; lookups
  // arriving meanwhile wait for the next one (docs/serve.md). 0: 2. Fewer means larger
  // statements and less database work per lookup.
  int lookups_in_flight = 0;
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  // Create dbsplit_outbox.<service> when it is missing instead of refusing to start.
  enum class CreateOutbox { no, yes } create_outbox = CreateOutbox::no;
};

// Receives one line per request ("GET /orders/1 200 0.4ms") and the startup line.
using LogSink = std::function<void(const std::string& line)>;

// Serves until SIGTERM/SIGINT, then returns. Throws UsageError for an unknown service,
// RuntimeError when the database cannot be reached at start, when a table or the outbox
// table is missing (naming it and the command that creates it), or when it cannot listen.
void serve(const plan::Plan& plan, const ServeOptions& options, const LogSink& log);

}  // namespace dbsplit::runtime
