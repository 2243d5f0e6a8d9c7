#include "core/events/change_event.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

// pg_type OIDs whose text is a JSON value as it is.
enum : std::uint32_t {
  kBool = 16,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kOid = 26,
  kJson = 114,
  kFloat4 = 700,
  kFloat8 = 701,
  kJsonb = 3802,
};

bool is_number_text(std::string_view t) {
  // NaN and Infinity are floats but no JSON numbers.
  return !t.empty() && (std::isdigit(static_cast<unsigned char>(t.back())) != 0);
}

void append_value(std::string& out, std::uint32_t type, const TupleValue& v) {
  if (v.kind == TupleValue::Kind::null) {
    out += "null";
    return;
  }
  switch (type) {
    case kBool:
      out += v.text == "t" ? "true" : "false";
      return;
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      out += v.text;
      return;
    case kFloat4:
    case kFloat8:
      if (is_number_text(v.text)) {
        out += v.text;
        return;
      }
      break;
    case kJson:
    case kJsonb:
      out += v.text;
      return;
    default:
      break;
  }
  append_json_string(out, v.text);
}

// {"col":value,...} of the columns of `tuple` that hold a value; with `keys_only`, only the
// replica identity columns.
void append_tuple(std::string& out, const Relation& rel, const std::vector<TupleValue>& tuple,
                  bool keys_only) {
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < tuple.size() && i < rel.columns.size(); ++i) {
    if (tuple[i].kind == TupleValue::Kind::unchanged) continue;
    if (keys_only && !rel.columns[i].key) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(out, rel.columns[i].name);
    out += ':';
    append_value(out, rel.columns[i].type, tuple[i]);
  }
  out += '}';
}

void append_position(std::string& out, const EventPosition& p, std::string_view commit_time) {
  out += ",\"source\":\"";
  out += p.source;
  out += "\",\"lsn\":\"";
  out += format_lsn(p.commit_lsn);
  out += "\",\"position\":";
  out += std::to_string(p.position);
  out += ",\"commit_time\":\"";
  out += commit_time;
  out += "\"}";
}

std::optional<std::string> as_text(const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

void read_object(const nlohmann::json& doc, const char* name,
                 std::map<std::string, std::optional<std::string>>& out) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return;
  if (!it->is_object())
    throw UsageError(fmt::format("a change event's \"{}\" is not an object", name));
  for (const auto& [k, v] : it->items()) out[k] = as_text(v);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string event_id(const EventPosition& p) {
  return p.source + "-" + format_lsn(p.commit_lsn) + "-" + std::to_string(p.position);
}

bool parse_event_id(std::string_view id, EventPosition& out) {
  size_t first = id.find('-');
  size_t last = id.rfind('-');
  if (first == std::string_view::npos || last == first) return false;
  std::string_view lsn = id.substr(first + 1, last - first - 1);
  size_t slash = lsn.find('/');
  if (slash == std::string_view::npos) return false;
  char* end = nullptr;
  std::string high(lsn.substr(0, slash)), low(lsn.substr(slash + 1)), pos(id.substr(last + 1));
  Lsn h = std::strtoull(high.c_str(), &end, 16);
  if (high.empty() || *end != '\0') return false;
  Lsn l = std::strtoull(low.c_str(), &end, 16);
  if (low.empty() || *end != '\0') return false;
  unsigned long p = std::strtoul(pos.c_str(), &end, 10);
  if (pos.empty() || *end != '\0') return false;
  out.source = std::string(id.substr(0, first));
  out.commit_lsn = (h << 32) | l;
  out.position = static_cast<std::uint32_t>(p);
  return true;
}

const char* change_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::insert:
      return "inserted";
    case ChangeKind::update:
      return "updated";
    case ChangeKind::delete_:
      return "deleted";
  }
  return "changed";
}

void write_change_payload(std::string& out, const RowChange& change, const EventPosition& p,
                          std::string_view commit_time) {
  const Relation& rel = *change.relation;
  out += "{\"op\":\"";
  out += change.kind == ChangeKind::insert   ? "insert"
         : change.kind == ChangeKind::update ? "update"
                                             : "delete";
  out += "\",\"table\":";
  append_json_string(out, rel.qualified);
  out += ",\"key\":";
  // The key: of the old row when the server sent it (a changed key), else of the new row.
  const std::vector<TupleValue>& key_source =
      change.kind == ChangeKind::delete_ || !change.old.empty() ? change.old : change.row;
  append_tuple(out, rel, key_source, /*keys_only=*/true);
  if (change.kind != ChangeKind::delete_) {
    out += ",\"row\":";
    append_tuple(out, rel, change.row, false);
  }
  if (!change.old.empty()) {
    out += ",\"old\":";
    append_tuple(out, rel, change.old, !change.old_is_full_row);
  }
  bool any_unchanged = false;
  for (std::size_t i = 0; i < change.row.size() && i < rel.columns.size(); ++i) {
    if (change.row[i].kind != TupleValue::Kind::unchanged) continue;
    out += any_unchanged ? "," : ",\"unchanged\":[";
    any_unchanged = true;
    append_json_string(out, rel.columns[i].name);
  }
  if (any_unchanged) out += ']';
  append_position(out, p, commit_time);
}

void write_truncate_payload(std::string& out, const Relation& relation, const EventPosition& p,
                            std::string_view commit_time) {
  out += "{\"op\":\"truncate\",\"table\":";
  append_json_string(out, relation.qualified);
  append_position(out, p, commit_time);
}

std::string aggregate_id(const RowChange& change) {
  const Relation& rel = *change.relation;
  const std::vector<TupleValue>& tuple =
      change.kind == ChangeKind::delete_ || !change.old.empty() ? change.old : change.row;
  std::vector<std::size_t> keys;
  for (std::size_t i = 0; i < rel.columns.size() && i < tuple.size(); ++i)
    if (rel.columns[i].key) keys.push_back(i);
  if (keys.size() == 1) {
    const TupleValue& v = tuple[keys[0]];
    return v.kind == TupleValue::Kind::text ? std::string(v.text) : std::string();
  }
  std::string out = "[";
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (k > 0) out += ", ";
    append_value(out, rel.columns[keys[k]].type, tuple[keys[k]]);
  }
  return out + "]";
}

ChangeEvent parse_change_event(std::string_view payload) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(payload.begin(), payload.end());
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(std::string("a change event is not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("op") || !doc.contains("table") || !doc.contains("lsn"))
    throw UsageError("a change event lacks \"op\", \"table\" or \"lsn\"");
  ChangeEvent e;
  std::string op = doc["op"].get<std::string>();
  if (op == "insert")
    e.op = ChangeEvent::Op::insert;
  else if (op == "update")
    e.op = ChangeEvent::Op::update;
  else if (op == "delete")
    e.op = ChangeEvent::Op::delete_;
  else if (op == "truncate")
    e.op = ChangeEvent::Op::truncate;
  else
    throw UsageError("a change event has the unknown op \"" + op + "\"");
  e.table = doc["table"].get<std::string>();
  e.position.source = doc.value("source", "");
  e.position.commit_lsn = parse_lsn(doc["lsn"].get<std::string>(), "a change event's lsn");
  e.position.position = doc.value("position", 0u);
  e.commit_time = doc.value("commit_time", "");
  read_object(doc, "key", e.key);
  read_object(doc, "row", e.row);
  read_object(doc, "old", e.old);
  if (doc.contains("unchanged") && doc["unchanged"].is_array())
    for (const auto& c : doc["unchanged"]) e.unchanged.push_back(c.get<std::string>());
  return e;
}

}  // namespace dbsplit::events
