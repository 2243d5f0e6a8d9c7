// introspect() on the real schemas of public monolith applications (shared/corpus):
// each loads into a fresh database and must read back with the counts pinned here,
// which were verified independently with catalog queries and grep on structure.sql.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>

#include "core/catalog/introspect.hpp"
#include "core/catalog/json.hpp"
#include "core/pg/local_instance.hpp"
#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;
using catalog::Schema;
using Strings = std::vector<std::string>;

namespace {

std::string corpus_dir() { return test::source_dir() + "/../shared/corpus"; }

// The corpus README's load notes: PostGIS and pg_partman are not installed here, so
// their CREATE/COMMENT ON EXTENSION lines go and PostGIS geometry is read as bytea.
std::string prepared_sql(const std::string& name) {
  std::ifstream in(corpus_dir() + "/" + name + "/structure.sql");
  std::ostringstream out;
  std::regex extension_line(R"(^(CREATE EXTENSION|COMMENT ON EXTENSION).*(postgis|pg_partman))");
  std::regex geometry(R"((public\.)?geometry\([^)]*\))");
  std::string line;
  while (std::getline(in, line)) {
    if (std::regex_search(line, extension_line)) continue;
    if (name == "osm") line = std::regex_replace(line, geometry, "bytea");
    out << line << '\n';
  }
  return out.str();
}

// A fresh database holding the corpus schema `name`; nullopt when the corpus is absent.
std::optional<std::string> load_corpus(const std::string& name) {
  std::string file = corpus_dir() + "/" + name + "/structure.sql";
  if (!std::filesystem::exists(file)) {
    WARN("corpus schema " << file << " is absent; skipping the " << name << " corpus test");
    SUCCEED("skipped: no corpus");
    return std::nullopt;
  }
  std::string url = test::fresh_database(name);
  std::string prepared = std::filesystem::temp_directory_path() /
                         ("dbsplit-corpus-" + name + "-" + std::to_string(getpid()) + ".sql");
  {
    std::ofstream out(prepared);
    out << prepared_sql(name);
  }
  auto result = run_process({pg::server_bindir() + "/psql", "-X", "-v", "ON_ERROR_STOP=0", "-q",
                             "-d", url, "-f", prepared});
  std::filesystem::remove(prepared);
  INFO(tail_lines(result.output, 20));
  REQUIRE(result.exit_code == 0);
  // The README promises a clean load once the notes above are applied.
  REQUIRE(result.output.find("ERROR:") == std::string::npos);
  return url;
}

Schema introspect_url(const std::string& url) {
  pqxx::connection conn(url);
  return catalog::introspect(conn);
}

struct Counts {
  size_t top_level = 0;
  size_t partitioned = 0;
  size_t partitions = 0;
  size_t views = 0;
  size_t materialized = 0;
  size_t indexes = 0;
  size_t enums = 0;
};

Counts count(const Schema& s) {
  Counts c;
  for (const auto& t : s.tables) {
    (t.partition_of.empty() ? c.top_level : c.partitions)++;
    if (t.kind == 'p' && t.partition_of.empty()) c.partitioned++;
    c.indexes += t.indexes.size();
  }
  for (const auto& v : s.views) (v.materialized ? c.materialized : c.views)++;
  for (const auto& u : s.types) c.enums += u.kind == 'e';
  return c;
}

// Facts that hold for every schema: references resolve, JSON reads back, the
// fingerprint is stable.
void check_consistent(const Schema& s) {
  std::set<std::string> functions;
  for (const auto& f : s.functions) functions.insert(f.schema + "." + f.name);
  for (const auto& trigger : s.triggers) {
    INFO(trigger.name);
    CHECK(functions.count(trigger.function) == 1);
  }
  for (const auto& fk : s.foreign_keys) {
    INFO(fk.name);
    CHECK(s.find_table(fk.table) != nullptr);
    CHECK(fk.columns.size() == fk.ref_columns.size());
    CHECK_FALSE(fk.columns.empty());
  }
  for (const auto& t : s.tables) {
    if (!t.partition_of.empty()) {
      const auto* parent = s.find_table(t.partition_of);
      REQUIRE(parent != nullptr);
      CHECK(std::count(parent->partitions.begin(), parent->partitions.end(), t.qualified()) == 1);
    }
    CHECK_FALSE(t.columns.empty());
  }
  nlohmann::json json = catalog::to_json(s);
  CHECK(catalog::to_json(catalog::schema_from_json(json)) == json);
}

}  // namespace

TEST_CASE("gitlab: 969 top-level tables, 432 partitions, 1679 foreign keys, 345 triggers") {
  auto url = load_corpus("gitlab");
  if (!url) return;
  Schema s = introspect_url(*url);
  Counts c = count(s);
  CHECK(s.schemas == Strings{"gitlab_partitions_dynamic", "gitlab_partitions_static", "public"});
  CHECK(c.top_level == 969);
  CHECK(c.partitioned == 94);
  CHECK(c.partitions == 432);
  CHECK(s.foreign_keys.size() == 1679);
  CHECK(c.views == 14);
  CHECK(c.materialized == 0);
  // 453 triggers exist in the catalog, 108 of them PostgreSQL's copies on partitions.
  CHECK(s.triggers.size() == 345);
  CHECK(s.sequences.size() == 817);
  CHECK(c.indexes == 6040);
  // pg_stat_statements comes with every test database.
  CHECK(s.extensions == Strings{"btree_gist", "pg_stat_statements", "pg_trgm", "plpgsql"});
  check_consistent(s);
  CHECK(catalog::fingerprint(introspect_url(*url)) == catalog::fingerprint(s));
}

TEST_CASE("lago: 138 top-level tables, 339 foreign keys, 33 views and 1 materialized view") {
  auto url = load_corpus("lago");
  if (!url) return;
  Schema s = introspect_url(*url);
  Counts c = count(s);
  CHECK(s.schemas == Strings{"partman", "public"});
  CHECK(c.top_level == 138);
  CHECK(c.partitioned == 1);
  CHECK(c.partitions == 1);
  CHECK(s.foreign_keys.size() == 339);
  CHECK(c.views == 33);
  CHECK(c.materialized == 1);
  CHECK(s.triggers.size() == 2);
  CHECK(s.sequences.size() == 3);
  CHECK(c.enums == 43);
  CHECK(c.indexes == 760);
  check_consistent(s);
}

TEST_CASE("danbooru: 66 tables, 93 foreign keys, 2 views, 58 sequences") {
  auto url = load_corpus("danbooru");
  if (!url) return;
  Schema s = introspect_url(*url);
  Counts c = count(s);
  CHECK(s.schemas == Strings{"public"});
  CHECK(c.top_level == 66);
  CHECK(c.partitions == 0);
  CHECK(s.foreign_keys.size() == 93);
  CHECK(c.views == 2);
  CHECK(s.triggers.empty());
  CHECK(s.sequences.size() == 58);
  CHECK(c.indexes == 456);
  check_consistent(s);
}

TEST_CASE("osm: 57 tables, 71 foreign keys, 8 enums, 35 sequences") {
  auto url = load_corpus("osm");
  if (!url) return;
  Schema s = introspect_url(*url);
  Counts c = count(s);
  CHECK(c.top_level == 57);
  CHECK(s.foreign_keys.size() == 71);
  CHECK(c.views == 0);
  CHECK(c.enums == 8);
  CHECK(s.sequences.size() == 35);
  CHECK(c.indexes == 155);
  const auto* zones = s.find_table("public.moderation_zones");
  REQUIRE(zones != nullptr);
  REQUIRE(zones->column("zone") != nullptr);
  CHECK(zones->column("zone")->type == "bytea");
  check_consistent(s);
}
