// dbsplit spells plain index, unique and foreign key definitions itself from catalog rows
// (core/catalog/introspect_indexes.cpp) instead of calling pg_get_indexdef and
// pg_get_constraintdef per object. This pins that shortcut: on a schema of awkward shapes
// (bench/definition_shapes.sql: odd names, keywords, DESC, COLLATE, operator classes with
// options, INCLUDE, NULLS NOT DISTINCT, FK actions, SET NULL (col), NOT VALID, an
// extension's table, an excluded schema) every definition equals the server's own text.
#include <catch2/catch.hpp>
#include <map>
#include <pqxx/pqxx>
#include <tuple>

#include "core/catalog/introspect.hpp"
#include "core/util/process.hpp"
#include "tests/support/test_cluster.hpp"

using namespace dbsplit;

namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // kind, table, name

std::map<Key, std::string> server_definitions(pqxx::connection& conn) {
  std::map<Key, std::string> out;
  pqxx::work tx(conn);
  tx.exec("SET search_path = pg_catalog");
  for (const auto& r : tx.exec(
           "SELECT n.nspname || '.' || c.relname, ic.relname, pg_get_indexdef(i.indexrelid) "
           "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
           "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"))
    out[{"index", r[0].c_str(), r[1].c_str()}] = r[2].c_str();
  for (const auto& r :
       tx.exec("SELECT n.nspname || '.' || c.relname, con.conname, pg_get_constraintdef(con.oid) "
               "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
               "JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE con.contype IN ('u', 'c', 'x', 'f')"))
    out[{"constraint", r[0].c_str(), r[1].c_str()}] = r[2].c_str();
  return out;
}

std::map<Key, std::string> our_definitions(const catalog::Schema& schema) {
  std::map<Key, std::string> out;
  for (const auto& t : schema.tables) {
    for (const auto& i : t.indexes) out[{"index", t.qualified(), i.name}] = i.definition;
    for (const auto& c : t.constraints) out[{"constraint", t.qualified(), c.name}] = c.definition;
  }
  for (const auto& fk : schema.foreign_keys) out[{"constraint", fk.table, fk.name}] = fk.definition;
  return out;
}

// Every definition dbsplit reports, checked against the server; returns how many.
size_t check_all(pqxx::connection& conn, const catalog::IntrospectOptions& options) {
  auto server = server_definitions(conn);
  auto ours = our_definitions(catalog::introspect(conn, options));
  for (const auto& [key, definition] : ours) {
    INFO(std::get<0>(key) << " " << std::get<2>(key) << " of " << std::get<1>(key));
    auto it = server.find(key);
    REQUIRE(it != server.end());
    CHECK(definition == it->second);
  }
  return ours.size();
}

}  // namespace

TEST_CASE("every index and constraint definition equals the server's own text", "[catalog]") {
  std::string url = test::fresh_database("defs");
  auto load = run_process({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f",
                           test::source_dir() + "/bench/definition_shapes.sql"});
  INFO(load.output);
  REQUIRE(load.exit_code == 0);
  pqxx::connection conn(url);
  // All 58 indexes and constraints of the shapes file are compared; fewer with a schema left out.
  CHECK(check_all(conn, {}) == 58);
  catalog::IntrospectOptions excluding;
  excluding.exclude_schemas = {"elsewhere"};
  size_t without_elsewhere = check_all(conn, excluding);
  CHECK(without_elsewhere > 0);
  CHECK(without_elsewhere < 58);
}
