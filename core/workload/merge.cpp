// Aggregating statements by module and fingerprint, and merging workloads.
#include <pg_query.h>

#include <cctype>

#include "core/workload/ingest.hpp"
#include "core/workload/statement_set.hpp"

namespace dbsplit::workload {

namespace detail {

namespace {

std::string normalize_text(const std::string& sql) {
  PgQueryNormalizeResult r = pg_query_normalize(sql.c_str());
  std::string out = r.error ? sql : r.normalized_query;
  pg_query_free_normalize_result(r);
  return out;
}

// The keyword at or after `i`, past blanks and comments, upper-cased; `i` moves past it.
std::string next_keyword(const std::string& sql, size_t& i) {
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      i = sql.find('\n', i);
    } else if (sql.compare(i, 2, "/*") == 0) {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? end : end + 2;
    } else {
      break;
    }
  }
  std::string word;
  for (; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])); ++i)
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
  return word;
}

TransactionControl control_of(const std::string& sql) {
  size_t pos = 0;
  std::string word = next_keyword(sql, pos);
  if (word == "BEGIN" || word == "START") return TransactionControl::begin;
  if (word == "COMMIT" || word == "END" || word == "ABORT") return TransactionControl::end;
  if (word == "PREPARE" && sql.find("TRANSACTION") != std::string::npos)
    return TransactionControl::end;
  if (word == "ROLLBACK") {  // ROLLBACK TO [SAVEPOINT] keeps the transaction open
    std::string second = next_keyword(sql, pos);
    if (second == "WORK" || second == "TRANSACTION") second = next_keyword(sql, pos);
    return second == "TO" ? TransactionControl::none : TransactionControl::end;
  }
  return TransactionControl::none;
}

}  // namespace

std::optional<uint64_t> fingerprint(const std::string& sql) {
  PgQueryFingerprintResult r = pg_query_fingerprint(sql.c_str());
  std::optional<uint64_t> out;
  if (!r.error) out = r.fingerprint;
  pg_query_free_fingerprint_result(r);
  return out;
}

const Shape* StatementSet::shape(const std::string& sql, uint64_t& fp) {
  std::string key = literal_free_key(sql);
  auto known = keys_.find(key);
  if (known == keys_.end()) known = keys_.emplace(std::move(key), fingerprint(sql)).first;
  if (!known->second) return nullptr;
  fp = *known->second;
  auto it = shapes_.find(fp);
  if (it != shapes_.end()) return &it->second;
  Shape s;
  s.text = normalize_ == Normalize::yes ? normalize_text(sql) : sql;
  s.analysis = analyze_statement(s.text, resolver_);
  s.utility = is_utility(s.analysis);
  if (s.utility) s.control = control_of(s.text);
  return &shapes_.emplace(fp, std::move(s)).first->second;
}

size_t StatementSet::add(uint64_t fp, const Shape& shape, const std::string& module,
                         const std::string& role, const std::string& application_name,
                         int64_t calls, int64_t rows, double total_time_ms) {
  std::string key = module + '\n' + std::to_string(fp);
  auto [it, inserted] = index_.emplace(key, workload_.statements.size());
  if (inserted) {
    Statement s;
    s.text = shape.text;
    s.module = module;
    s.role = role;
    s.application_name = application_name;
    s.analysis = shape.analysis;
    workload_.statements.push_back(std::move(s));
  }
  Statement& s = workload_.statements[it->second];
  s.calls += calls;
  s.rows += rows;
  s.total_time_ms += total_time_ms;
  return it->second;
}

}  // namespace detail

void merge(Workload& into, Workload from) {
  auto key = [](const Statement& s) {
    auto fp = detail::fingerprint(s.text);
    return s.module + '\n' + (fp ? std::to_string(*fp) : s.text);
  };
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < into.statements.size(); ++i) index.emplace(key(into.statements[i]), i);
  for (auto& s : from.statements) {
    auto [it, inserted] = index.emplace(key(s), into.statements.size());
    if (inserted) {
      into.statements.push_back(std::move(s));
      continue;
    }
    Statement& target = into.statements[it->second];
    target.calls += s.calls;
    target.rows += s.rows;
    target.total_time_ms += s.total_time_ms;
  }
  for (auto& t : from.transactions) into.transactions.push_back(std::move(t));
  for (auto& u : from.unparsed) into.unparsed.push_back(std::move(u));
  for (auto& source : from.sources) into.sources.push_back(std::move(source));
}

}  // namespace dbsplit::workload
