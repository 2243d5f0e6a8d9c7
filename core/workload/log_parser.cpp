// Reading statements out of PostgreSQL log files, stderr and csvlog formats.
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "core/workload/log_entries.hpp"

namespace dbsplit::workload::detail {

namespace {

// A log_line_prefix, compiled: literal text and % escapes. Each escape matches lazily up
// to the literal that follows it, as the regex ".*?" would.
struct Segment {
  enum class Field { literal, user, database, app, pid, session, vxid, xid, other };
  Field field = Field::literal;
  std::string literal;
};

std::vector<Segment> compile_prefix(const std::string& prefix) {
  std::vector<Segment> segments;
  auto literal = [&](char c) {
    if (segments.empty() || segments.back().field != Segment::Field::literal)
      segments.push_back(Segment{});
    segments.back().literal += c;
  };
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != '%' || i + 1 == prefix.size()) {
      literal(prefix[i]);
      continue;
    }
    char escape = prefix[++i];
    using F = Segment::Field;
    F field = F::other;
    switch (escape) {
      case '%':
        literal('%');
        continue;
      case 'q':
        continue;  // "stop here for non-session processes": statements are session's
      case 'u':
        field = F::user;
        break;
      case 'd':
        field = F::database;
        break;
      case 'a':
        field = F::app;
        break;
      case 'p':
        field = F::pid;
        break;
      case 'c':
        field = F::session;
        break;
      case 'v':
        field = F::vxid;
        break;
      case 'x':
        field = F::xid;
        break;
      default:
        break;  // %m %t %l %h %r ...: matched, not used
    }
    segments.push_back(Segment{field, ""});
  }
  return segments;
}

struct Prefix {
  std::string_view user, database, app, pid, session, vxid, xid;
};

// Matches `segments` at the start of `line`; returns the offset after the prefix or npos.
size_t match_prefix(const std::vector<Segment>& segments, std::string_view line, Prefix& out) {
  size_t pos = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.field == Segment::Field::literal) {
      if (line.compare(pos, s.literal.size(), s.literal) != 0) return std::string_view::npos;
      pos += s.literal.size();
      continue;
    }
    size_t end;
    if (i + 1 < segments.size() && segments[i + 1].field == Segment::Field::literal) {
      end = line.find(segments[i + 1].literal, pos);
    } else if (i + 1 == segments.size()) {  // the prefix ends in an escape: up to "LOG:  "
      end = line.find(":  ", pos);
      while (end != std::string_view::npos && end > pos && std::isupper(line[end - 1])) --end;
    } else {
      end = pos;  // two escapes in a row: the first one matches nothing
    }
    if (end == std::string_view::npos) return std::string_view::npos;
    std::string_view value = line.substr(pos, end - pos);
    switch (s.field) {
      case Segment::Field::user:
        out.user = value;
        break;
      case Segment::Field::database:
        out.database = value;
        break;
      case Segment::Field::app:
        out.app = value;
        break;
      case Segment::Field::pid:
        out.pid = value;
        break;
      case Segment::Field::session:
        out.session = value;
        break;
      case Segment::Field::vxid:
        out.vxid = value;
        break;
      case Segment::Field::xid:
        out.xid = value;
        break;
      default:
        break;
    }
    pos = end;
  }
  return pos;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The statement of a LOG message: "statement: ...", "execute <name>: ...", and both after
// "duration: N ms  ". Returns false for any other message.
bool statement_of(std::string_view message, LogEntry& entry) {
  if (starts_with(message, "duration: ")) {
    entry.duration_ms = std::strtod(std::string(message.substr(10, 32)).c_str(), nullptr);
    size_t gap = message.find("  ");
    if (gap == std::string_view::npos) return true;  // duration only
    message = message.substr(gap + 2);
  }
  if (starts_with(message, "statement: ")) {
    entry.text = std::string(message.substr(11));
    return true;
  }
  if (starts_with(message, "execute ")) {
    size_t colon = message.find(": ");
    if (colon == std::string_view::npos) return false;
    entry.text = std::string(message.substr(colon + 2));
    return true;
  }
  return false;
}

}  // namespace

std::vector<LogEntry> parse_stderr_log(const std::string& content, const std::string& line_prefix) {
  std::vector<Segment> segments = compile_prefix(line_prefix);
  std::vector<LogEntry> entries;
  bool open = false;  // the last entry may take continuation lines
  std::string_view all(content);
  for (size_t start = 0; start < all.size();) {
    size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] == '\t') {
      if (open) entries.back().text.append("\n").append(line.substr(1));
      continue;
    }
    open = false;
    Prefix p;
    size_t after = match_prefix(segments, line, p);
    if (after == std::string_view::npos) continue;
    std::string_view message = line.substr(after);
    if (!starts_with(message, "LOG:  ")) continue;
    LogEntry entry;
    if (!statement_of(message.substr(6), entry)) continue;
    entry.user = p.user;
    entry.database = p.database;
    entry.application_name = p.app;
    entry.session = p.session.empty() ? p.pid : p.session;
    entry.vxid = p.vxid;
    entry.xid = p.xid;
    entries.push_back(std::move(entry));
    open = !entries.back().text.empty();
  }
  return entries;
}

namespace {

// PostgreSQL 15 csvlog columns used here.
enum CsvColumn : size_t {
  user_name = 1,
  database_name = 2,
  process_id = 3,
  session_id = 5,
  virtual_transaction_id = 9,
  transaction_id = 10,
  error_severity = 11,
  message = 13,
  application_name = 22
};

void csv_record(std::vector<std::string>& fields, std::vector<LogEntry>& entries) {
  if (fields.size() <= message || fields[error_severity] != "LOG") return;
  LogEntry entry;
  if (!statement_of(fields[message], entry)) return;
  entry.user = fields[user_name];
  entry.database = fields[database_name];
  entry.session = fields[session_id].empty() ? fields[process_id] : fields[session_id];
  entry.vxid = fields[virtual_transaction_id];
  entry.xid = fields[transaction_id];
  if (fields.size() > application_name) entry.application_name = fields[application_name];
  entries.push_back(std::move(entry));
}

}  // namespace

std::vector<LogEntry> parse_csv_log(const std::string& content) {
  std::vector<LogEntry> entries;
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < content.size() && content[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      csv_record(fields, entries);
      fields.assign(1, "");
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (fields.size() > 1) csv_record(fields, entries);
  return entries;
}

bool looks_like_csv(const std::string& content) {
  // "2024-05-01 10:00:00.123 UTC,..." vs "2024-05-01 10:00:00.123 UTC [42] ..."
  size_t line_end = content.find('\n');
  std::string_view first(content.data(), line_end == std::string::npos ? content.size() : line_end);
  size_t comma = first.find(',');
  size_t space_after_time = first.find(' ', first.find(' ') + 1);
  return comma != std::string_view::npos &&
         (space_after_time == std::string_view::npos || comma < space_after_time + 8) &&
         first.find(",\"") != std::string_view::npos;
}

}  // namespace dbsplit::workload::detail
