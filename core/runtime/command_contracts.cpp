#include "core/runtime/command_contracts.hpp"

#include <httplib.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/codegen/api_model.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/sql.hpp"
#include "core/runtime/contract_rows.hpp"
#include "core/runtime/values.hpp"

namespace dbsplit::runtime {
namespace {

using codegen::ArgumentRole;
using codegen::Command;
using codegen::CommandArgument;
using codegen::Field;
using codegen::ValueKind;
using json = nlohmann::json;
using diagnostics::Severity;

constexpr size_t kMaxDifferencesPerCommand = 10;
const char* kPrepared = "dbsplit_contract_command";

using Row = ContractRow;

bool is_number(ValueKind kind) {
  return kind == ValueKind::int16 || kind == ValueKind::int32 || kind == ValueKind::int64 ||
         kind == ValueKind::floating || kind == ValueKind::numeric;
}

// A JSON value of the field from a SQL expression, as the API takes it (numeric as a string).
std::string json_value(const Field& f, const std::string& expression) {
  if (f.kind == ValueKind::numeric) return "to_json(" + expression + "::text)";
  if (f.kind == ValueKind::array && f.element == ValueKind::numeric)
    return "to_json(" + expression + "::text[])";
  return "to_json(" + expression + ")";
}

// A PostgreSQL array literal for a JSON array ({1,"a b",NULL}).
std::string array_literal(const json& array) {
  std::string out = "{";
  for (const auto& item : array) {
    if (out.size() > 1) out += ",";
    if (item.is_null()) {
      out += "NULL";
    } else if (item.is_string()) {
      out += '"';
      for (char ch : item.get<std::string>()) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
      }
      out += '"';
    } else {
      out += item.dump();
    }
  }
  return out + "}";
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.rfind("ERROR:  ", 0) == 0) line = line.substr(8);
  return line;
}

// What one side did: the rows it touched (compared columns, as text), or how it failed.
struct Outcome {
  bool failed = false;
  std::string failure;  // "SQLSTATE 23505: duplicate key ..." or "HTTP 409: ..."
  std::string message;  // the database's message, to tell two failures apart
  std::vector<Row> rows;
};

class CommandChecker {
 public:
  CommandChecker(const plan::Plan& plan, const plan::Dependency& d, const ContractOptions& options,
                 pqxx::connection& conn, ContractReport& report)
      : plan_(plan), d_(d), options_(options), conn_(conn), report_(report) {}

  void check() {
    const plan::ApiEndpoint& e = *d_.endpoint;
    endpoint_ = e.service + "." + e.name;
    auto url = options_.service_urls.find(e.service);
    if (url == options_.service_urls.end())
      return add(
          "DS404", Severity::warning,
          "command " + endpoint_ + " not checked: no --service-url " + e.service + "=URL given");
    api_ = codegen::describe_service(plan_, e.service);
    for (const auto& c : api_.commands)
      if (c.name == e.name) command_ = &c;
    if (!command_->unsupported.empty())
      return add("DS404", Severity::warning,
                 "command " + endpoint_ +
                     " not checked: dbsplit cannot serve it: " + command_->unsupported);
    for (const auto& a : command_->arguments)
      if (a.typed == CommandArgument::Typed::no)
        return add("DS404", Severity::warning,
                   "command " + endpoint_ + " not checked: its argument " + a.name + " ($" +
                       std::to_string(a.number) +
                       ") is not compared with or written to a column of " + command_->resource +
                       ", so there is no value to sample for it");
    resource_ = api_.find_resource(command_->resource);
    for (const auto& column : command_->columns)
      if (std::find(command_->volatile_columns.begin(), command_->volatile_columns.end(), column) ==
          command_->volatile_columns.end())
        compared_.push_back(column);
    ++report_.endpoints_checked;
    client_ = std::make_unique<httplib::Client>(url->second);
    client_->set_connection_timeout(10);
    client_->set_read_timeout(30);
    for (const auto& sample : samples()) {
      if (!compare(sample)) return;
      if (differences_ >= kMaxDifferencesPerCommand) return;
    }
  }

 private:
  // Arguments for each sampled row of the table: its values for the columns the statement
  // compares or writes, 1 for increments, decrements and parts of expressions, and for a
  // column of an INSERT that references another table a key of that table not referenced
  // yet (so the insert can succeed).
  std::vector<json> samples() {
    const Command& c = *command_;
    std::vector<std::string> needed;
    for (const auto& a : c.arguments)
      if (std::find(needed.begin(), needed.end(), a.column) == needed.end())
        needed.push_back(a.column);
    std::vector<std::string> outputs, order;
    for (const auto& column : needed)
      outputs.push_back(output_expression(*resource_->field(column), "t"));
    for (const auto& k : resource_->key) order.push_back("t." + pg::quote_ident(k) + "::text");
    std::string spread = order.empty()
                             ? "md5(t::text)"
                             : "md5(concat_ws(',', " + pg::sql::join(order, ", ") + "))";
    std::string sql = "SELECT row_to_json(r)::text FROM (SELECT " + pg::sql::join(outputs, ", ") +
                      " FROM " + pg::sql::table(c.resource) + " t ORDER BY " + spread +
                      " LIMIT " + std::to_string(options_.samples) + ") r";
    std::vector<json> rows;
    std::map<std::string, std::vector<json>> fresh;  // column → referenced keys not yet used
    {
      pqxx::read_transaction tx(conn_);
      for (const auto& row : tx.exec(sql)) rows.push_back(json::parse(row[0].c_str()));
      if (c.kind == codegen::CommandKind::insert)
        for (const auto& a : c.arguments)
          if (a.role == ArgumentRole::insert_value) fresh[a.column] = fresh_keys(tx, a);
    }
    std::vector<json> out;
    for (size_t k = 0; k < rows.size(); ++k) {
      json sample = json::object();
      for (const auto& a : c.arguments) {
        bool step = a.role == ArgumentRole::increment || a.role == ArgumentRole::decrement ||
                    a.role == ArgumentRole::expression_part;
        auto it = fresh.find(a.column);
        if (step && is_number(a.field.kind))
          sample[a.name] = 1;
        else if (it != fresh.end() && k < it->second.size())
          sample[a.name] = it->second[k];
        else
          sample[a.name] = rows[k].value(a.column, json());
      }
      out.push_back(sample);
    }
    return out;
  }

  // Keys of the table a single-column foreign key of `a`'s column references, that no row
  // references yet; none when the column has no such key.
  std::vector<json> fresh_keys(pqxx::read_transaction& tx, const CommandArgument& a) {
    for (const auto& fk : plan_.schema.foreign_keys) {
      if (fk.table != command_->resource || fk.columns != std::vector<std::string>{a.column})
        continue;
      std::string ref = "ref." + pg::quote_ident(fk.ref_columns[0]);
      std::string sql =
          "SELECT " + json_value(a.field, ref) + "::text FROM " + pg::sql::table(fk.ref_table) +
          " ref WHERE " + ref + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
          pg::sql::table(command_->resource) + " t WHERE t." + pg::quote_ident(a.column) + " = " +
          ref + ") ORDER BY md5(" + ref + "::text) LIMIT " + std::to_string(options_.samples);
      std::vector<json> out;
      for (const auto& row : tx.exec(sql)) out.push_back(json::parse(row[0].c_str()));
      return out;
    }
    return {};
  }

  // Returns false when the command cannot be called (already reported).
  bool compare(const json& sample) {
    std::string with = " with " + sample.dump();
    Outcome direct = run_direct(sample);
    ++report_.calls;
    auto res = client_->Post((command_->path + "?dry_run=true").c_str(), sample.dump(),
                             "application/json");
    json body = res ? json::parse(res->body, nullptr, false) : json();
    if (!res || res->status == 404 || res->status == 413 || res->status == 503 ||
        !body.is_object()) {
      add("DS403", Severity::error,
          "command " + endpoint_ + with + ": POST " + command_->path + "?dry_run=true failed: " +
              (res ? "HTTP " + std::to_string(res->status) + " " + res->body
                   : httplib::to_string(res.error())));
      return false;
    }
    if (res->status == 200 && (body.value("dry_run", false) != true || !body.contains("rows"))) {
      add("DS403", Severity::error,
          "command " + endpoint_ + with +
              ": the answer to dry_run=true is not a dry run: " + res->body);
      return false;
    }
    Outcome api;
    if (res->status != 200) {
      api.failed = true;
      api.message = body.value("error", std::string());
      api.failure = "HTTP " + std::to_string(res->status) + ": " + api.message;
    } else {
      api.rows = rows_of_answer(body["rows"]);
    }
    report(direct, api, with);
    return true;
  }

  // The replaced statement as a consumer runs it: prepared with typed parameters, with
  // RETURNING added, in a transaction that is rolled back.
  Outcome run_direct(const json& sample) {
    const Command& c = *command_;
    int highest = 0;
    for (const auto& a : c.arguments) highest = std::max(highest, a.number);
    std::vector<std::string> types(static_cast<size_t>(highest), "text");
    std::vector<std::string> literals(static_cast<size_t>(highest), "NULL");
    for (const auto& a : c.arguments) {
      auto at = static_cast<size_t>(a.number - 1);
      types[at] = a.field.sql_type;
      const json& v = sample[a.name];
      if (v.is_null()) continue;
      std::string text = a.field.kind == ValueKind::array ? array_literal(v)
                         : v.is_string()                  ? v.get<std::string>()
                                                          : v.dump();
      literals[at] = conn_.quote(text);
    }
    std::string prepared = pg::quote_ident(kPrepared);
    Outcome out;
    pqxx::nontransaction(conn_).exec(
        "PREPARE " + prepared + (types.empty() ? "" : " (" + pg::sql::join(types, ", ") + ")") +
        " AS " + c.statement + "\nRETURNING " + pg::quote_ident(c.target) + ".*");
    try {
      pqxx::work tx(conn_);
      pqxx::result result =
          tx.exec("EXECUTE " + prepared +
                  (literals.empty() ? "" : "(" + pg::sql::join(literals, ", ") + ")"));
      for (const auto& row : result) {
        Row values;
        for (const auto& column : compared_) {
          const auto& field = row[column];
          values.push_back(field.is_null() ? std::nullopt
                                           : std::optional<std::string>(field.c_str()));
        }
        out.rows.push_back(values);
      }
      tx.abort();
    } catch (const pqxx::sql_error& e) {
      out.failed = true;
      out.message = first_line(e.what());
      out.failure = "SQLSTATE " + e.sqlstate() + ": " + out.message;
    }
    pqxx::nontransaction(conn_).exec("DEALLOCATE " + prepared);
    std::sort(out.rows.begin(), out.rows.end());
    return out;
  }

  // The command's rows as the database prints them, read back through the table's types.
  std::vector<Row> rows_of_answer(const json& rows) {
    std::vector<std::string> items;
    for (const auto& column : compared_) items.push_back("t." + pg::quote_ident(column) + "::text");
    if (items.empty()) items.push_back("NULL::text");
    pqxx::read_transaction tx(conn_);
    std::vector<Row> out;
    for (const auto& row : tx.exec_params(
             "SELECT " + pg::sql::join(items, ", ") + " FROM json_populate_recordset(NULL::" +
                 pg::sql::table(command_->resource) + ", $1::json) t",
             rows.dump())) {
      Row values;
      for (size_t i = 0; i < compared_.size(); ++i) {
        const auto& field = row[static_cast<pqxx::row::size_type>(i)];
        values.push_back(field.is_null() ? std::nullopt
                                         : std::optional<std::string>(field.c_str()));
      }
      out.push_back(values);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void report(const Outcome& direct, const Outcome& api, const std::string& with) {
    std::string prefix = "command " + endpoint_ + with + ": ";
    std::string touched = "touches " + std::to_string(direct.rows.size()) + " row(s)";
    if (direct.failed && api.failed) {
      if (direct.message != api.message)
        add("DS406", Severity::error,
            prefix + "the replaced statement fails with " + direct.failure + ", the command with " +
                api.failure);
    } else if (direct.failed) {
      add("DS406", Severity::error,
          prefix + "the replaced statement fails with " + direct.failure +
              ", but the command succeeds and touches " + std::to_string(api.rows.size()) +
              " row(s)");
    } else if (api.failed) {
      add("DS406", Severity::error,
          prefix + "the replaced statement " + touched + ", but the command fails with " +
              api.failure);
    } else {
      for (const auto& row : minus(direct.rows, api.rows))
        add("DS405", Severity::error,
            prefix + "the replaced statement gives row " + show_row(compared_, row) +
                ", which the command did not");
      for (const auto& row : minus(api.rows, direct.rows))
        add("DS405", Severity::error,
            prefix + "the command gives row " + show_row(compared_, row) +
                ", which the replaced statement did not");
    }
  }

  void add(const std::string& code, Severity severity, const std::string& message) {
    if (severity == Severity::error && ++differences_ > kMaxDifferencesPerCommand) return;
    report_.diagnostics.push_back(
        contract_diagnostic(code, severity, endpoint_, d_, message, "owner_api_write",
                            differences_ == kMaxDifferencesPerCommand, "command"));
  }

  const plan::Plan& plan_;
  const plan::Dependency& d_;
  const ContractOptions& options_;
  pqxx::connection& conn_;
  ContractReport& report_;
  codegen::ServiceApi api_;
  const Command* command_ = nullptr;
  const codegen::Resource* resource_ = nullptr;
  std::vector<std::string> compared_;  // the command's columns but the volatile ones
  std::string endpoint_;
  size_t differences_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace

void check_command_contract(const plan::Plan& plan, const plan::Dependency& d,
                            const ContractOptions& options, pqxx::connection& conn,
                            ContractReport& report) {
  CommandChecker(plan, d, options, conn, report).check();
}

}  // namespace dbsplit::runtime
