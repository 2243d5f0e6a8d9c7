#pragma once
// A walsender connection (libpq, replication=database): identify the instance, create
// logical slots (temporary ones export a snapshot), and stream a slot's changes while
// reporting how far they are safely handled. libpqxx has no replication protocol, hence
// libpq here.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/events/lsn.hpp"

struct pg_conn;

namespace dbsplit::events {

class ReplicationConnection {
 public:
  // Connects to `conninfo` (URL or key=value) as a logical walsender. `what` names the input
  // in errors ("--db"); the password never appears. Throws RuntimeError, saying to grant
  // REPLICATION when the user lacks it.
  ReplicationConnection(const std::string& conninfo, const std::string& what);
  ~ReplicationConnection();
  ReplicationConnection(const ReplicationConnection&) = delete;
  ReplicationConnection& operator=(const ReplicationConnection&) = delete;

  struct System {
    std::string system_id;  // pg_control's system identifier, as decimal text
    Lsn position = 0;       // current WAL flush position
    std::string database;
  };
  System identify();

  struct Slot {
    Lsn consistent_point = 0;  // changes committed from here on are streamed by the slot
    std::string snapshot;      // exported snapshot ("" unless asked for)
  };
  enum class Lifetime { permanent, temporary };
  enum class ExportSnapshot { no, yes };
  // CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput. An exported snapshot stays
  // importable (SET TRANSACTION SNAPSHOT) until this connection runs another command or
  // closes; a temporary slot ends with the connection.
  Slot create_slot(const std::string& name, Lifetime lifetime, ExportSnapshot snapshot);

  // START_REPLICATION of the pgoutput slot for `publication` (protocol 1, logical messages
  // on), from `from` (0: the slot's confirmed position).
  void start(const std::string& slot, const std::string& publication, Lsn from);

  // One message of the stream.
  struct Message {
    enum class Kind { none, data, keepalive } kind = Kind::none;
    Lsn wal_start = 0;  // data: where the record starts
    Lsn wal_end = 0;    // data, keepalive: the server's position
    bool reply_requested = false;
    const char* data = nullptr;  // data: the pgoutput message, valid until the next call
    std::size_t size = 0;
  };
  // The next message, or Kind::none after waiting `timeout_ms`. Throws RuntimeError when
  // the stream breaks or the server ends it.
  Message next(int timeout_ms);

  // Standby status update: everything before `flushed` is handled; the slot's confirmed
  // position moves there (the server keeps WAL only from there on).
  void send_status(Lsn flushed, bool reply = false);

 private:
  pg_conn* conn_ = nullptr;
  std::string label_;  // redacted conninfo
  char* buffer_ = nullptr;
  [[noreturn]] void fail(const std::string& what);
};

}  // namespace dbsplit::events
