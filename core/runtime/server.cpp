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
#include <thread>

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

// One event loop and what runs on it: its share of the lookup connections, its coalesced
// lookups, handlers, routes and HTTP front. Client connections are spread over the loops;
// each request is served start to finish by the loop of its connection.
struct Shard {
  Shard(const codegen::ServiceApi& api, const ServeOptions& options, ConnectionPool& pool,
        const std::map<const codegen::Resource*, std::vector<std::string>>& key_types,
        int connections, int in_flight, const LogSink& log)
      : pipelines(loop, options.db_url, connections),
        lookups(loop, pipelines, static_cast<size_t>(in_flight)),
        handlers(api, pool, lookups),
        server(loop, router, http_options(options, connections), log) {
    for (const auto& [resource, types] : key_types) lookups.coalesce(*resource, types);
    handlers.install(router);
    server.set_error_body(&Handlers::error_body);
    // Where authentication and authorisation of each request will go (issue #21): the
    // gate runs on the loop for every routed request, before its handler and before a
    // lookup joins a coalesced statement.
    server.set_gate(nullptr);
  }
  static net::HttpServerOptions http_options(const ServeOptions& options, int workers) {
    net::HttpServerOptions http;
    http.host = options.host;
    http.port = options.port;
    http.max_body_bytes = options.max_body_bytes;
    http.worker_threads = static_cast<size_t>(workers);
    return http;
  }
  net::EventLoop loop;
  PipelinePool pipelines;
  KeyLookups lookups;
  Handlers handlers;
  net::Router router;
  net::HttpServer server;
};

void serve(const plan::Plan& plan, const ServeOptions& options, const LogSink& log) {
  codegen::ServiceApi api = codegen::describe_service(plan, options.service);
  // The blocking pool serves the worker routes (lists, writes, commands, /ready).
  ConnectionPool pool(options.db_url, options.pool_size);
  check_database(pool, api, options);
  std::map<const codegen::Resource*, std::vector<std::string>> key_types;
  for (const auto& r : api.resources)
    if (!r.key.empty())
      if (auto types = key_parameter_types(pool, r); !types.empty()) key_types[&r] = types;

  // SIGTERM and SIGINT arrive through a signalfd on the first loop; threads started from
  // here on inherit the mask.
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

  // One loop per two CPUs by default: on a machine shared with the database, the other
  // half runs the backends (measured on 2 cores: one loop coalesced three keys per
  // statement where two loops coalesced 1.4, and used less CPU per request).
  int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int loops = options.threads > 0 ? options.threads : std::max(1, cpus / 2);
  loops = std::max(1, std::min(loops, options.pool_size));
  int per_loop = (options.pool_size + loops - 1) / loops;  // connections of each loop
  int in_flight = options.lookups_in_flight > 0 ? options.lookups_in_flight : 2;
  in_flight = std::min(in_flight, per_loop);
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < loops; ++i)
    shards.push_back(
        std::make_unique<Shard>(api, options, pool, key_types, per_loop, in_flight, log));
  // The first loop accepts and deals connections out in turn.
  Shard& first = *shards.front();
  first.server.set_distributor([&shards, next = size_t{0}](int fd) mutable {
    Shard& to = *shards[next++ % shards.size()];
    if (&to == shards.front().get())
      to.server.adopt(fd);
    else
      to.loop.post([&to, fd] { to.server.adopt(fd); });
  });
  first.server.listen();

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
  first.loop.watch(signal_fd, EPOLLIN, [&](uint32_t) {
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != sizeof info || deadline.time_since_epoch().count())
      return;
    log(fmt::format("dbsplit serve: {} received, shutting down",
                    info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT"));
    deadline = std::chrono::steady_clock::now() + kDrainLimit;
    for (auto& shard : shards) {
      Shard* s = shard.get();
      s->loop.post([s] { s->server.shutdown([s] { s->loop.stop(); }); });
    }
  });
  first.loop.every(std::chrono::milliseconds(200), [&] {
    if (deadline.time_since_epoch().count() && std::chrono::steady_clock::now() > deadline)
      for (auto& shard : shards) shard->loop.stop();
  });
  std::vector<std::thread> threads;
  for (size_t i = 1; i < shards.size(); ++i)
    threads.emplace_back([s = shards[i].get()] { s->loop.run(); });
  first.loop.run();
  for (auto& t : threads) t.join();
  first.loop.unwatch(signal_fd);
  size_t lookups = 0, statements = 0;
  for (auto& shard : shards) {
    lookups += shard->lookups.lookups();
    statements += shard->lookups.statements();
  }
  log(fmt::format("dbsplit serve: {} lookups by key in {} statements", lookups, statements));
}

}  // namespace dbsplit::runtime
