#include <catch2/catch.hpp>

#include "core/plan/builder.hpp"
#include "core/plan/json.hpp"
#include "core/util/error.hpp"
#include "tests/unit/plan_fixture.hpp"

using dbsplit::UsageError;
using namespace dbsplit::plan;

namespace {

std::string plan_text() { return to_json_text(build_plan(dbsplit::test::shop_analysis())); }

// The message of the UsageError the parser throws for `text`.
std::string parse_error(const std::string& text) {
  try {
    plan_from_json_text(text, "plans/x/plan.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("plan JSON is deterministic and round-trips byte for byte", "[plan]") {
  std::string text = plan_text();
  CHECK(text == plan_text());
  CHECK(text.rfind(
            "{\n  \"version\": 1,\n  \"dbsplit_version\": \"0.1.0\",\n  \"database\": \"shop\",",
            0) == 0);
  CHECK(text.back() == '\n');
  Plan parsed = plan_from_json_text(text, "plan.json");
  CHECK(to_json_text(parsed) == text);
  CHECK(parsed.services.size() == 3);
  CHECK(parsed.services[2].tables ==
        std::vector<std::string>{"public.order_items", "public.orders"});
}

TEST_CASE("plan parser names the JSON pointer of what is wrong", "[plan]") {
  std::string text = plan_text();
  CHECK(
      parse_error(replace(text, "\"version\": 1", "\"version\": 2")) ==
      "plans/x/plan.json: /version: plan version 2 is not supported by dbsplit 0.1.0 (supports 1)");
  CHECK(parse_error(
            replace(text, "\"public.users\"\n      ],\n      \"modules\": [\n        \"accounts\"",
                    "7\n      ],\n      \"modules\": [\n        \"accounts\"")) ==
        "plans/x/plan.json: /services/0/tables/0: expected a string, found a number");
  CHECK(
      parse_error(replace(
          text, "\"name\": \"orders\",\n      \"tables\": [\n        \"public.order_items\"",
          "\"name\": \"orders\",\n      \"tables\": [\n        \"public.nope\"")) ==
      "plans/x/plan.json: /services/2/tables/0: table \"public.nope\" is not in the plan's schema "
      "snapshot; name tables as \"schema.table\" of the database the plan was made from");
  CHECK(parse_error(replace(text, "\"role\": \"svc_catalog\",", "")) ==
        "plans/x/plan.json: /services/1: missing member \"role\"");
  CHECK(parse_error(replace(text, "\"name\": \"reads\"", "\"name\": \"later\"")) ==
        "plans/x/plan.json: /stages/2/name: unknown value \"later\"; expected one of ownership, "
        "apis, reads, writes, database");
  CHECK(parse_error(replace(text, "\"expect\": \"zero_rows\"", "\"expect\": \"success\"")) ==
        "plans/x/plan.json: /stages/0/steps/0/verify/expect: unknown value \"success\"; expected "
        "\"true\" or \"zero_rows\" for SQL");
  CHECK(parse_error(replace(text, "\"fingerprint\"", "\"fingerprnt\"")) ==
        "plans/x/plan.json: /fingerprnt: unknown member; see docs/plan.md for the format");
  CHECK(parse_error(replace(text, "\"primary_key_name\": \"order_items_pkey\"",
                            "\"primary_key_name\": false"))
            .rfind("plans/x/plan.json: /schema/tables/0/primary_key_name: expected a string", 0) ==
        0);
  CHECK(parse_error("[1, 2]") == "plans/x/plan.json: /: expected an object, found an array");
}

TEST_CASE("plan parser reports malformed JSON with line and column", "[plan]") {
  CHECK(parse_error("{\n  \"version\": 1,\n") ==
        "plans/x/plan.json:3:1: not valid JSON: syntax error while parsing object key - unexpected "
        "end of input; expected string literal; the file looks truncated");
  CHECK(parse_error("{\n  \"version\": 1,\n  oops\n}") ==
        "plans/x/plan.json:3:3: not valid JSON: syntax error while parsing object key - invalid "
        "literal; expected string literal");
  CHECK(
      parse_error("") ==
      "plans/x/plan.json:1:1: not valid JSON: syntax error while parsing value - unexpected end of "
      "input; expected '[', '{', or a literal; the file looks truncated");
  CHECK(parse_error("{\"version\": 1e999}") ==
        "plans/x/plan.json: not valid JSON: number overflow parsing '1e999'");
  std::string text = plan_text();
  std::string truncated = parse_error(text.substr(0, text.size() / 2));
  CHECK(truncated.rfind("plans/x/plan.json:", 0) == 0);
  CHECK(truncated.find("the file looks truncated") != std::string::npos);
}

TEST_CASE("reading a missing plan file is a usage error naming the path", "[plan]") {
  try {
    read_plan_file("/nonexistent/plan.json");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) ==
          "cannot read the plan file /nonexistent/plan.json; check the path (make one with "
          "`dbsplit plan -o /nonexistent/plan.json`)");
  }
}
