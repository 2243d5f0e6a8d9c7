// Objects besides tables: views, sequences, functions, triggers and user types. Each
// is one query over the whole database.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/catalog/introspect_detail.hpp"

namespace dbsplit::catalog::detail {
namespace {

// "schema.table.column" entries from a JSON array of [schema, table, column] triples,
// mapped to partition roots, deduplicated and sorted.
std::vector<std::string> column_refs(const Schema& schema, const pqxx::field& field) {
  std::set<std::string> refs;
  if (!field.is_null())
    for (const auto& triple : nlohmann::json::parse(field.c_str()))
      refs.insert(column_ref(schema, triple.at(0).get<std::string>(),
                             triple.at(1).get<std::string>(), triple.at(2).get<std::string>()));
  return {refs.begin(), refs.end()};
}

// Sorted through keys built once: comparing qualified() built two strings per comparison.
template <typename T>
void sort_by_qualified(std::vector<T>& items) {
  std::vector<std::pair<std::string, size_t>> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) keys.emplace_back(items[i].qualified(), i);
  std::sort(keys.begin(), keys.end());
  std::vector<T> sorted;
  sorted.reserve(items.size());
  for (const auto& key : keys) sorted.push_back(std::move(items[key.second]));
  items = std::move(sorted);
}

}  // namespace

pqxx::result fetch_views(Snapshot& tx, const std::string& excluded) {
  // A view's rewrite rule depends on every relation its query reads.
  return query(tx,
               R"(
    SELECT n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid),
           (SELECT json_agg(DISTINCT rn.nspname || '.' || rc.relname)
            FROM pg_rewrite r
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                            AND d.refclassid = 'pg_class'::regclass
            JOIN pg_class rc ON rc.oid = d.refobjid
            JOIN pg_namespace rn ON rn.oid = rc.relnamespace
            WHERE r.ev_class = c.oid AND rc.oid <> c.oid
              AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND rn.nspname NOT IN ('pg_catalog', 'information_schema'))
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm') AND )" +
                   user_namespace("n") + " AND NOT " + extension_member("pg_class", "c.oid"),
               excluded);
}

void apply_views(const pqxx::result& rows, Schema& schema) {
  for (const auto& row : rows) {
    View v;
    v.schema = row[0].as<std::string>();
    v.name = row[1].as<std::string>();
    v.materialized = row[2].as<bool>();
    v.definition = row[3].as<std::string>();
    v.depends_on = string_array(row[4]);
    std::sort(v.depends_on.begin(), v.depends_on.end());
    schema.views.push_back(std::move(v));
  }
  sort_by_qualified(schema.views);
}

pqxx::result fetch_sequences(Snapshot& tx, const std::string& excluded) {
  // OWNED BY is an auto dependency (identity sequences: internal) on the column;
  // a column default calling nextval depends normally on the sequence. Both are
  // grouped joins over all sequences: correlated subqueries per sequence were 3x slower.
  return query(tx,
               R"(
    WITH seq AS MATERIALIZED (
      SELECT c.oid, n.nspname, c.relname
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND )" +
                   user_namespace("n") + " AND NOT " + extension_member("pg_class", "c.oid") + R"(),
    owner AS (
      SELECT DISTINCT ON (d.objid) d.objid, tn.nspname, tc.relname, a.attname
      FROM seq
      JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = seq.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
                      AND d.deptype IN ('a', 'i')
      JOIN pg_class tc ON tc.oid = d.refobjid
      JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      ORDER BY d.objid),
    users AS (
      SELECT d.refobjid AS seq,
             json_agg(json_build_array(tn.nspname, tc.relname, a.attname)) AS columns
      FROM seq
      JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = seq.oid
                      AND d.classid = 'pg_attrdef'::regclass
      JOIN pg_attrdef ad ON ad.oid = d.objid
      JOIN pg_class tc ON tc.oid = ad.adrelid
      JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
      WHERE tc.relkind IN ('r', 'p')
      GROUP BY d.refobjid)
    SELECT seq.nspname, seq.relname, owner.nspname, owner.relname, owner.attname, users.columns
    FROM seq
    LEFT JOIN owner ON owner.objid = seq.oid
    LEFT JOIN users ON users.seq = seq.oid)",
               excluded);
}

void apply_sequences(const pqxx::result& rows, Schema& schema) {
  for (const auto& row : rows) {
    Sequence s;
    s.schema = row[0].as<std::string>();
    s.name = row[1].as<std::string>();
    if (!row[2].is_null()) {
      s.owned_by_table = row[2].as<std::string>() + "." + row[3].as<std::string>();
      s.owned_by_column = row[4].as<std::string>();
    }
    s.used_by = column_refs(schema, row[5]);
    schema.sequences.push_back(std::move(s));
  }
  sort_by_qualified(schema.sequences);
}

pqxx::result fetch_functions(Snapshot& tx, const std::string& excluded) {
  // User functions, plus any function a user trigger calls wherever it lives.
  return query(tx,
               R"(
    SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), l.lanname,
           coalesce(p.prosrc, '')
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
    WHERE (p.prokind IN ('f', 'p') AND )" +
                   user_namespace("n") + " AND NOT " + extension_member("pg_proc", "p.oid") + R"()
       OR p.oid IN (SELECT t.tgfoid FROM pg_trigger t
                    JOIN pg_class c ON c.oid = t.tgrelid
                    JOIN pg_namespace tn ON tn.oid = c.relnamespace
                    WHERE NOT t.tgisinternal AND )" +
                   user_namespace("tn") + ")",
               excluded);
}

void apply_functions(const pqxx::result& rows, Schema& schema) {
  for (const auto& row : rows) {
    Function f;
    f.schema = row[0].as<std::string>();
    f.name = row[1].as<std::string>();
    f.arguments = row[2].as<std::string>();
    f.language = row[3].as<std::string>();
    f.body = row[4].as<std::string>();
    schema.functions.push_back(std::move(f));
  }
  std::sort(
      schema.functions.begin(), schema.functions.end(), [](const Function& a, const Function& b) {
        return std::tie(a.schema, a.name, a.arguments) < std::tie(b.schema, b.name, b.arguments);
      });
}

pqxx::result fetch_triggers(Snapshot& tx, const std::string& excluded) {
  // Declared triggers only: not constraint triggers PostgreSQL makes for foreign keys
  // (internal) nor the copies it makes on partitions (tgparentid <> 0).
  return query(tx,
               R"(
    SELECT t.tgname, n.nspname, c.relname, fn.nspname, p.proname, pg_get_triggerdef(t.oid)
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid
    JOIN pg_namespace fn ON fn.oid = p.pronamespace
    WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND )" +
                   user_namespace("n") + " AND NOT " + extension_member("pg_class", "c.oid"),
               excluded);
}

void apply_triggers(const pqxx::result& rows, Schema& schema) {
  for (const auto& row : rows) {
    Trigger t;
    t.name = row[0].as<std::string>();
    t.table = row[1].as<std::string>() + "." + row[2].as<std::string>();
    t.function = row[3].as<std::string>() + "." + row[4].as<std::string>();
    t.definition = row[5].as<std::string>();
    schema.triggers.push_back(std::move(t));
  }
  std::sort(schema.triggers.begin(), schema.triggers.end(), [](const Trigger& a, const Trigger& b) {
    return std::tie(a.table, a.name) < std::tie(b.table, b.name);
  });
}

pqxx::result fetch_types(Snapshot& tx, const std::string& excluded) {
  // Composite types made by CREATE TYPE only: every table also has a row type.
  return query(tx,
               R"(
    SELECT n.nspname, t.typname, t.typtype::text,
           CASE t.typtype
             WHEN 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                            FROM pg_enum e WHERE e.enumtypid = t.oid)
             WHEN 'c' THEN (SELECT json_agg(a.attname ORDER BY a.attnum)
                            FROM pg_attribute a
                            WHERE a.attrelid = t.typrelid AND a.attnum > 0
                              AND NOT a.attisdropped)
           END,
           CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END
    FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_class r ON r.oid = t.typrelid
    WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c'))
      AND )" + user_namespace("n") +
                   " AND NOT " + extension_member("pg_type", "t.oid"),
               excluded);
}

void apply_types(const pqxx::result& rows, Schema& schema,
                 const std::vector<OutsideColumn>& outside_columns) {
  std::map<std::string, UserType*> by_name;
  for (const auto& row : rows) {
    UserType u;
    u.schema = row[0].as<std::string>();
    u.name = row[1].as<std::string>();
    u.kind = row[2].as<std::string>().at(0);
    u.labels = string_array(row[3]);
    if (!row[4].is_null()) u.base_type = row[4].as<std::string>();
    schema.types.push_back(std::move(u));
  }
  sort_by_qualified(schema.types);
  for (auto& u : schema.types) by_name[u.qualified()] = &u;

  // Where each type is used comes from the columns already read (their base type: the
  // element type of an array), not from a second pass over pg_attribute.
  std::map<std::string, std::set<std::string>> used_by;
  auto use = [&](const std::string& type, const std::string& table_schema, const std::string& table,
                 const std::string& column) {
    if (by_name.count(type) != 0)
      used_by[type].insert(column_ref(schema, table_schema, table, column));
  };
  for (const auto& t : schema.tables)
    for (const auto& c : t.columns)
      use(c.type_schema + "." + c.type_name, t.schema, t.name, c.name);
  for (const auto& c : outside_columns) use(c.type, c.table_schema, c.table, c.column);
  for (auto& [type, columns] : used_by)
    by_name[type]->used_by.assign(columns.begin(), columns.end());
}

}  // namespace dbsplit::catalog::detail
