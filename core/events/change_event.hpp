#pragma once
// The events capture publishes: their ids, versions and JSON payloads (docs/events.md
// "Messages"), written by the relay and read back by consumers.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/lsn.hpp"
#include "core/events/pgoutput.hpp"

namespace dbsplit::events {

// Where an event comes from and how it orders: the instance (its system identifier, since
// LSNs restart on another instance), the commit LSN of its transaction and its position
// in the transaction.
struct EventPosition {
  std::string source;  // system identifier, decimal
  Lsn commit_lsn = 0;
  std::uint32_t position = 0;
};

// "<source>-<commit LSN>-<position>", e.g. "7301234567890123456-0/16B3748-3": the message id,
// the same every time the change is sent again.
std::string event_id(const EventPosition& p);
// The inverse; false for text that is not an event id.
bool parse_event_id(std::string_view id, EventPosition& out);

// The event type suffix of the relay's heartbeats in the stream: "<service>._heartbeat",
// subject dbsplit.<service>._heartbeat, id "<source>-<LSN>-0", data
// {"heartbeat":true,"source":..,"lsn":..}. A consumer that applied it has applied
// everything the source committed before that LSN.
inline constexpr const char* kHeartbeatEvent = "_heartbeat";

// "inserted", "updated", "deleted", "truncated".
const char* change_name(ChangeKind kind);

// The JSON payload of a row change (compact, one line):
// {"op":"insert|update|delete","table":"schema.name","key":{..},"row":{..},"old":{..},
//  "unchanged":[..],"source":"..","lsn":"..","position":N,"commit_time":".."}
// "row" is the row after the change (absent for a delete), "old" the old key or row when
// the server sent it, "unchanged" the TOASTed columns an update left alone and the server did
// not send. Integers, booleans and json are JSON values; other types are their text.
void write_change_payload(std::string& out, const RowChange& change, const EventPosition& p,
                          std::string_view commit_time);
void write_truncate_payload(std::string& out, const Relation& relation, const EventPosition& p,
                            std::string_view commit_time);
// The aggregate id header: the key's value, or a JSON array of the key's values.
std::string aggregate_id(const RowChange& change);

// A row change as a consumer reads it. Values are text as PostgreSQL reads them back
// (nullopt: SQL NULL).
struct ChangeEvent {
  enum class Op { insert, update, delete_, truncate } op = Op::insert;
  std::string table;  // "schema.name"
  EventPosition position;
  std::string commit_time;
  std::map<std::string, std::optional<std::string>> key;
  std::map<std::string, std::optional<std::string>> row;  // after the change
  std::map<std::string, std::optional<std::string>> old;
  std::vector<std::string> unchanged;
};

// Parses a payload written by write_change_payload. Throws UsageError naming the problem
// for anything else.
ChangeEvent parse_change_event(std::string_view payload);

// Appends `text` as a JSON string (quoted, escaped).
void append_json_string(std::string& out, std::string_view text);

}  // namespace dbsplit::events
