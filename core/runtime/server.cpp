#include "core/runtime/server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <thread>

#include "core/codegen/api_model.hpp"
#include "core/codegen/ddl.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/handlers.hpp"
#include "core/runtime/http_server.hpp"
#include "core/runtime/pool.hpp"
#include "core/util/error.hpp"

namespace dbsplit::runtime {
namespace {

// Checks the tables the API serves and the outbox exist, creating the outbox on request.
void check_database(ConnectionPool& pool, const codegen::ServiceApi& api,
                    const ServeOptions& options) {
  try {
    auto lease = pool.acquire();
    pqxx::work tx(*lease);
    if (options.create_outbox == ServeOptions::CreateOutbox::yes) {
      // Several services starting at once race on CREATE SCHEMA IF NOT EXISTS (it is not
      // atomic); one transaction-scoped advisory lock serialises them.
      tx.exec("SELECT pg_advisory_xact_lock(hashtext('dbsplit_outbox'))");
      tx.exec(codegen::outbox_ddl(api.service));
    }
    std::vector<std::string> missing;
    for (const auto& r : api.resources)
      if (tx.exec_params1("SELECT to_regclass($1) IS NULL", pg::sql::table(r.table))[0]
              .as<bool>())
        missing.push_back(r.table);
    if (!missing.empty())
      throw RuntimeError("database " + pg::redact(options.db_url) + " lacks the table(s) " +
                         pg::sql::join(missing, ", ") + " that service " + api.service +
                         " serves; point --db at the database the plan was made from");
    if (tx.exec_params1("SELECT to_regclass($1) IS NULL", api.outbox_table())[0].as<bool>())
      throw RuntimeError(
          "the outbox table " + std::string(codegen::kOutboxSchema) + "." + api.service +
          " is missing in " + pg::redact(options.db_url) +
          "; add --create-outbox to create it (shared database), or create the service's "
          "own database with `psql -f DIR/" +
          api.service + "/schema.sql` (from `dbsplit generate`), which includes it");
    tx.commit();
  } catch (const DatabaseUnavailable& e) {
    throw RuntimeError(std::string(e.what()) + "; check --db and that the database is running");
  } catch (const pqxx::failure& e) {
    throw RuntimeError("cannot check the tables of service " + api.service + " in " +
                       pg::redact(options.db_url) + ": " + e.what());
  }
}

constexpr size_t kWorkerThreads = 64;
constexpr size_t kKeepAliveRequests = 100000;

}  // namespace

void serve(const plan::Plan& plan, const ServeOptions& options, const LogSink& log) {
  codegen::ServiceApi api = codegen::describe_service(plan, options.service);
  ConnectionPool pool(options.db_url, options.pool_size);
  check_database(pool, api, options);

  // Signals go to the waiting thread below, not to httplib's workers (they inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HttpServer server(log);
  server.set_payload_max_length(options.max_body_bytes);
  // A response is one send, but one written while the client has not acknowledged the
  // last would wait for its delayed ACK (~40 ms) under Nagle.
  server.set_tcp_nodelay(true);
  // A keep-alive connection holds a worker thread while open: enough threads that clients
  // do not queue behind idle connections, and connections reused instead of re-opened.
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server.set_keep_alive_max_count(kKeepAliveRequests);
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 413   ? "request body too large"
                          : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path
                                              : "bad request";
    res.set_content(nlohmann::json({{"error", message}})
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  });
  Handlers handlers(api, pool);
  handlers.install(server);

  if (!server.bind_to_port(options.host.c_str(), options.port))
    throw RuntimeError(
        fmt::format("cannot listen on {}:{}; is the port in use? pick another with --listen",
                    options.host, options.port));
  size_t commands = 0;
  for (const auto& c : api.commands) {
    if (c.unsupported.empty()) {
      ++commands;
      continue;
    }
    std::string replaces = c.replaces;
    std::replace(replaces.begin(), replaces.end(), '\n', ' ');
    log(fmt::format("dbsplit serve: note: command {} is not served: {}; it replaces: {}", c.name,
                    c.unsupported, replaces));
  }
  log(fmt::format(
      "dbsplit serve: service {} on http://{}:{} ({} resources, {} queries, {} commands, pool {})",
      api.service, options.host, options.port, api.resources.size(), api.queries.size(), commands,
      options.pool_size));

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    timespec tick{0, 200 * 1000 * 1000};
    while (!done) {
      int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        log(fmt::format("dbsplit serve: {} received, shutting down",
                        sig == SIGTERM ? "SIGTERM" : "SIGINT"));
        server.stop();
        return;
      }
    }
  });
  server.listen_after_bind();
  done = true;
  waiter.join();
}

}  // namespace dbsplit::runtime
