// introspect(): runs one batched catalog query per object kind inside one read-only
// snapshot, shared by two connections that split the kinds between them, so the model
// is consistent even while the database changes.
#include "core/catalog/introspect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>

#include "core/catalog/introspect_detail.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {
namespace detail {

std::string user_namespace(const std::string& alias) {
  return fmt::format(
      "({0}.nspname NOT IN ('pg_catalog', 'information_schema', 'dbsplit', 'dbsplit_outbox')"
      " AND {0}.nspname NOT LIKE 'pg\\_toast%' AND {0}.nspname NOT LIKE 'pg\\_temp%'"
      " AND {0}.nspname NOT IN (SELECT json_array_elements_text($1::json))"
      " AND NOT {1})",
      alias, extension_member("pg_namespace", alias + ".oid"));
}

std::string extension_member(const std::string& catalog, const std::string& oid_expr) {
  // A member depends on its extension: naming pg_extension as the referenced catalog
  // lets the planner read the few such rows from pg_depend's reference index instead of
  // scanning every dependency of every table (~90 ms on 10,000 tables).
  return fmt::format(
      "EXISTS (SELECT 1 FROM pg_depend ext_dep WHERE ext_dep.refclassid = "
      "'pg_extension'::regclass AND ext_dep.classid = '{}'::regclass"
      " AND ext_dep.objid = {} AND ext_dep.deptype = 'e')",
      catalog, oid_expr);
}

pqxx::result query(Snapshot& tx, const std::string& sql, const std::string& excluded_json) {
  if (sql.find("$1") == std::string::npos) return tx.exec(sql);
  return tx.exec_params(sql, excluded_json);
}

std::vector<std::string> string_array(const pqxx::field& field) {
  std::vector<std::string> out;
  if (field.is_null()) return out;
  for (const auto& item : nlohmann::json::parse(field.c_str()))
    out.push_back(item.is_string() ? item.get<std::string>() : std::string());
  return out;
}

std::vector<int64_t> numbers(const pqxx::field& field) {
  std::vector<int64_t> out;
  if (field.is_null()) return out;
  const char* text = field.c_str();
  for (const char* at = text; *at != '\0';) {
    if (!std::isdigit(static_cast<unsigned char>(*at)) && *at != '-') {
      ++at;
      continue;
    }
    char* end = nullptr;
    out.push_back(std::strtoll(at, &end, 10));
    at = end == at ? at + 1 : end;
  }
  return out;
}

IdentifierQuoter::IdentifierQuoter(std::unordered_set<std::string> keywords, QuoteAll quote_all)
    : keywords_(std::move(keywords)), quote_all_(quote_all) {}

std::string IdentifierQuoter::operator()(const std::string& identifier) const {
  // The rules of quote_identifier() in PostgreSQL's ruleutils.c.
  bool safe = !identifier.empty() &&
              ((identifier[0] >= 'a' && identifier[0] <= 'z') || identifier[0] == '_');
  for (char ch : identifier)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) safe = false;
  if (safe && keywords_.count(identifier) != 0) safe = false;
  if (safe && quote_all_ == QuoteAll::no) return identifier;
  std::string quoted = "\"";
  for (char ch : identifier) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + '"';
}

IdentifierQuoter read_identifier_quoter(Snapshot& tx) {
  std::unordered_set<std::string> keywords;
  for (const auto& row : tx.exec("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'"))
    keywords.insert(row[0].as<std::string>());
  bool quote_all = tx.exec1("SELECT current_setting('quote_all_identifiers')::bool")[0].as<bool>();
  return IdentifierQuoter(std::move(keywords), quote_all ? IdentifierQuoter::QuoteAll::yes
                                                         : IdentifierQuoter::QuoteAll::no);
}

std::string column_ref(const Schema& schema, const std::string& table_schema,
                       const std::string& table, const std::string& column) {
  std::string qualified = table_schema + "." + table;
  // Walk up to the partition root; the depth bound guards against a malformed chain.
  for (int depth = 0; depth < 64; ++depth) {
    const Table* t = schema.find_table(qualified);
    if (t == nullptr || t->partition_of.empty()) break;
    qualified = t->partition_of;
  }
  return qualified + "." + column;
}

}  // namespace detail

namespace {

void read_schemas(detail::Snapshot& tx, const std::string& excluded, Schema& schema) {
  auto rows = detail::query(
      tx, "SELECT n.nspname FROM pg_namespace n WHERE " + detail::user_namespace("n"), excluded);
  for (const auto& row : rows) schema.schemas.push_back(row[0].as<std::string>());
  std::sort(schema.schemas.begin(), schema.schemas.end());
}

// Settings of one catalog transaction, on either connection.
void set_up_snapshot(detail::Snapshot& tx) {
  // Deparsed names come out schema-qualified whatever the caller's search_path, so the
  // model (and its fingerprint) does not depend on it, and no user function can shadow
  // a catalog function the queries call.
  tx.exec("SET LOCAL search_path = pg_catalog");
  // Parallel workers only add processes fighting for the cores the other connection and
  // the client need; the catalog queries are short, so JIT compiling them cannot pay off;
  // their hash joins over pg_attribute should not spill to disk.
  tx.exec("SET LOCAL max_parallel_workers_per_gather = 0");
  tx.exec("SET LOCAL jit = off");
  tx.exec("SET LOCAL work_mem = '64MB'");
}

void read_server(detail::Snapshot& tx, Schema& schema) {
  set_up_snapshot(tx);
  auto row = tx.exec1("SELECT current_database(), current_setting('server_version')");
  schema.database = row[0].as<std::string>();
  schema.server_version = row[1].as<std::string>();
}

void read_extensions(detail::Snapshot& tx, Schema& schema) {
  for (const auto& row : tx.exec("SELECT extname FROM pg_extension"))
    schema.extensions.push_back(row[0].as<std::string>());
  std::sort(schema.extensions.begin(), schema.extensions.end());
}

// Runs one step, turning any library error into a RuntimeError that names the kind of
// object being read, so a failure on a strange catalog points at the right query.
void step(const std::string& kind, const std::string& database, const std::function<void()>& body) {
  try {
    body();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw RuntimeError(fmt::format(
        "introspection of database \"{}\" failed while reading {}: {} (check that the "
        "role may read the system catalogs and that the server is PostgreSQL 15 or newer)",
        database, kind, e.what()));
  }
}

// Rows of the kinds that need nothing read before them, fetched before being applied.
struct Fetched {
  pqxx::result constraints;
  pqxx::result sequences;
  pqxx::result types;
  pqxx::result views;
  pqxx::result functions;
  pqxx::result triggers;
};

void fetch(detail::Snapshot& tx, const std::string& excluded, const std::string& database,
           Fetched& out) {
  step("constraints", database, [&] { out.constraints = detail::fetch_constraints(tx, excluded); });
  step("sequences", database, [&] { out.sequences = detail::fetch_sequences(tx, excluded); });
  step("types", database, [&] { out.types = detail::fetch_types(tx, excluded); });
  step("views", database, [&] { out.views = detail::fetch_views(tx, excluded); });
  step("functions", database, [&] { out.functions = detail::fetch_functions(tx, excluded); });
  step("triggers", database, [&] { out.triggers = detail::fetch_triggers(tx, excluded); });
}

// A second connection fetches these in the same snapshot while the first reads the
// tables, their columns, indexes and foreign keys, as pg_dump -j shares its snapshot:
// deparsing check constraints (pg_get_constraintdef opens every table that has one)
// is the largest part of the server's work left on a large schema, the sequences'
// dependencies the next. nullopt when that connection cannot be opened or cannot import
// the snapshot: the caller then fetches them itself. Query errors are thrown as for the
// first connection.
std::optional<Fetched> fetch_aside(const std::string& conninfo, const std::string& snapshot_id,
                                   const std::string& excluded, const std::string& database) {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<detail::Snapshot> tx;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo);
    tx = std::make_unique<detail::Snapshot>(*conn);
    tx->exec("SET TRANSACTION SNAPSHOT " + tx->quote(snapshot_id));
    set_up_snapshot(*tx);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  Fetched out;
  fetch(*tx, excluded, database, out);
  step("the end of the catalog snapshot", database, [&] { tx->commit(); });
  return out;
}

std::string export_snapshot(detail::Snapshot& tx) {
  try {
    return tx.exec1("SELECT pg_export_snapshot()")[0].as<std::string>();
  } catch (const pqxx::sql_error&) {
    return {};  // e.g. not allowed here: read everything on this connection
  }
}

}  // namespace

Schema introspect(pqxx::connection& conn, const IntrospectOptions& options) {
  Schema schema;
  std::string database = conn.dbname();
  std::string excluded = nlohmann::json(options.exclude_schemas).dump();
  std::unique_ptr<detail::Snapshot> tx;
  step("the catalog snapshot", database, [&] { tx = std::make_unique<detail::Snapshot>(conn); });
  auto& t = *tx;
  detail::TableIndex tables;
  step("the server settings", database, [&] { read_server(t, schema); });
  std::string snapshot_id = export_snapshot(t);
  std::future<std::optional<Fetched>> aside;
  if (!snapshot_id.empty())
    aside = std::async(std::launch::async, fetch_aside, conn.options(), snapshot_id, excluded,
                       database);
  step("schemas", database, [&] { read_schemas(t, excluded, schema); });
  step("extensions", database, [&] { read_extensions(t, schema); });
  detail::IdentifierQuoter quote;
  step("keywords", database, [&] { quote = detail::read_identifier_quoter(t); });
  step("tables", database, [&] { tables = detail::read_tables(t, excluded, schema); });
  std::vector<detail::OutsideColumn> outside_columns;
  step("columns", database, [&] { outside_columns = detail::read_columns(t, excluded, tables); });
  // Index and foreign key definitions are spelled from the columns just read.
  step("indexes", database, [&] { detail::read_indexes(t, excluded, tables, quote); });
  step("foreign keys", database,
       [&] { detail::read_foreign_keys(t, excluded, tables, quote, schema); });
  std::optional<Fetched> fetched;
  if (aside.valid()) fetched = aside.get();
  if (!fetched) fetch(t, excluded, database, fetched.emplace());
  step("the end of the catalog snapshot", database, [&] { t.commit(); });
  step("constraints", database,
       [&] { detail::apply_constraints(fetched->constraints, tables, quote); });
  step("sequences", database, [&] { detail::apply_sequences(fetched->sequences, schema); });
  step("types", database, [&] { detail::apply_types(fetched->types, schema, outside_columns); });
  step("views", database, [&] { detail::apply_views(fetched->views, schema); });
  step("functions", database, [&] { detail::apply_functions(fetched->functions, schema); });
  step("triggers", database, [&] { detail::apply_triggers(fetched->triggers, schema); });
  return schema;
}

}  // namespace dbsplit::catalog
