#include <catch2/catch.hpp>

#include "core/catalog/json.hpp"
#include "core/catalog/json_detail.hpp"
#include "core/util/error.hpp"

using namespace dbsplit;
using catalog::Schema;
using nlohmann::json;

namespace {

Schema small_schema() {
  Schema s;
  s.database = "shop";
  s.server_version = "15.4";
  s.schemas = {"shop", "public"};
  for (const char* name : {"b", "a", "c", "d"}) {
    catalog::Table t;
    t.schema = "shop";
    t.name = name;
    catalog::Column id;
    id.name = "id";
    id.type = "bigint";
    id.type_schema = "pg_catalog";
    id.type_name = "int8";
    id.not_null = true;
    id.position = 1;
    catalog::Column note;
    note.name = "note";
    note.type = "text";
    note.default_expr = "''::text";
    note.position = 2;
    t.columns = {note, id};
    t.primary_key = {"id"};
    t.estimated_rows = 42;
    t.estimated_bytes = 8192;
    s.tables.push_back(t);
  }
  catalog::ForeignKey fk;
  fk.name = "b_a_fkey";
  fk.table = "shop.b";
  fk.columns = {"id"};
  fk.ref_table = "shop.a";
  fk.ref_columns = {"id"};
  fk.on_delete = "c";
  s.foreign_keys = {fk};
  catalog::UserType status;
  status.schema = "shop";
  status.name = "status";
  status.labels = {"z", "a"};
  status.used_by = {"shop.b.s", "shop.a.s"};
  s.types = {status};
  return s;
}

std::string error_of(const json& document) {
  try {
    catalog::schema_from_json(document);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("catalog JSON is sorted, leaves statistics out unless asked, and reads back") {
  Schema s = small_schema();
  json j = catalog::to_json(s);
  CHECK(j["schemas"] == json({"public", "shop"}));
  CHECK(j["tables"][0]["name"] == "a");
  CHECK(j["tables"][3]["name"] == "d");
  CHECK(j["tables"][0]["columns"][0]["name"] == "id");
  CHECK(j["tables"][0]["columns"][1]["default"] == "''::text");
  CHECK(j["tables"][0]["columns"][0]["default"].is_null());
  CHECK(j["types"][0]["labels"] == json({"z", "a"}));  // enum order is meaningful
  CHECK(j["types"][0]["used_by"] == json({"shop.a.s", "shop.b.s"}));
  CHECK_FALSE(j["tables"][0].contains("estimated_rows"));
  json with_stats = catalog::to_json(s, catalog::WithStatistics::yes);
  CHECK(with_stats["tables"][0]["estimated_rows"] == 42.0);
  CHECK(with_stats["tables"][0]["estimated_bytes"] == 8192);

  CHECK(catalog::to_json(catalog::schema_from_json(j)) == j);
  CHECK(catalog::to_json(catalog::schema_from_json(with_stats), catalog::WithStatistics::yes) ==
        with_stats);
  Schema back = catalog::schema_from_json(j);
  REQUIRE(back.tables.size() == 4);
  CHECK(back.tables[2].columns[1].default_expr == std::optional<std::string>("''::text"));
  CHECK_FALSE(back.tables[2].columns[0].default_expr.has_value());
}

TEST_CASE("reading malformed catalog JSON names the JSON pointer of the bad member") {
  json j = catalog::to_json(small_schema());
  json bad = j;
  bad["tables"][3]["columns"][0]["name"] = 7;
  CHECK_THAT(error_of(bad), Catch::Contains("/tables/3/columns/0/name: expected a string"));
  bad = j;
  bad["tables"][1].erase("schema");
  CHECK_THAT(error_of(bad), Catch::Contains("/tables/1/schema: missing member"));
  bad = j;
  bad["foreign_keys"][0]["deferrable"] = "yes";
  CHECK_THAT(error_of(bad), Catch::Contains("/foreign_keys/0/deferrable: expected true or false"));
  bad = j;
  bad["tables"][0]["kind"] = "table";
  CHECK_THAT(error_of(bad), Catch::Contains("/tables/0/kind: expected a one-character string"));
  bad = j;
  bad["types"][0]["used_by"] = "shop.a.s";
  CHECK_THAT(error_of(bad), Catch::Contains("/types/0/used_by: expected an array"));
  bad = j;
  bad["types"][0]["labels"][1] = nullptr;
  CHECK_THAT(error_of(bad), Catch::Contains("/types/0/labels/1: expected a string"));
  CHECK_THAT(error_of(json::array()), Catch::Contains("at /: expected an object"));
}

TEST_CASE("the fingerprint covers structure only") {
  Schema s = small_schema();
  std::string fp = catalog::fingerprint(s);
  CHECK(fp.size() == 7 + 64);
  CHECK(fp.rfind("sha256:", 0) == 0);

  Schema moved = s;  // another database, other statistics, another order
  moved.database = "shop_copy";
  moved.server_version = "15.6";
  moved.tables[0].estimated_rows = 1e6;
  moved.tables[0].estimated_bytes = 1 << 30;
  std::swap(moved.tables[0], moved.tables[3]);
  CHECK(catalog::fingerprint(moved) == fp);

  Schema changed = s;
  changed.tables[0].columns[0].not_null = true;
  CHECK(catalog::fingerprint(changed) != fp);
  changed = s;
  changed.types[0].labels = {"a", "z"};
  CHECK(catalog::fingerprint(changed) != fp);
}

TEST_CASE("the fingerprint hashes exactly the catalog JSON without database and version") {
  Schema s = small_schema();
  s.tables[1].partitions = {"shop.z", "shop.y"};
  s.extensions = {"plpgsql"};
  json canonical = catalog::to_json(s);
  canonical.erase("database");
  canonical.erase("server_version");
  std::string streamed;
  catalog::detail::write_structure(s, [&](const std::string& piece) { streamed += piece; });
  CHECK(streamed == canonical.dump());

  Schema empty;
  json empty_canonical = catalog::to_json(empty);
  empty_canonical.erase("database");
  empty_canonical.erase("server_version");
  streamed.clear();
  catalog::detail::write_structure(empty, [&](const std::string& piece) { streamed += piece; });
  CHECK(streamed == empty_canonical.dump());
}
