#include <catch2/catch.hpp>
#include <stdexcept>

#include "core/util/json_writer.hpp"

using dbsplit::JsonWriter;
using nlohmann::json;

TEST_CASE("JsonWriter prints what nlohmann's dump(2) prints for the same document") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.value(json{{"x", 1.5}, {"y", json::array()}});
  w.value(std::vector<std::string>{});
  w.value(int64_t{-7});
  w.end_array();
  w.key("b");
  w.begin_object();
  w.end_object();
  w.key("c");
  w.value("tab\there");
  w.key("d");
  w.value(true);
  w.key("e");
  w.value(std::vector<std::string>{"é", "\"q\""});
  w.end_object();
  json expected = {{"a", {{{"x", 1.5}, {"y", json::array()}}, json::array(), -7}},
                   {"b", json::object()},
                   {"c", "tab\there"},
                   {"d", true},
                   {"e", {"é", "\"q\""}}};
  CHECK(out == expected.dump(2));
}

TEST_CASE("JsonWriter refuses members out of key order and values without keys") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("b");
  w.value("1");
  CHECK_THROWS_WITH(w.key("a"), "JsonWriter: key 'a' after 'b' (members must come in key order)");
  CHECK_THROWS_WITH(w.value("2"), "JsonWriter: a member needs a key first");
}
