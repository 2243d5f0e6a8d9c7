#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "core/analysis/analyze.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;

namespace {

// A pins file in the temp directory, removed at the end of the test.
struct PinsFile {
  std::string path;
  explicit PinsFile(const std::string& text) {
    path = std::string(P_tmpdir) + "/dbsplit_pins_" + std::to_string(::getpid()) + ".json";
    std::ofstream(path) << text;
  }
  ~PinsFile() { std::remove(path.c_str()); }
};

std::string error_of(const std::string& text) {
  PinsFile file(text);
  try {
    analysis::read_pins_file(file.path);
  } catch (const UsageError& e) {
    std::string message = e.what();
    auto at = message.find(file.path);
    return at == std::string::npos ? message : message.replace(at, file.path.size(), "P");
  }
  return "no error";
}

const std::string kHint =
    "; a pins file is {\"services\": [{\"name\": \"orders\", \"tables\": [\"public.order_*\"]}]} "
    "(see docs/analyze.md)";

}  // namespace

TEST_CASE("a pins file lists services with their tables") {
  PinsFile file(R"({"services": [{"name": "orders", "tables": ["public.order_*", "public.carts"]},
                                  {"name": "accounts", "tables": []}]})");
  auto pins = analysis::read_pins_file(file.path);
  REQUIRE(pins.size() == 2);
  CHECK(pins[0].service == "orders");
  CHECK(pins[0].tables == std::vector<std::string>{"public.order_*", "public.carts"});
  CHECK(pins[1].service == "accounts");
  CHECK(pins[1].tables.empty());
}

TEST_CASE("a malformed pins file names the file and the JSON pointer") {
  CHECK(error_of("{\"services\": [") == "pins file P: not valid JSON at byte 15" + kHint);
  CHECK(error_of("[]") == "pins file P: /: expected an object with a \"services\" array" + kHint);
  CHECK(error_of("{\"service\": []}") ==
        "pins file P: /service: unknown member (expected only \"services\")" + kHint);
  CHECK(error_of(R"({"services": [{"name": "a", "tables": ["public.x", 3]}]})") ==
        "pins file P: /services/0/tables/1: expected a string \"schema.table\"" + kHint);
  CHECK(error_of(R"({"services": [{"name": "a", "tables": []}, {"tables": []}]})") ==
        "pins file P: /services/1/name: expected a non-empty string naming the service" + kHint);
  CHECK(error_of(R"({"services": [{"name": "a", "tables": ["users"]}]})") ==
        "pins file P: /services/0/tables/0: 'users' is not \"schema.table\" (write e.g. "
        "public.users)" +
            kHint);
}

TEST_CASE("an unreadable pins file is a usage error naming it") {
  CHECK_THROWS_MATCHES(analysis::read_pins_file("/nonexistent/pins.json"), UsageError,
                       Catch::Message("cannot read pins file /nonexistent/pins.json: No such file "
                                      "or directory; check the --pins path"));
}
