#include "core/runtime/handlers.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/net/http_server.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/command_input.hpp"
#include "core/runtime/executor.hpp"
#include "core/runtime/statements.hpp"
#include "core/runtime/values.hpp"

namespace dbsplit::runtime {
namespace {

using codegen::Field;
using codegen::Resource;
using json = nlohmann::json;
using Values = std::vector<std::pair<const Field*, std::optional<std::string>>>;

constexpr int kMaxLimit = 1000;
constexpr size_t kMaxValuesPerFilter = 100;

class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A constraint the row broke (409), or a NOT NULL column left empty (400).
std::string quoted_after(const std::string& message, const std::string& marker) {
  auto at = message.find(marker + " \"");
  if (at == std::string::npos) return "";
  auto start = at + marker.size() + 2;
  auto end = message.find('"', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.rfind("ERROR:  ", 0) == 0) line = line.substr(8);
  return line;
}

void send(net::Response& res, int status, const std::string& body) { res.set(status, body); }

void send_error(net::Response& res, int status, const std::string& message,
                const std::string& field = "", const std::string& constraint = "") {
  json body = {{"error", message}};
  if (!field.empty()) body["field"] = field;
  if (!constraint.empty()) body["constraint"] = constraint;
  send(res, status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Runs one statement on a pooled connection.
pqxx::result run(ConnectionPool& pool, const Statement& st) { return execute(pool, st); }

// The field whose value the database rejected (class 22), found by casting each value alone.
std::string rejected_field(ConnectionPool& pool, const Values& values) {
  if (values.size() == 1) return values[0].first->name;
  for (const auto& [field, value] : values) {
    if (!value) continue;
    Statement probe;
    probe.sql = "SELECT $1::" + field->sql_type;
    probe.add(value);
    try {
      run(pool, probe);
    } catch (const pqxx::sql_error&) {
      return field->name;
    }
  }
  return "";
}

// The answer to a statement the server refused (its SQLSTATE and message), or 0 when
// the caller has more to say (a rejected value: 400 naming the field).
void send_sql_error(net::Response& res, const std::string& state, const std::string& message,
                    const std::string& field) {
  if (state == "23502") {
    send_error(res, 400, message, quoted_after(message, "column"));
  } else if (state.rfind("23", 0) == 0) {
    send_error(res, 409, message, "", quoted_after(message, "constraint"));
  } else if (state.rfind("22", 0) == 0) {
    send_error(res, 400, message, field);
  } else if (state.rfind("08", 0) == 0 || state.rfind("53", 0) == 0 || state.rfind("57", 0) == 0 ||
             state.rfind("40", 0) == 0) {
    send_error(res, 503, "database unavailable: " + message);
  } else {
    send_error(res, 500, message);
  }
}

// Maps what went wrong to the status of docs/serve.md; never 500 for a client's mistake.
template <class F>
void guarded(net::Response& res, ConnectionPool& pool, const Values* values, F&& handler) {
  try {
    handler();
  } catch (const BadInput& e) {
    send_error(res, 400, e.what(), e.field());
  } catch (const NotFound& e) {
    send_error(res, 404, e.what());
  } catch (const DatabaseUnavailable& e) {
    send_error(res, 503, std::string("database unavailable: ") + e.what());
  } catch (const pqxx::broken_connection& e) {
    send_error(res, 503, "database unavailable: " + first_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    std::string field =
        state.rfind("22", 0) == 0 && values ? rejected_field(pool, *values) : std::string();
    send_sql_error(res, state, first_line(e.what()), field);
  } catch (const pqxx::failure& e) {  // rollbacks, in-doubt commits: try again later
    send_error(res, 503, "database unavailable: " + first_line(e.what()));
  } catch (const std::exception& e) {
    send_error(res, 500, e.what());
  }
}

std::vector<std::string> key_of(const Resource& r, const net::Request& req) {
  std::vector<std::string> key;
  for (size_t i = 0; i < r.key.size(); ++i)
    key.push_back(param_from_text(*r.field(r.key[i]), req.path_params[i]));
  return key;
}

std::string describe_key(const Resource& r, const std::vector<std::string>& key) {
  std::string out;
  for (size_t i = 0; i < r.key.size(); ++i) out += (i ? " and " : "") + r.key[i] + " = " + key[i];
  return out;
}

json parse_body(const net::Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw BadInput("", "the request body is not valid JSON (UTF-8)");
  if (!body.is_object()) throw BadInput("", "the request body must be a JSON object");
  return body;
}

Values body_values(const Resource& r, const json& body) {
  Values values;
  for (const auto& [name, value] : body.items()) {
    const Field* f = r.field(name);
    if (f == nullptr) {
      std::string fields;
      for (const auto& each : r.fields) fields += (fields.empty() ? "" : ", ") + each.name;
      throw BadInput(valid_text(name) ? name : "",
                     "unknown field; fields of " + r.table + ": " + fields);
    }
    if (f->read_only)
      throw BadInput(name, name + " is computed by the database and cannot be written");
    values.emplace_back(f, param_from_json(*f, value));
  }
  return values;
}

}  // namespace

Handlers::Handlers(const codegen::ServiceApi& api, ConnectionPool& pool, KeyLookups& lookups)
    : api_(api), pool_(pool), lookups_(lookups), outbox_(api.outbox_table()) {}

void Handlers::error_body(const net::Request* req, net::Response& res) {
  if (!res.body.empty()) return;
  std::string message = res.status == 413   ? "request body too large"
                        : res.status == 404 ? "no such endpoint: " + req->method + " " + req->path
                                            : "bad request";
  res.body = json({{"error", message}}).dump(-1, ' ', false, json::error_handler_t::replace);
}

// On the loop thread: checks the key, then hands it to the coalesced lookups.
void Handlers::get(const Resource& r, const net::Request& req, const net::Reply& reply) {
  std::vector<std::string> key;
  try {
    key = key_of(r, req);
  } catch (const BadInput& e) {
    net::Response res;
    send_error(res, 400, e.what(), e.field());
    reply.send(std::move(res));
    return;
  }
  std::string missing = "no row of " + r.table + " with " + describe_key(r, key);
  lookups_.find(r, std::move(key), [reply, missing = std::move(missing)](Lookup found) {
    net::Response res;
    if (found.row) {
      send(res, 200, *found.row);
    } else if (!found.error) {
      send_error(res, 404, missing);
    } else if (found.error->kind == DbError::Kind::unavailable) {
      send_error(res, 503, "database unavailable: " + found.error->message);
    } else {
      send_sql_error(res, found.error->sqlstate, first_line(found.error->message), "");
    }
    reply.send(std::move(res));
  });
}

void Handlers::list(const Resource& r, const std::vector<std::string>& columns,
                    const std::vector<std::string>& filters, const net::Request& req,
                    net::Response& res) {
  guarded(res, pool_, nullptr, [&] {
    int limit = 100;
    std::vector<std::string> cursor;
    std::vector<Filter> chosen;
    for (const auto& [name, value] : req.params) {
      if (name == "limit") {
        Field limit_field;
        limit_field.name = "limit";
        limit_field.sql_type = "integer";
        limit_field.kind = codegen::ValueKind::int32;
        limit = std::stoi(param_from_text(limit_field, value));
        if (limit < 1 || limit > kMaxLimit)
          throw BadInput("limit", "limit must be between 1 and " + std::to_string(kMaxLimit));
      } else if (name == "cursor") {
        if (r.key.empty()) throw BadInput("cursor", r.table + " has no primary key to page by");
        cursor = decode_cursor(value, r.key.size());
      } else if (std::find(filters.begin(), filters.end(), name) != filters.end()) {
        const Field* f = r.field(name);
        auto it = std::find_if(chosen.begin(), chosen.end(), [&](auto& c) { return c.field == f; });
        if (it == chosen.end()) it = chosen.insert(chosen.end(), Filter{f, {}});
        if (it->values.size() == kMaxValuesPerFilter)
          throw BadInput(name,
                         "at most " + std::to_string(kMaxValuesPerFilter) + " values per filter");
        it->values.push_back(param_from_text(*f, value));
      } else {
        throw BadInput(valid_text(name) ? name : "",
                       "unknown parameter; filters: " + pg::sql::join(filters, ", ") +
                           "; also limit and cursor");
      }
    }
    auto rows = run(pool_, select_page(r, columns, chosen, cursor, limit));
    std::string body = "{\"items\":[";
    size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
    for (size_t i = 0; i < shown; ++i) body += (i ? "," : "") + std::string(rows[i][0].c_str());
    body += "],\"next_cursor\":";
    if (rows.size() > shown && !r.key.empty()) {
      std::vector<std::string> last;
      for (size_t k = 0; k < r.key.size(); ++k)
        last.push_back(rows[static_cast<pqxx::result::size_type>(shown - 1)]
                           [static_cast<pqxx::row::size_type>(k + 1)]
                               .c_str());
      body += json(encode_cursor(last)).dump();
    } else {
      body += "null";
    }
    send(res, 200, body + "}");
  });
}

void Handlers::create(const Resource& r, const net::Request& req, net::Response& res) {
  Values values;
  guarded(res, pool_, &values, [&] {
    values = body_values(r, parse_body(req));
    for (const auto& f : r.fields) {
      bool given =
          std::any_of(values.begin(), values.end(), [&](auto& v) { return v.first == &f; });
      if (!given && !f.nullable && !f.has_default)
        throw BadInput(f.name, f.name + " is required (" + f.sql_type + " NOT NULL, no default)");
    }
    auto rows = run(pool_, insert_row(r, api_.service, outbox_, values));
    send(res, 201, rows[0][0].c_str());
  });
}

void Handlers::update(const Resource& r, const net::Request& req, net::Response& res) {
  Values values;
  guarded(res, pool_, &values, [&] {
    auto key = key_of(r, req);
    values = body_values(r, parse_body(req));
    for (const auto& [field, value] : values)
      if (std::find(r.key.begin(), r.key.end(), field->name) != r.key.end())
        throw BadInput(field->name, field->name + " is part of the primary key and cannot change");
    if (values.empty()) throw BadInput("", "nothing to update: the body names no field");
    auto rows = run(pool_, update_row(r, api_.service, outbox_, key, values));
    if (rows.empty()) throw NotFound("no row of " + r.table + " with " + describe_key(r, key));
    send(res, 200, rows[0][0].c_str());
  });
}

void Handlers::remove(const Resource& r, const net::Request& req, net::Response& res) {
  guarded(res, pool_, nullptr, [&] {
    auto key = key_of(r, req);
    auto rows = run(pool_, delete_row(r, api_.service, outbox_, key));
    if (rows.empty()) throw NotFound("no row of " + r.table + " with " + describe_key(r, key));
    send(res, 200, rows[0][0].c_str());
  });
}

void Handlers::command(const codegen::Command& c, const net::Request& req, net::Response& res) {
  Values values;
  guarded(res, pool_, &values, [&] {
    DryRun dry_run = dry_run_of(req.target);
    auto params = command_params(c, parse_body(req));
    for (size_t i = 0; i < params.size(); ++i)
      values.emplace_back(&c.arguments[i].field, params[i]);
    Statement st =
        command_statement(c, *api_.find_resource(c.resource), api_.service, outbox_, params);
    // A dry run swaps the executor only: the same statement, rolled back.
    auto rows = dry_run == DryRun::yes ? execute_rolled_back(pool_, st) : run(pool_, st);
    std::string body = "{\"count\":" + std::to_string(rows.size()) + ",\"rows\":[";
    for (pqxx::result::size_type i = 0; i < rows.size(); ++i)
      body += (i ? "," : "") + std::string(rows[i][0].c_str());
    body += "]";
    if (dry_run == DryRun::yes) body += ",\"dry_run\":true";
    send(res, 200, body + "}");
  });
}

void Handlers::ready(net::Response& res) {
  guarded(res, pool_, nullptr, [&] {
    Statement probe;
    probe.sql = "SELECT 1";
    run(pool_, probe);
    send(res, 200, "{\"status\":\"ready\"}");
  });
}

void Handlers::install(net::Router& router) {
  router.on_loop("GET", "/health", [](net::Request&, net::Reply reply) {
    net::Response res;
    send(res, 200, "{\"status\":\"up\"}");
    reply.send(std::move(res));
  });
  router.on_worker("GET", "/ready",
                   [this](const net::Request&, net::Response& res) { ready(res); });
  for (const auto& r : api_.resources) {
    std::vector<std::string> all;
    for (const auto& f : r.fields) all.push_back(f.name);
    router.on_worker("GET", r.path, [this, &r, all](const net::Request& req, net::Response& res) {
      list(r, all, r.filters, req, res);
    });
    router.on_worker("POST", r.path, [this, &r](const net::Request& req, net::Response& res) {
      create(r, req, res);
    });
    if (r.key.empty()) continue;
    std::string item = r.path;
    for (const auto& k : r.key) item += "/{" + k + "}";
    router.on_loop("GET", item,
                   [this, &r](net::Request& req, net::Reply reply) { get(r, req, reply); });
    router.on_worker("PATCH", item, [this, &r](const net::Request& req, net::Response& res) {
      update(r, req, res);
    });
    router.on_worker("DELETE", item, [this, &r](const net::Request& req, net::Response& res) {
      remove(r, req, res);
    });
  }
  for (const auto& q : api_.queries) {
    const Resource* r = api_.find_resource(q.resource);
    router.on_worker("GET", q.path, [this, r, &q](const net::Request& req, net::Response& res) {
      list(*r, q.columns, q.filters, req, res);
    });
  }
  for (const auto& c : api_.commands) {
    if (!c.unsupported.empty()) continue;  // announced by serve at start
    router.on_worker("POST", c.path, [this, &c](const net::Request& req, net::Response& res) {
      command(c, req, res);
    });
  }
}

}  // namespace dbsplit::runtime
