#include "core/apply/api_operations.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "core/apply/journal.hpp"
#include "core/apply/service_process.hpp"
#include "core/codegen/api_model.hpp"
#include "core/codegen/ddl.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/local_instance.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/contracts.hpp"
#include "core/util/error.hpp"
#include "core/util/process.hpp"

namespace dbsplit::apply {
namespace {

constexpr int kReadySeconds = 30;
constexpr int kStopSeconds = 30;
constexpr int kListenAttempts = 3;

std::string text_parameter(const OperationContext& ctx, const nlohmann::json& p,
                           const std::string& name) {
  if (!p.contains(name) || !p[name].is_string() || p[name].get<std::string>().empty())
    throw UsageError(
        fmt::format("step {}: its operation needs the parameter \"{}\" (a string); "
                    "regenerate the plan or fix the step",
                    ctx.step.id, name));
  return p[name].get<std::string>();
}

std::vector<std::string> list_parameter(const nlohmann::json& p, const std::string& name) {
  std::vector<std::string> out;
  if (p.contains(name) && p[name].is_array())
    for (const auto& item : p[name])
      if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

std::optional<ServiceRecord> recorded(const std::string& db_url, const std::string& service) {
  auto conn = pg::connect(db_url, "--db");
  pqxx::read_transaction tx(*conn);
  auto services = read_services(tx);
  auto it = services.find(service);
  if (it == services.end()) return std::nullopt;
  return it->second;
}

// The part of "http://host:port" httplib's client takes.
bool answers_ready(const std::string& url) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  auto res = client.Get("/ready");
  return res && res->status == 200;
}

bool is_ours(const ServiceRecord& s) {
  return s.host == host_name() && process_runs(s.pid, {"serve", "--service", s.service});
}

// Creates the outbox as the applying user (the service's role may not create schemas) and
// lets the role write its events.
void prepare_outbox(const std::string& db_url, const std::string& service,
                    const std::string& role) {
  auto conn = pg::connect(db_url, "--db");
  pqxx::work tx(*conn);
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('dbsplit_outbox'))");
  tx.exec(codegen::outbox_ddl(service));
  std::string table = pg::qualified_name(codegen::kOutboxSchema, service);
  std::string who = pg::quote_ident(role);
  tx.exec("GRANT USAGE ON SCHEMA " + pg::quote_ident(codegen::kOutboxSchema) + " TO " + who);
  tx.exec("GRANT SELECT, INSERT, UPDATE ON TABLE " + table + " TO " + who);
  std::string sequence =
      tx.exec_params1("SELECT pg_get_serial_sequence($1, 'id')", table)[0].c_str();
  tx.exec("GRANT USAGE ON SEQUENCE " + sequence + " TO " + who);
  tx.commit();
}

// The role must be reachable with the libpq option before a server is started with it.
void check_role_session(const std::string& db_url, const std::string& role) {
  auto conn = pg::connect(with_role(db_url, role), "--db with role " + role);
  pqxx::read_transaction tx(*conn);
  std::string user = tx.exec1("SELECT current_user")[0].c_str();
  if (user != role)
    throw RuntimeError(fmt::format(
        "a session opened with options=-c role={} runs as {}, not as {}; check that the role "
        "exists (stage ownership) and that the --db user may SET ROLE to it",
        role, user, role));
}

struct Started {
  int pid = 0;
  std::string url;
};

// Starts the server and waits for /ready; retries on another port when the one picked was
// taken in between.
Started start_server(const OperationContext& ctx, const std::string& service,
                     const std::string& role, const std::string& log_file) {
  auto [db_without_password, password] = split_password(ctx.target.db_url);
  std::vector<std::pair<std::string, std::string>> env;
  if (!password.empty()) env.emplace_back("PGPASSWORD", password);
  std::string plan_path = std::filesystem::absolute(ctx.target.plan_path).string();
  for (int attempt = 1;; ++attempt) {
    int port = pg::free_port();
    Started s{0, fmt::format("http://127.0.0.1:{}", port)};
    std::vector<std::string> argv = {ctx.target.dbsplit_executable,
                                     "serve",
                                     plan_path,
                                     "--service",
                                     service,
                                     "--db",
                                     with_role(db_without_password, role),
                                     "--listen",
                                     fmt::format("127.0.0.1:{}", port)};
    auto log_size = std::filesystem::exists(log_file) ? std::filesystem::file_size(log_file) : 0;
    s.pid = spawn_detached(argv, env, log_file);
    bool port_taken = false;
    for (int i = 0; i < kReadySeconds * 10 && !port_taken; ++i) {
      int code = 0;
      if (child_exited(s.pid, code)) {
        std::string log = read_file_or_empty(log_file).substr(log_size);
        port_taken = attempt < kListenAttempts && log.find("cannot listen") != std::string::npos;
        if (port_taken) break;
        throw RuntimeError(fmt::format(
            "`dbsplit serve` of service {} exited with code {} before it was ready: {}; its log "
            "is {}",
            service, code, tail_lines(log, 5), log_file));
      }
      if (answers_ready(s.url)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (port_taken) continue;
    terminate_process(s.pid, kStopSeconds);
    throw RuntimeError(fmt::format(
        "`dbsplit serve` of service {} did not answer {}/ready within {} s, so it was stopped; "
        "see its log {}",
        service, s.url, kReadySeconds, log_file));
  }
}

}  // namespace

std::string serve_api(const OperationContext& ctx, const nlohmann::json& p) {
  std::string service = text_parameter(ctx, p, "service");
  std::string role = p.contains("role") ? text_parameter(ctx, p, "role") : plan::role_name(service);
  if (p.contains("database") && p["database"] != "source")
    throw UsageError(fmt::format(
        "step {}: serve_api with database {} is not implemented; the apis stage serves on the "
        "shared (\"source\") database",
        ctx.step.id, p["database"].dump()));
  if (ctx.plan.find_service(service) == nullptr)
    throw UsageError(fmt::format("step {}: service {} is not in the plan", ctx.step.id, service));

  if (auto existing = recorded(ctx.target.db_url, service)) {
    if (is_ours(*existing) && answers_ready(existing->url))
      return fmt::format("kept the running server of {} at {} (pid {})", service, existing->url,
                         existing->pid);
    if (is_ours(*existing)) terminate_process(existing->pid, kStopSeconds);
  }
  prepare_outbox(ctx.target.db_url, service, role);
  check_role_session(ctx.target.db_url, role);

  std::filesystem::create_directories(ctx.target.state_dir);
  std::string log_file =
      (std::filesystem::path(ctx.target.state_dir) / ("serve-" + service + ".log")).string();
  Started s = start_server(ctx, service, role, log_file);
  try {
    auto conn = pg::connect(ctx.target.db_url, "--db");
    pqxx::work tx(*conn);
    record_service(tx, {service, s.url, s.pid, host_name(), role, log_file, ""});
    tx.commit();
  } catch (...) {
    terminate_process(s.pid, kStopSeconds);
    throw;
  }
  return fmt::format("serving {} at {} as role {} (pid {}, log {})", service, s.url, role, s.pid,
                     log_file);
}

std::string contract_check(const OperationContext& ctx, const nlohmann::json& p) {
  std::string service = text_parameter(ctx, p, "service");
  auto existing = recorded(ctx.target.db_url, service);
  if (!existing)
    throw RuntimeError(
        fmt::format("no server of service {} is recorded in dbsplit.services", service));
  if (!answers_ready(existing->url))
    throw RuntimeError(
        fmt::format("the server of service {} at {} (pid {}) does not answer "
                    "/ready; see its log {}",
                    service, existing->url, existing->pid, existing->log_file));
  // Only this step's endpoints: the others are other steps' to check.
  auto wanted = list_parameter(p, "endpoints");
  std::set<std::string> endpoints(wanted.begin(), wanted.end());
  plan::Plan restricted = ctx.plan;
  restricted.dependencies.clear();
  for (const auto& d : ctx.plan.dependencies)
    if (d.endpoint && d.endpoint->service == service && endpoints.count(d.endpoint->name))
      restricted.dependencies.push_back(d);
  runtime::ContractOptions options;
  options.db_url = ctx.target.db_url;
  options.service_urls[service] = existing->url;
  runtime::ContractReport report = runtime::check_contracts(restricted, options);

  std::vector<std::string> errors, warnings;
  for (const auto& d : report.diagnostics)
    (d.severity == diagnostics::Severity::error ? errors : warnings).push_back(d.code + " " + d.message);
  if (!errors.empty())
    throw RuntimeError(fmt::format("contract check of {}: {} difference(s): {}", service,
                                   errors.size(), pg::sql::join(errors, "; ")));
  std::string out =
      report.endpoints_checked == 0
          ? fmt::format(
                "{} answers /ready; it has no endpoint replacing a read or a write, so no "
                "contract to compare",
                service)
          : fmt::format("contract check of {}: {} endpoint(s), {} call(s), no difference", service,
                        report.endpoints_checked, report.calls);
  if (!warnings.empty()) out += " (" + pg::sql::join(warnings, "; ") + ")";
  return out;
}

std::string stop_api(const OperationContext& ctx, const nlohmann::json& p) {
  std::string service = text_parameter(ctx, p, "service");
  auto existing = recorded(ctx.target.db_url, service);
  if (!existing) return fmt::format("no server of {} was recorded", service);
  if (existing->host != host_name())
    throw RuntimeError(fmt::format(
        "the server of service {} runs on host {} (pid {}), not on this one ({}); run the "
        "rollback there",
        service, existing->host, existing->pid, host_name()));
  std::string what;
  if (is_ours(*existing)) {
    bool graceful = terminate_process(existing->pid, kStopSeconds);
    what = fmt::format("stopped the server of {} (pid {}{})", service, existing->pid,
                       graceful ? "" : ", killed after it ignored SIGTERM");
  } else {
    what =
        fmt::format("the server of {} (pid {}) was not running any more", service, existing->pid);
  }
  auto conn = pg::connect(ctx.target.db_url, "--db");
  pqxx::work tx(*conn);
  forget_service(tx, service);
  tx.commit();
  return what;
}

}  // namespace dbsplit::apply
