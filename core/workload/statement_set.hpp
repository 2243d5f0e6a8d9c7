#pragma once
// Internal to ingestion: statements aggregated by module and fingerprint, each distinct
// statement shape normalised and analysed once however often it was seen.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/workload/model.hpp"
#include "core/workload/sql_analyzer.hpp"

namespace dbsplit::workload::detail {

// What a statement does to the enclosing transaction.
enum class TransactionControl { none, begin, end };

// One distinct statement (equal fingerprints: same statement up to constants/comments).
struct Shape {
  std::string text;  // normalised ($1 placeholders)
  StatementAnalysis analysis;
  bool utility = false;
  TransactionControl control = TransactionControl::none;
};

enum class Normalize { no, yes };

// pg_query_fingerprint of `sql`, nullopt when it does not parse.
std::optional<uint64_t> fingerprint(const std::string& sql);

// `sql` with its constants replaced by '?', comments dropped and blanks collapsed, found
// by a scan of PostgreSQL's lexical rules without parsing: statements with equal keys
// differ only in constants, so they have equal fingerprints.
std::string literal_free_key(const std::string& sql);

class StatementSet {
 public:
  StatementSet(Workload& workload, const NameResolver& resolver, Normalize normalize)
      : workload_(workload), resolver_(resolver), normalize_(normalize) {}

  // The shape of `sql` (analysed on first sight) and its fingerprint; nullptr when the
  // statement does not parse.
  const Shape* shape(const std::string& sql, uint64_t& fingerprint);

  // Counts an observation of a data statement; returns its index in workload.statements.
  size_t add(uint64_t fingerprint, const Shape& shape, const std::string& module,
             const std::string& role, const std::string& application_name, int64_t calls,
             int64_t rows, double total_time_ms);

 private:
  Workload& workload_;
  const NameResolver& resolver_;
  Normalize normalize_;
  // Parsing every statement (to fingerprint it) would cost as much as analysing it: the
  // fingerprint is computed once per literal-free key (nullopt: it does not parse).
  std::unordered_map<std::string, std::optional<uint64_t>> keys_;
  std::unordered_map<uint64_t, Shape> shapes_;
  std::unordered_map<std::string, size_t> index_;  // module + '\n' + fingerprint
};

}  // namespace dbsplit::workload::detail
