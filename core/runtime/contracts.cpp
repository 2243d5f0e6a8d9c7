#include "core/runtime/contracts.hpp"

#include <httplib.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/codegen/api_model.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/command_contracts.hpp"
#include "core/runtime/contract_rows.hpp"
#include "core/runtime/statement_params.hpp"
#include "core/runtime/values.hpp"
#include "core/util/error.hpp"

namespace dbsplit::runtime {
namespace {

using json = nlohmann::json;
using diagnostics::Diagnostic;
using diagnostics::Severity;

constexpr size_t kMaxDifferencesPerEndpoint = 10;
constexpr int kMaxPages = 100;

std::string encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

using Row = ContractRow;

struct Rows {
  std::vector<std::string> names;
  std::vector<Row> rows;  // sorted
};

Rows rows_of(const pqxx::result& result) {
  Rows out;
  for (pqxx::row::size_type c = 0; c < result.columns(); ++c)
    out.names.push_back(result.column_name(c));
  for (const auto& r : result) {
    Row row;
    for (const auto& f : r)
      row.push_back(f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()));
    out.rows.push_back(row);
  }
  std::sort(out.rows.begin(), out.rows.end());
  return out;
}

class Checker {
 public:
  Checker(const plan::Plan& plan, const ContractOptions& options, pqxx::connection& conn,
          ContractReport& report)
      : plan_(plan), options_(options), conn_(conn), report_(report) {}

  void check(const plan::Dependency& d) {
    const plan::ApiEndpoint& e = *d.endpoint;
    endpoint_ = e.service + "." + e.name;
    differences_ = 0;
    auto url = options_.service_urls.find(e.service);
    if (url == options_.service_urls.end())
      return add(
          "DS404", Severity::warning,
          "endpoint " + endpoint_ + " not checked: no --service-url " + e.service + "=URL given",
          d);
    reads_only_ = is_read_only_query(e.replaces);
    std::map<int, std::string> columns;
    int count = 0;
    std::vector<std::string> bound;
    if (!reads_only_) {
      // A replaced write cannot run here: sample the endpoint's own filters and check its rows.
      bound = e.filter_columns;
    } else {
      columns = parameter_columns(e.replaces);
      count = parameter_count(e.replaces);
    }
    for (int n = 1; n <= count; ++n) {
      auto it = columns.find(n);
      if (it == columns.end() || std::find(e.filter_columns.begin(), e.filter_columns.end(),
                                           it->second) == e.filter_columns.end())
        return add("DS404", Severity::warning,
                   "endpoint " + endpoint_ + " not checked: $" + std::to_string(n) + " of `" +
                       e.replaces + "` is not compared with one of its filter columns (" +
                       pg::sql::join(e.filter_columns, ", ") + ")",
                   d);
      if (std::find(bound.begin(), bound.end(), it->second) == bound.end())
        bound.push_back(it->second);
    }
    std::sort(bound.begin(), bound.end());
    ++report_.endpoints_checked;
    client_ = std::make_unique<httplib::Client>(url->second);
    client_->set_connection_timeout(10);
    client_->set_read_timeout(30);
    for (const auto& sample : samples(e, bound)) {
      if (!compare(d, e, bound, columns, count, sample)) return;
      if (differences_ >= kMaxDifferencesPerEndpoint) return;
    }
  }

 private:
  std::vector<std::vector<std::string>> samples(const plan::ApiEndpoint& e,
                                                const std::vector<std::string>& bound) {
    if (bound.empty()) return {{}};
    std::vector<std::string> items, not_null;
    for (const auto& c : bound) {
      items.push_back("t." + pg::quote_ident(c) + "::text");
      not_null.push_back("t." + pg::quote_ident(c) + " IS NOT NULL");
    }
    // Spread over the table, yet the same sample every run.
    std::string sql = "SELECT DISTINCT " + pg::sql::join(items, ", ") + ", md5(concat_ws(',', " +
                      pg::sql::join(items, ", ") + ")) AS spread FROM " +
                      pg::sql::table(e.resource) + " t WHERE " +
                      pg::sql::join(not_null, " AND ") + " ORDER BY spread LIMIT " +
                      std::to_string(options_.samples);
    pqxx::read_transaction tx(conn_);
    std::vector<std::vector<std::string>> out;
    for (const auto& row : tx.exec(sql)) {
      std::vector<std::string> values;
      for (size_t i = 0; i < bound.size(); ++i)
        values.push_back(row[static_cast<pqxx::row::size_type>(i)].c_str());
      out.push_back(values);
    }
    return out;
  }

  // Returns false when the endpoint cannot be called (already reported).
  bool compare(const plan::Dependency& d, const plan::ApiEndpoint& e,
               const std::vector<std::string>& bound, const std::map<int, std::string>& columns,
               int count, const std::vector<std::string>& sample) {
    std::string with;
    std::string query;
    for (size_t i = 0; i < bound.size(); ++i) {
      with += (i ? ", " : "") + bound[i] + "=" + sample[i];
      query += "&" + encode(bound[i]) + "=" + encode(sample[i]);
    }
    std::string where = with.empty() ? "" : " with " + with;
    std::vector<std::optional<std::string>> params;
    for (int n = 1; n <= count; ++n) {
      size_t i = std::find(bound.begin(), bound.end(), columns.at(n)) - bound.begin();
      params.push_back(sample[i]);
    }

    json items = json::array();
    std::string cursor;
    for (int page = 0; page < kMaxPages; ++page) {
      std::string path = "/queries/" + e.name + "?limit=1000" + query +
                         (cursor.empty() ? "" : "&cursor=" + encode(cursor));
      ++report_.calls;
      auto res = client_->Get(path.c_str());
      if (!res || res->status != 200) {
        add("DS403", Severity::error,
            "endpoint " + endpoint_ + where + ": GET " + path + " failed: " +
                (res ? "HTTP " + std::to_string(res->status) + " " + res->body
                     : httplib::to_string(res.error())),
            d);
        return false;
      }
      json body = json::parse(res->body, nullptr, false);
      if (body.is_discarded() || !body.contains("items") || !body["items"].is_array()) {
        add("DS403", Severity::error,
            "endpoint " + endpoint_ + where + ": GET " + path + " did not answer a page", d);
        return false;
      }
      for (auto& item : body["items"]) items.push_back(item);
      if (!body.contains("next_cursor") || !body["next_cursor"].is_string()) break;
      cursor = body["next_cursor"].get<std::string>();
    }
    compare_rows(d, e, bound, sample, where, items);
    // A replaced write cannot run here; its read is covered by the rows above.
    if (!reads_only_) return true;
    // The consumer knows the values it filtered by: its statement may use them again.
    json known = items;
    for (auto& item : known)
      for (size_t i = 0; i < bound.size(); ++i)
        if (item.is_object() && !item.contains(bound[i])) item[bound[i]] = sample[i];
    compare_results(d, e, params, where, known);
    return true;
  }

  // The endpoint returns exactly the rows of the table its filters select, with exactly
  // the plan's returned columns.
  void compare_rows(const plan::Dependency& d, const plan::ApiEndpoint& e,
                    const std::vector<std::string>& bound, const std::vector<std::string>& sample,
                    const std::string& where, const json& items) {
    codegen::ServiceApi api = codegen::describe_service(plan_, e.service);
    const codegen::Resource* r = api.find_resource(e.resource);
    std::vector<std::string> outputs, conditions;
    for (const auto& c : e.returned_columns)
      outputs.push_back(output_expression(*r->field(c), "t"));
    std::vector<const char*> params;
    for (size_t i = 0; i < bound.size(); ++i) {
      conditions.push_back("t." + pg::quote_ident(bound[i]) + " = $" + std::to_string(i + 1));
      params.push_back(sample[i].c_str());
    }
    std::string sql = "SELECT row_to_json(r)::text FROM (SELECT " + pg::sql::join(outputs, ", ") +
                      " FROM " + pg::sql::table(e.resource) + " t" +
                      (conditions.empty() ? "" : " WHERE " + pg::sql::join(conditions, " AND ")) +
                      ") r";
    std::vector<std::string> expected, actual;
    {
      pqxx::read_transaction tx(conn_);
      for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)))
        expected.push_back(json::parse(row[0].c_str()).dump());
    }
    for (const auto& item : items) actual.push_back(item.dump());
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    for (const auto& row : minus(expected, actual))
      add("DS401", Severity::error,
          "endpoint " + endpoint_ + where + ": the table has row " + row +
              ", which the endpoint did not return",
          d);
    for (const auto& row : minus(actual, expected))
      add("DS401", Severity::error,
          "endpoint " + endpoint_ + where + ": the endpoint returned row " + row +
              ", which the table does not have",
          d);
  }

  // The replaced statement gives the same result on the endpoint's rows as on the table.
  void compare_results(const plan::Dependency& d, const plan::ApiEndpoint& e,
                       const std::vector<std::optional<std::string>>& params,
                       const std::string& where, const json& items) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    Rows live;
    {
      pqxx::read_transaction tx(conn_);
      live = rows_of(tx.exec_params(e.replaces, pqxx::prepare::make_dynamic_params(values)));
    }
    auto [schema, name] = pg::sql::split(e.resource);
    std::vector<std::string> columns;
    const catalog::Table* table = plan_.schema.find_table(e.resource);
    for (const auto& c : table->columns) {
      bool returned = items.empty()
                          ? std::find(e.returned_columns.begin(), e.returned_columns.end(),
                                      c.name) != e.returned_columns.end()
                          : items[0].is_object() && items[0].contains(c.name);
      if (returned) columns.push_back(pg::quote_ident(c.name));
    }
    // Statements name the table unqualified (pg_temp comes first) or qualified.
    std::string statement = e.replaces;
    for (const std::string& qualified : {schema + "." + name, pg::sql::table(e.resource)}) {
      for (size_t at = statement.find(qualified); at != std::string::npos;
           at = statement.find(qualified, at))
        statement.replace(at, qualified.size(), "pg_temp." + pg::quote_ident(name));
    }
    Rows api;
    std::string failure;
    try {
      pqxx::work tx(conn_);
      tx.exec_params(
          "CREATE TEMP TABLE " + pg::quote_ident(name) + " AS SELECT " +
              (columns.empty() ? std::string("1 AS no_column") : pg::sql::join(columns, ", ")) +
              " FROM json_populate_recordset(NULL::" + pg::sql::table(e.resource) + ", $1::json)",
          items.dump());
      api = rows_of(tx.exec_params(statement, pqxx::prepare::make_dynamic_params(values)));
      tx.abort();
    } catch (const pqxx::sql_error& error) {
      std::string message = error.what();
      failure = message.substr(0, message.find('\n'));
      if (failure.rfind("ERROR:  ", 0) == 0) failure = failure.substr(8);
    }
    if (!failure.empty())
      return add("DS402", Severity::error,
                 "endpoint " + endpoint_ + where + ": the replaced statement `" + e.replaces +
                     "` fails on the endpoint's rows: " + failure,
                 d);
    for (const auto& row : minus(live.rows, api.rows))
      add("DS402", Severity::error,
          "endpoint " + endpoint_ + where + ": `" + e.replaces + "` returns " +
              show_row(live.names, row) + " on the table but not on the endpoint's rows",
          d);
    for (const auto& row : minus(api.rows, live.rows))
      add("DS402", Severity::error,
          "endpoint " + endpoint_ + where + ": `" + e.replaces + "` returns " +
              show_row(api.names, row) + " on the endpoint's rows but not on the table",
          d);
  }

  void add(const std::string& code, Severity severity, const std::string& message,
           const plan::Dependency& d) {
    if (severity == Severity::error && ++differences_ > kMaxDifferencesPerEndpoint) return;
    report_.diagnostics.push_back(
        contract_diagnostic(code, severity, endpoint_, d, message, "api_composition",
                            differences_ == kMaxDifferencesPerEndpoint, "endpoint"));
  }

  const plan::Plan& plan_;
  const ContractOptions& options_;
  pqxx::connection& conn_;
  ContractReport& report_;
  std::string endpoint_;
  bool reads_only_ = true;
  size_t differences_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace

ContractReport check_contracts(const plan::Plan& plan, const ContractOptions& options) {
  for (const auto& [service, url] : options.service_urls)
    if (plan.find_service(service) == nullptr)
      throw UsageError("--service-url names service '" + service +
                       "', which the plan does not have");
  auto conn = pg::connect(options.db_url, "--db");
  ContractReport report;
  Checker checker(plan, options, *conn, report);
  for (const auto& d : plan.dependencies) {
    if (!d.endpoint) continue;
    try {
      if (d.endpoint->method == plan::ApiEndpoint::Method::write)
        check_command_contract(plan, d, options, *conn, report);
      else
        checker.check(d);
    } catch (const pqxx::broken_connection& e) {
      throw RuntimeError("lost the connection to " + pg::redact(options.db_url) + ": " + e.what());
    } catch (const pqxx::sql_error& e) {
      Diagnostic diagnostic;
      diagnostic.code = "DS404";
      diagnostic.severity = Severity::warning;
      diagnostic.objects = {d.endpoint->service + "." + d.endpoint->name, d.endpoint->resource};
      diagnostic.message = "endpoint " + d.endpoint->service + "." + d.endpoint->name +
                           " not checked: its statement fails on the live database: " +
                           std::string(e.what()).substr(0, std::string(e.what()).find('\n'));
      report.diagnostics.push_back(diagnostic);
    }
  }
  return report;
}

}  // namespace dbsplit::runtime
