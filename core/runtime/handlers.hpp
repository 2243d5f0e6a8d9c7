#pragma once
// The HTTP handlers of `dbsplit serve`: one generic implementation of get, list, create,
// update, delete and the plan's queries and commands for any service, with the
// status codes of docs/serve.md (400 naming the field, 404, 409 naming the constraint,
// 503 when the database is unreachable).
#include <httplib.h>

#include "core/codegen/api_model.hpp"
#include "core/runtime/pool.hpp"

namespace dbsplit::runtime {

class Handlers {
 public:
  Handlers(const codegen::ServiceApi& api, ConnectionPool& pool);
  // Registers every route of the service on the server.
  void install(httplib::Server& server);

 private:
  void get(const codegen::Resource& r, const httplib::Request& req, httplib::Response& res);
  void list(const codegen::Resource& r, const std::vector<std::string>& columns,
            const std::vector<std::string>& filters, const httplib::Request& req,
            httplib::Response& res);
  void create(const codegen::Resource& r, const httplib::Request& req, httplib::Response& res);
  void update(const codegen::Resource& r, const httplib::Request& req, httplib::Response& res);
  void remove(const codegen::Resource& r, const httplib::Request& req, httplib::Response& res);
  void command(const codegen::Command& c, const httplib::Request& req, httplib::Response& res);
  void ready(httplib::Response& res);

  const codegen::ServiceApi& api_;
  ConnectionPool& pool_;
  std::string outbox_;
};

}  // namespace dbsplit::runtime
