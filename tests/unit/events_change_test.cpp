// Event ids, LSNs, the pgoutput decoder and the JSON payload of a row change.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/events/change_event.hpp"
#include "core/events/lsn.hpp"
#include "core/events/pgoutput.hpp"
#include "core/util/error.hpp"

namespace dbsplit::events {
namespace {

// Builds pgoutput messages the way the server encodes them (big-endian, NUL-ended strings).
struct Bytes {
  std::string s;
  Bytes& u8(int v) {
    s += static_cast<char>(v);
    return *this;
  }
  Bytes& u16(int v) { return u8(v >> 8).u8(v & 0xff); }
  Bytes& u32(std::uint32_t v) { return u16(static_cast<int>(v >> 16)).u16(v & 0xffff); }
  Bytes& u64(std::uint64_t v) {
    return u32(static_cast<std::uint32_t>(v >> 32)).u32(v & 0xffffffff);
  }
  Bytes& str(const std::string& v) {
    s += v;
    s += '\0';
    return *this;
  }
  Bytes& raw(const std::string& v) {
    s += v;
    return *this;
  }
  Bytes& text(const std::string& v) {
    u8('t').u32(static_cast<std::uint32_t>(v.size()));
    s += v;
    return *this;
  }
};

struct Recorder : PgOutputHandler {
  std::vector<std::string> seen;
  std::string payload;
  void begin(Lsn lsn, std::int64_t, std::uint32_t xid) override {
    seen.push_back("begin " + format_lsn(lsn) + " " + std::to_string(xid));
  }
  void origin(std::string_view name) override { seen.push_back("origin " + std::string(name)); }
  void change(const RowChange& c) override {
    seen.push_back(std::string("change ") + change_name(c.kind) + " " + c.relation->qualified);
    payload.clear();
    write_change_payload(payload, c, {"42", 0x16B3748, 3}, "2024-01-02T03:04:05.000000Z");
  }
  void truncate(const std::vector<const Relation*>& r) override {
    seen.push_back("truncate " + r.at(0)->qualified);
  }
  void commit(Lsn commit, Lsn end, std::int64_t) override {
    seen.push_back("commit " + format_lsn(commit) + " " + format_lsn(end));
  }
  void message(bool, Lsn, std::string_view prefix, std::string_view content) override {
    seen.push_back("message " + std::string(prefix) + " " + std::string(content));
  }
};

}  // namespace

TEST_CASE("LSNs print and parse as pg_lsn does", "[events]") {
  CHECK(format_lsn(0x16B374D848ULL) == "16/B374D848");
  CHECK(format_lsn(0) == "0/0");
  CHECK(parse_lsn("16/B374D848") == 0x16B374D848ULL);
  CHECK_THROWS_WITH(parse_lsn("16-B3", "--from"),
                    "--from '16-B3' is not a WAL position like 16/B374D848");
}

TEST_CASE("event ids name the instance, the commit LSN and the position", "[events]") {
  EventPosition p{"7301234567890123456", 0x16B3748, 3};
  CHECK(event_id(p) == "7301234567890123456-0/16B3748-3");
  EventPosition back;
  REQUIRE(parse_event_id(event_id(p), back));
  CHECK(back.source == p.source);
  CHECK(back.commit_lsn == p.commit_lsn);
  CHECK(back.position == 3);
  CHECK_FALSE(parse_event_id("17", back));
  CHECK_FALSE(parse_event_id("1-0/x-2", back));
}

TEST_CASE("pgoutput messages decode into transactions and typed JSON rows", "[events]") {
  PgOutputDecoder decoder;
  Recorder r;
  auto feed = [&](const Bytes& b) { decoder.decode(b.s.data(), b.s.size(), r); };
  // Relation 16385 public.t (id int8 key, ok bool, f float8, note text, doc jsonb, big text)
  Bytes rel;
  rel.u8('R').u32(16385).str("public").str("t").u8('d').u16(6);
  rel.u8(1).str("id").u32(20).u32(0xffffffff);
  rel.u8(0).str("ok").u32(16).u32(0xffffffff);
  rel.u8(0).str("f").u32(701).u32(0xffffffff);
  rel.u8(0).str("note").u32(25).u32(0xffffffff);
  rel.u8(0).str("doc").u32(3802).u32(0xffffffff);
  rel.u8(0).str("big").u32(25).u32(0xffffffff);
  feed(rel);
  feed(Bytes().u8('B').u64(0x16B3748).u64(0).u32(777));
  feed(Bytes().u8('O').u64(5).str("pg_16390"));
  Bytes update;
  update.u8('U').u32(16385).u8('K').u16(6).text("7").u8('n').u8('n').u8('n').u8('n').u8('n');
  update.u8('N')
      .u16(6)
      .text("8")
      .text("t")
      .text("NaN")
      .text("say \"hi\"\n")
      .text("{\"a\": [1, 2]}");
  update.u8('u');
  feed(update);
  feed(Bytes().u8('C').u8(0).u64(0x16B3748).u64(0x16B3790).u64(0));
  feed(Bytes().u8('M').u8(0).u64(0x16B4000).str("dbsplit_heartbeat").u32(6).raw("orders"));

  CHECK(r.seen == std::vector<std::string>{"begin 0/16B3748 777", "origin pg_16390",
                                           "change updated public.t", "commit 0/16B3748 0/16B3790",
                                           "message dbsplit_heartbeat orders"});
  nlohmann::json doc = nlohmann::json::parse(r.payload);
  CHECK(doc == nlohmann::json::parse(
                   R"({"op":"update","table":"public.t","key":{"id":7},
                       "row":{"id":8,"ok":true,"f":"NaN","note":"say \"hi\"\n","doc":{"a":[1,2]}},
                       "old":{"id":7},"unchanged":["big"],
                       "source":"42","lsn":"0/16B3748","position":3,
                       "commit_time":"2024-01-02T03:04:05.000000Z"})"));

  ChangeEvent e = parse_change_event(r.payload);
  CHECK(e.op == ChangeEvent::Op::update);
  CHECK(e.table == "public.t");
  CHECK(e.key.at("id") == std::optional<std::string>("7"));
  CHECK(e.row.at("ok") == std::optional<std::string>("true"));
  CHECK(e.row.at("doc") == std::optional<std::string>(R"({"a":[1,2]})"));
  CHECK(e.row.count("big") == 0);
  CHECK(e.unchanged == std::vector<std::string>{"big"});
  CHECK(e.position.commit_lsn == 0x16B3748);
  CHECK(e.position.position == 3);

  CHECK_THROWS_WITH(decoder.decode("I\0\0\0\x09", 5, r),
                    "pgoutput sent a change of relation 9 it never described");
  CHECK_THROWS_AS(parse_change_event("{\"op\":\"upsert\",\"table\":\"t\",\"lsn\":\"0/1\"}"),
                  UsageError);
}

}  // namespace dbsplit::events
