#pragma once
// Starting a cache or read model without a gap: its rows are copied from a snapshot whose
// position is exact, and its consumer applies only the events committed from that position
// on. A temporary logical slot gives both at once: the snapshot it exports holds exactly
// the transactions that committed before its consistent point, and the events of every
// later transaction are streamed (pg_current_wal_lsn() read inside an ordinary snapshot is
// no such cut: a transaction may commit after the LSN is read yet before, or after, the
// snapshot is taken).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/events/lsn.hpp"

struct pg_conn;

namespace dbsplit::events {

class HolderTransaction;

class SourceSnapshot {
 public:
  // Creates a temporary slot on the source (it waits for transactions running then to end)
  // and opens a repeatable-read transaction on its exported snapshot. Throws RuntimeError
  // naming the source (password redacted).
  SourceSnapshot(const std::string& source_url, const std::string& what);
  ~SourceSnapshot();
  SourceSnapshot(const SourceSnapshot&) = delete;
  SourceSnapshot& operator=(const SourceSnapshot&) = delete;

  Lsn position() const;                  // the consistent point
  const std::string& system_id() const;  // of the source instance

  // Copies the rows of `select_sql` as of the snapshot into the holder: runs
  // `COPY (select_sql) TO STDOUT` here and `copy_in_sql` (COPY ... FROM STDIN) in the holder
  // transaction `holder` (a libpq connection in a transaction, see HolderTransaction).
  // Returns the number of rows.
  std::int64_t copy_into(const std::string& select_sql, HolderTransaction& holder,
                         const std::string& copy_in_sql);

  // Runs a query in the snapshot and returns its rows as text (for verification).
  std::vector<std::vector<std::optional<std::string>>> rows(const std::string& select_sql);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A transaction on the holder's database over libpq (COPY FROM STDIN needs libpq).
class HolderTransaction {
 public:
  HolderTransaction(const std::string& url, const std::string& what);
  ~HolderTransaction();  // rolls back unless committed
  HolderTransaction(const HolderTransaction&) = delete;
  HolderTransaction& operator=(const HolderTransaction&) = delete;
  void exec(const std::string& sql);
  // A single value (text) of a one-row query.
  std::string value(const std::string& sql);
  void commit();
  pg_conn* raw();

 private:
  pg_conn* conn_ = nullptr;
  std::string label_;
  bool open_ = false;
};

}  // namespace dbsplit::events
