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
