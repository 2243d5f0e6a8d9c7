#include "core/runtime/server.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "core/codegen/api_model.hpp"
#include "core/codegen/ddl.hpp"
#include "core/net/event_loop.hpp"
#include "core/net/http_server.hpp"
#include "core/net/router.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/handlers.hpp"
#include "core/runtime/key_lookups.hpp"
#include "core/runtime/pipeline_pool.hpp"
#include "core/runtime/pool.hpp"
#include "core/runtime/statements.hpp"
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
      if (tx.exec_params1("SELECT to_regclass($1) IS NULL", pg::sql::table(r.table))[0].as<bool>())
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

// The SQL types PostgreSQL infers for the key parameters of `r`'s single-row statement
// (regtype names, no length or precision), so the coalesced statement converts each key
// exactly as the single-row one would. Empty when they cannot be had: lookups of `r` then
// run one statement each.
std::vector<std::string> key_parameter_types(ConnectionPool& pool, const codegen::Resource& r) {
  try {
    auto lease = pool.acquire();
    pqxx::nontransaction tx(*lease);
    Statement st = select_by_key(r, std::vector<std::string>(r.key.size(), "0"));
    tx.exec("PREPARE dbsplit_key_types AS " + st.sql);
    auto rows = tx.exec(
        "SELECT u.t::text FROM pg_prepared_statements p, unnest(p.parameter_types) WITH "
        "ORDINALITY AS u(t, n) WHERE p.name = 'dbsplit_key_types' ORDER BY u.n");
    tx.exec("DEALLOCATE dbsplit_key_types");
    std::vector<std::string> types;
    for (const auto& row : rows) types.push_back(row[0].as<std::string>());
    if (types.size() != r.key.size()) return {};
    return types;
  } catch (const std::exception&) {
    return {};
  }
}

// How long SIGTERM waits for requests in flight before the loop stops anyway.
constexpr std::chrono::seconds kDrainLimit{10};

}  // namespace

void serve(const plan::Plan& plan, const ServeOptions& options, const LogSink& log) {
  codegen::ServiceApi api = codegen::describe_service(plan, options.service);
  // The blocking pool serves the worker routes (lists, writes, commands, /ready).
  ConnectionPool pool(options.db_url, options.pool_size);
  check_database(pool, api, options);

  // SIGTERM and SIGINT arrive through a signalfd on the loop; threads started from here
  // on inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) throw RuntimeError("serve: cannot receive signals (signalfd failed)");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } close_signal_fd{signal_fd};

  net::EventLoop loop;
  PipelinePool pipelines(loop, options.db_url, options.pool_size);
  KeyLookups lookups(loop, pipelines, static_cast<size_t>(options.pool_size));
  for (const auto& r : api.resources)
    if (!r.key.empty())
      if (auto types = key_parameter_types(pool, r); !types.empty()) lookups.coalesce(r, types);

  Handlers handlers(api, pool, lookups);
  net::Router router;
  handlers.install(router);
  net::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.max_body_bytes = options.max_body_bytes;
  http.worker_threads = static_cast<size_t>(options.pool_size);
  net::HttpServer server(loop, router, http, log);
  server.set_error_body(&Handlers::error_body);
  // Where authentication and authorisation of each request will go (issue #21): the gate
  // runs on the loop for every routed request, before its handler and before a lookup
  // joins a coalesced statement.
  server.set_gate(nullptr);
  server.listen();

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

  std::chrono::steady_clock::time_point deadline{};
  loop.watch(signal_fd, EPOLLIN, [&](uint32_t) {
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != sizeof info || deadline.time_since_epoch().count())
      return;
    log(fmt::format("dbsplit serve: {} received, shutting down",
                    info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT"));
    deadline = std::chrono::steady_clock::now() + kDrainLimit;
    server.shutdown([&loop] { loop.stop(); });
  });
  loop.every(std::chrono::milliseconds(200), [&] {
    if (deadline.time_since_epoch().count() && std::chrono::steady_clock::now() > deadline)
      loop.stop();
  });
  loop.run();
  loop.unwatch(signal_fd);
  log(fmt::format("dbsplit serve: {} lookups by key in {} statements", lookups.lookups(),
                  lookups.statements()));
}

}  // namespace dbsplit::runtime
