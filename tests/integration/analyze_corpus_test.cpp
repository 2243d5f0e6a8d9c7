// dbsplit analyze on the real schemas of public monolith applications (shared/corpus),
// schema only: no error, every table assigned once, services from community detection.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "core/pg/local_instance.hpp"
#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;
using nlohmann::json;

namespace {

std::string corpus_dir() { return test::source_dir() + "/../shared/corpus"; }

// The corpus README's load notes: no PostGIS or pg_partman here, geometry read as bytea.
std::optional<std::string> load_corpus(const std::string& name) {
  std::string file = corpus_dir() + "/" + name + "/structure.sql";
  if (!std::filesystem::exists(file)) {
    WARN("corpus schema " << file << " is absent; skipping the " << name << " corpus test");
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string prepared =
      std::filesystem::temp_directory_path() /
      ("dbsplit-analyze-corpus-" + name + "-" + std::to_string(getpid()) + ".sql");
  {
    std::ofstream out(prepared);
    std::regex extension_line(R"(^(CREATE EXTENSION|COMMENT ON EXTENSION).*(postgis|pg_partman))");
    std::regex geometry(R"((public\.)?geometry\([^)]*\))");
    std::string line;
    while (std::getline(in, line)) {
      if (std::regex_search(line, extension_line)) continue;
      out << std::regex_replace(line, geometry, "bytea") << '\n';
    }
  }
  std::string url = test::fresh_database(name);
  auto loaded = run_process({pg::server_bindir() + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=0",
                             "-d", url, "-f", prepared});
  std::filesystem::remove(prepared);
  REQUIRE(loaded.exit_code == 0);
  return url;
}

json analyze_schema_only(const std::string& url) {
  std::string out = std::filesystem::temp_directory_path() /
                    ("dbsplit-analyze-corpus-" + std::to_string(getpid()) + ".json");
  auto r = run_process({std::getenv("DBSPLIT_BIN"), "analyze", "--db", url, "--no-stats",
                        "--format", "json", "-o", out});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(out);
  json analysis = json::parse(in);
  std::filesystem::remove(out);
  return analysis;
}

struct Expected {
  size_t tables;
  size_t services;
  size_t cross_service_fks;                        // DS102
  std::vector<std::vector<std::string>> together;  // tables that must share a service
};

void check_corpus(const std::string& name, const Expected& expected) {
  auto url = load_corpus(name);
  if (!url) return;
  json a = analyze_schema_only(*url);
  CHECK(a["tables"].size() == expected.tables);
  CHECK(a["services"].size() == expected.services);
  // Every table in exactly one service, every assignment from community detection.
  std::map<std::string, std::string> owner;
  for (const auto& s : a["services"])
    for (const auto& t : s["tables"]) CHECK(owner.emplace(t, s["name"]).second);
  CHECK(owner.size() == expected.tables);
  for (const auto& t : a["tables"]) {
    CHECK(t["signal"] == "graph_community");
    CHECK(owner[t["name"]] == t["service"]);
  }
  size_t fks = 0, no_workload = 0;
  for (const auto& f : a["findings"]) {
    fks += f["code"] == "DS102";
    no_workload += f["code"] == "DS115";
  }
  CHECK(fks == expected.cross_service_fks);
  CHECK(no_workload == 1);
  for (const auto& group : expected.together) {
    INFO(group[0]);
    for (const auto& t : group) CHECK(owner[t] == owner[group[0]]);
  }
}

}  // namespace

TEST_CASE("the GitLab schema analyses into communities without an error") {
  check_corpus("gitlab",
               {1401,
                157,
                457,
                {{"public.projects", "public.merge_requests", "public.merge_request_diffs"},
                 {"public.p_ci_builds", "public.p_ci_pipelines"}}});
}

TEST_CASE("the Lago schema analyses into communities without an error") {
  check_corpus("lago", {139, 15, 155, {{"public.fees", "public.charges"}}});
}

TEST_CASE("the Danbooru schema analyses into communities without an error") {
  check_corpus("danbooru", {66, 23, 32, {{"public.posts", "public.favorites"}}});
}

TEST_CASE("the OpenStreetMap schema analyses into communities without an error") {
  check_corpus("osm", {57, 14, 14, {{"public.changesets", "public.changeset_tags"}}});
}
