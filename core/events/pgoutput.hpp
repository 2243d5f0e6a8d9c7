#pragma once
// Decoding the pgoutput plugin's messages (logical replication protocol version 1, as
// documented in "Logical Replication Message Formats" of the PostgreSQL manual) into
// transactions and row changes. Values stay text views into the received buffer.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/events/lsn.hpp"

namespace dbsplit::events {

struct RelationColumn {
  std::string name;
  std::uint32_t type = 0;  // pg_type OID
  bool key = false;        // part of the replica identity
};

struct Relation {
  std::uint32_t id = 0;
  std::string schema, name;
  std::string qualified;        // "schema.name", raw (as the plan spells tables)
  char replica_identity = 'd';  // d default, n nothing, f full, i index
  std::vector<RelationColumn> columns;
};

// One column of a tuple: null, an unchanged TOASTed value the server did not send, or text.
struct TupleValue {
  enum class Kind : char { null = 'n', unchanged = 'u', text = 't' } kind = Kind::null;
  std::string_view text;
};

enum class ChangeKind { insert, update, delete_ };

struct RowChange {
  ChangeKind kind = ChangeKind::insert;
  const Relation* relation = nullptr;
  std::vector<TupleValue> row;  // the row after the change (empty for a delete)
  std::vector<TupleValue> old;  // update/delete: the old key, or the whole old row; may be empty
  bool old_is_full_row = false;
};

// Receives the decoded stream; views are valid during the call only.
class PgOutputHandler {
 public:
  virtual ~PgOutputHandler() = default;
  // commit_time: microseconds since 2000-01-01 UTC (PostgreSQL's epoch).
  virtual void begin(Lsn commit_lsn, std::int64_t commit_time, std::uint32_t xid) = 0;
  // The transaction was replayed by a subscription (or another origin) named `name`.
  virtual void origin(std::string_view name) = 0;
  virtual void change(const RowChange& change) = 0;
  virtual void truncate(const std::vector<const Relation*>& relations) = 0;
  virtual void commit(Lsn commit_lsn, Lsn end_lsn, std::int64_t commit_time) = 0;
  // pg_logical_emit_message: transactional ones arrive inside their transaction.
  virtual void message(bool transactional, Lsn lsn, std::string_view prefix,
                       std::string_view content) = 0;
};

class PgOutputDecoder {
 public:
  // Decodes one message. Throws RuntimeError for a malformed or unknown message, or a
  // change of a relation never described.
  void decode(const char* data, std::size_t size, PgOutputHandler& handler);

 private:
  std::unordered_map<std::uint32_t, Relation> relations_;
  RowChange change_;
  std::vector<const Relation*> truncated_;
};

// Microseconds since 2000-01-01 UTC as ISO 8601 with microseconds, "2024-05-01T12:00:00.123456Z".
std::string format_commit_time(std::int64_t postgres_micros);
// Microseconds since 1970-01-01 UTC.
std::int64_t unix_micros(std::int64_t postgres_micros);

}  // namespace dbsplit::events
