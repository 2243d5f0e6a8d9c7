#include "core/events/pgoutput.hpp"

#include <fmt/format.h>

#include <ctime>

#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

constexpr std::int64_t kPostgresEpochMicros = 946684800LL * 1000000;

// Reads big-endian integers and strings from one message, checking its length.
class Reader {
 public:
  Reader(const char* data, std::size_t size) : p_(data), end_(data + size) {}

  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(*p_++);
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(uint(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  std::uint64_t u64() { return uint(8); }
  std::string_view string() {
    const char* start = p_;
    while (p_ < end_ && *p_ != '\0') ++p_;
    need(1);
    std::string_view out(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return out;
  }
  std::string_view bytes(std::size_t n) {
    need(n);
    std::string_view out(p_, n);
    p_ += n;
    return out;
  }

 private:
  const char* p_;
  const char* end_;
  void need(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n)
      throw RuntimeError("a pgoutput message ended early; the replication stream is corrupt");
  }
  std::uint64_t uint(int n) {
    need(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(*p_++);
    return v;
  }
};

void read_tuple(Reader& r, std::vector<TupleValue>& out) {
  std::uint16_t n = r.u16();
  out.resize(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    char kind = static_cast<char>(r.u8());
    TupleValue& v = out[i];
    switch (kind) {
      case 'n':
        v.kind = TupleValue::Kind::null;
        v.text = {};
        break;
      case 'u':
        v.kind = TupleValue::Kind::unchanged;
        v.text = {};
        break;
      case 't':
        v.kind = TupleValue::Kind::text;
        v.text = r.bytes(r.u32());
        break;
      default:
        throw RuntimeError(
            fmt::format("a pgoutput tuple holds a value of unknown kind '{}'", kind));
    }
  }
}

}  // namespace

void PgOutputDecoder::decode(const char* data, std::size_t size, PgOutputHandler& handler) {
  Reader r(data, size);
  char type = static_cast<char>(r.u8());
  auto relation = [&](std::uint32_t id) -> const Relation* {
    auto it = relations_.find(id);
    if (it == relations_.end())
      throw RuntimeError(
          fmt::format("pgoutput sent a change of relation {} it never described", id));
    return &it->second;
  };
  switch (type) {
    case 'B': {
      Lsn final_lsn = r.u64();
      auto time = static_cast<std::int64_t>(r.u64());
      handler.begin(final_lsn, time, r.u32());
      return;
    }
    case 'C': {
      r.u8();  // flags
      Lsn commit = r.u64();
      Lsn end = r.u64();
      handler.commit(commit, end, static_cast<std::int64_t>(r.u64()));
      return;
    }
    case 'O': {
      r.u64();  // the origin's commit LSN
      handler.origin(r.string());
      return;
    }
    case 'R': {
      Relation rel;
      rel.id = r.u32();
      rel.schema = std::string(r.string());
      if (rel.schema.empty()) rel.schema = "pg_catalog";
      rel.name = std::string(r.string());
      rel.qualified = rel.schema + "." + rel.name;
      rel.replica_identity = static_cast<char>(r.u8());
      std::uint16_t n = r.u16();
      for (std::uint16_t i = 0; i < n; ++i) {
        RelationColumn c;
        c.key = (r.u8() & 1) != 0;
        c.name = std::string(r.string());
        c.type = r.u32();
        r.u32();  // type modifier
        rel.columns.push_back(std::move(c));
      }
      relations_[rel.id] = std::move(rel);
      return;
    }
    case 'Y':  // a type's name: values are text, the OID is enough
      return;
    case 'I': {
      change_.relation = relation(r.u32());
      change_.kind = ChangeKind::insert;
      r.u8();  // 'N'
      read_tuple(r, change_.row);
      change_.old.clear();
      change_.old_is_full_row = false;
      handler.change(change_);
      return;
    }
    case 'U': {
      change_.relation = relation(r.u32());
      change_.kind = ChangeKind::update;
      char next = static_cast<char>(r.u8());
      change_.old.clear();
      change_.old_is_full_row = next == 'O';
      if (next == 'K' || next == 'O') {
        read_tuple(r, change_.old);
        next = static_cast<char>(r.u8());
      }
      if (next != 'N') throw RuntimeError("a pgoutput update lacks its new tuple");
      read_tuple(r, change_.row);
      handler.change(change_);
      return;
    }
    case 'D': {
      change_.relation = relation(r.u32());
      change_.kind = ChangeKind::delete_;
      char next = static_cast<char>(r.u8());
      change_.old_is_full_row = next == 'O';
      read_tuple(r, change_.old);
      change_.row.clear();
      handler.change(change_);
      return;
    }
    case 'T': {
      std::uint32_t n = r.u32();
      r.u8();  // CASCADE / RESTART IDENTITY
      truncated_.clear();
      for (std::uint32_t i = 0; i < n; ++i) truncated_.push_back(relation(r.u32()));
      handler.truncate(truncated_);
      return;
    }
    case 'M': {
      bool transactional = (r.u8() & 1) != 0;
      Lsn lsn = r.u64();
      std::string_view prefix = r.string();
      std::string_view content = r.bytes(r.u32());
      handler.message(transactional, lsn, prefix, content);
      return;
    }
    default:
      throw RuntimeError(fmt::format(
          "pgoutput sent a message of unknown type '{}'; this dbsplit speaks protocol version 1",
          type));
  }
}

std::int64_t unix_micros(std::int64_t postgres_micros) {
  return postgres_micros + kPostgresEpochMicros;
}

std::string format_commit_time(std::int64_t postgres_micros) {
  std::int64_t micros = unix_micros(postgres_micros);
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1000000);
}

}  // namespace dbsplit::events
