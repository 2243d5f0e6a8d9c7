#pragma once
// The HTTP handlers of `dbsplit serve`: one generic implementation of get, list, create,
// update, delete and the plan's queries and commands for any service, with the
// status codes of docs/serve.md (400 naming the field, 404, 409 naming the constraint,
// 503 when the database is unreachable).
//
// GET by key runs on the serve loop and goes through KeyLookups (coalesced with the other
// lookups of its resource); the other routes run on worker threads on the blocking pool.
// A new route is one line in install(): router.on_worker(method, path, handler) for
// anything that may block, router.on_loop(...) only for handlers that never block.
#include "core/codegen/api_model.hpp"
#include "core/net/router.hpp"
#include "core/runtime/key_lookups.hpp"
#include "core/runtime/pool.hpp"

namespace dbsplit::runtime {

class Handlers {
 public:
  Handlers(const codegen::ServiceApi& api, ConnectionPool& pool, KeyLookups& lookups);
  // Registers every route of the service.
  void install(net::Router& router);

  // The body of an answer the HTTP front makes itself (400, 404, 413).
  static void error_body(const net::Request* req, net::Response& res);

 private:
  void get(const codegen::Resource& r, const net::Request& req, const net::Reply& reply);
  void list(const codegen::Resource& r, const std::vector<std::string>& columns,
            const std::vector<std::string>& filters, const net::Request& req, net::Response& res);
  void create(const codegen::Resource& r, const net::Request& req, net::Response& res);
  void update(const codegen::Resource& r, const net::Request& req, net::Response& res);
  void remove(const codegen::Resource& r, const net::Request& req, net::Response& res);
  void command(const codegen::Command& c, const net::Request& req, net::Response& res);
  void ready(net::Response& res);

  const codegen::ServiceApi& api_;
  ConnectionPool& pool_;
  KeyLookups& lookups_;
  std::string outbox_;
};

}  // namespace dbsplit::runtime
