#include "core/apply/checks.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/pg/connection.hpp"
#include "core/util/error.hpp"

namespace dbsplit::apply {

Verdict judge(pqxx::transaction_base& tx, const plan::Verification& verification) {
  pqxx::result r = tx.exec(verification.check.sql);
  if (verification.expect == plan::Expect::zero_rows) {
    if (r.empty()) return {true, ""};
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (pqxx::row::size_type c = 0; c < r.columns(); ++c)
      row[r.column_name(c)] = r[0][c].is_null() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(r[0][c].c_str());
    return {false, fmt::format("it returned {} row(s) where none were expected; the first: {}",
                               r.size(), row.dump())};
  }
  if (r.size() != 1)
    return {false, fmt::format("it returned {} rows where one (true) was expected", r.size())};
  if (r[0][0].is_null()) return {false, "it returned NULL where true was expected"};
  if (std::string(r[0][0].c_str()) != "t")
    return {false, fmt::format("it returned {} where true was expected", r[0][0].c_str())};
  return {true, ""};
}

std::string database_error(const std::exception& e) {
  std::string text = e.what();
  text = text.substr(0, text.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (text.rfind(prefix, 0) == 0) text = text.substr(std::string(prefix).size());
  return pg::redact(text);
}

std::string command_line(const Target& target, const std::string& verb, const std::string& stage) {
  return fmt::format("dbsplit {} {} --db {} --stage {}", verb, target.plan_path,
                     pg::redact(target.db_url), stage);
}

plan::StageName stage_from_string(const std::string& name) {
  std::string names;
  for (auto stage : plan::kStageOrder) {
    if (name == plan::to_string(stage)) return stage;
    names += (names.empty() ? "" : ", ") + std::string(plan::to_string(stage));
  }
  throw UsageError(fmt::format("--stage {}: no such stage; stages: {}", name, names));
}

}  // namespace dbsplit::apply
