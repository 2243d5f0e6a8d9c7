// Tables and what hangs off them: primary/unique/check/exclusion constraints and foreign
// keys (columns: introspect_columns.cpp, indexes: introspect_indexes.cpp). Each is one
// query over every user table at once.
#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/catalog/introspect_detail.hpp"

namespace dbsplit::catalog::detail {
namespace {

// Spells a foreign key's ON UPDATE/ON DELETE action as pg_get_constraintdef does; the
// default (no action) is left out.
std::string fk_action(const std::string& clause, const std::string& action) {
  if (action == "r") return clause + "RESTRICT";
  if (action == "c") return clause + "CASCADE";
  if (action == "n") return clause + "SET NULL";
  if (action == "d") return clause + "SET DEFAULT";
  return "";
}

// Partitioned tables hold no rows themselves: their size is that of their partitions.
void sum_partitions(Schema& schema) {
  if (std::none_of(schema.tables.begin(), schema.tables.end(),
                   [](const Table& t) { return t.kind == 'p'; }))
    return;
  std::map<std::string, Table*> by_name;
  for (auto& t : schema.tables) by_name[t.qualified()] = &t;
  std::function<void(Table&)> total = [&](Table& t) {
    if (t.kind != 'p') return;
    t.estimated_rows = 0;
    t.estimated_bytes = 0;
    for (const auto& p : t.partitions) {
      auto it = by_name.find(p);
      if (it == by_name.end()) continue;
      total(*it->second);
      t.estimated_rows += it->second->estimated_rows;
      t.estimated_bytes += it->second->estimated_bytes;
    }
  };
  for (auto& t : schema.tables)
    if (t.partition_of.empty()) total(t);
}

}  // namespace

std::string user_table(const std::string& c, const std::string& n) {
  return c + ".relkind IN ('r', 'p') AND " + user_namespace(n) + " AND NOT " +
         extension_member("pg_class", c + ".oid");
}

const TableEntry* find(const TableIndex& tables, long long oid) {
  auto it = tables.find(oid);
  return it == tables.end() ? nullptr : &it->second;
}

std::vector<std::string> column_names(const Table& table, const std::vector<int64_t>& attnums) {
  std::vector<std::string> names;
  for (int64_t attnum : attnums) {
    auto column = std::find_if(table.columns.begin(), table.columns.end(),
                               [&](const Column& c) { return c.position == attnum; });
    names.push_back(column == table.columns.end() ? std::string() : column->name);
  }
  return names;
}

std::string quoted_list(const std::vector<std::string>& names, const IdentifierQuoter& quote) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += quote(name);
  }
  return out;
}

TableIndex read_tables(Snapshot& tx, const std::string& excluded, Schema& schema) {
  auto rows = query(tx, R"(
    SELECT c.oid::bigint, n.nspname, c.relname, c.relkind::text, c.relreplident::text,
           greatest(c.reltuples, 0)::float8,
           c.relpages::bigint * current_setting('block_size')::bigint,
           pn.nspname, p.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
    LEFT JOIN pg_class p ON p.oid = i.inhparent
    LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
    WHERE )" + user_table(),
                    excluded);
  // Sorted by name through keys built once: comparing qualified() built two strings per
  // comparison.
  struct ReadTable {
    std::string qualified;
    long long oid = 0;
    Table table;
  };
  std::vector<ReadTable> read;
  read.reserve(rows.size());
  for (const auto& row : rows) {
    Table t;
    t.schema = row[1].as<std::string>();
    t.name = row[2].as<std::string>();
    t.kind = row[3].as<std::string>().at(0);
    t.replica_identity = row[4].as<std::string>().at(0);
    t.estimated_rows = row[5].as<double>();
    t.estimated_bytes = row[6].as<int64_t>();
    if (!row[7].is_null())
      t.partition_of = row[7].as<std::string>() + "." + row[8].as<std::string>();
    read.push_back({t.qualified(), row[0].as<long long>(), std::move(t)});
  }
  std::vector<size_t> order(read.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return read[a].qualified < read[b].qualified; });
  schema.tables.reserve(read.size());
  TableIndex index;
  index.reserve(read.size());
  std::unordered_map<std::string, Table*> by_name;
  by_name.reserve(read.size());
  for (size_t i : order) {
    schema.tables.push_back(std::move(read[i].table));
    index[read[i].oid].table = &schema.tables.back();
    by_name[read[i].qualified] = &schema.tables.back();
  }
  for (size_t j = 0; j < schema.tables.size(); ++j) {  // sorted: each partitions list is too
    const Table& t = schema.tables[j];
    if (t.partition_of.empty()) continue;
    auto parent = by_name.find(t.partition_of);
    if (parent != by_name.end()) parent->second->partitions.push_back(read[order[j]].qualified);
  }
  sum_partitions(schema);
  return index;
}

// Key columns come back as attribute numbers and are named from the columns already
// read: resolving them in SQL (a join per key) took most of these queries' time on
// 10,000 tables. Only check and exclusion constraints (and unique ones with INCLUDE
// columns) are deparsed by the server; a unique constraint's text is spelled here.
pqxx::result fetch_constraints(Snapshot& tx, const std::string& excluded) {
  return query(tx,
               R"(
    SELECT con.conrelid::bigint, con.conname, con.contype::text, con.conkey::text,
           CASE WHEN con.contype IN ('c', 'x') OR NOT con.convalidated
                     OR (con.contype = 'u' AND (ui.indexrelid IS NULL
                                                OR ui.indnatts <> ui.indnkeyatts))
                THEN pg_get_constraintdef(con.oid) END,
           con.condeferrable, con.condeferred, coalesce(ui.indnullsnotdistinct, false)
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index ui ON con.contype = 'u' AND ui.indexrelid = con.conindid
    WHERE con.contype IN ('p', 'u', 'c', 'x') AND )" +
                   user_table(),
               excluded);
}

void apply_constraints(const pqxx::result& rows, const TableIndex& tables,
                       const IdentifierQuoter& quote) {
  for (const auto& row : rows) {
    const TableEntry* entry = find(tables, row[0].as<long long>());
    if (entry == nullptr) continue;
    Table& t = *entry->table;
    char kind = row[2].as<std::string>().at(0);
    if (kind == 'p') {
      t.primary_key_name = row[1].as<std::string>();
      t.primary_key = column_names(t, numbers(row[3]));
      continue;
    }
    Constraint con;
    con.name = row[1].as<std::string>();
    con.kind = kind;
    con.columns = column_names(t, numbers(row[3]));
    if (!row[4].is_null()) {
      con.definition = row[4].as<std::string>();
    } else {  // unique: as pg_get_constraintdef spells it
      con.definition = std::string("UNIQUE ") + (row[7].as<bool>() ? "NULLS NOT DISTINCT " : "") +
                       "(" + quoted_list(con.columns, quote) + ")" +
                       (row[5].as<bool>() ? " DEFERRABLE" : "") +
                       (row[6].as<bool>() ? " INITIALLY DEFERRED" : "");
    }
    t.constraints.push_back(std::move(con));
  }
  for (auto& [oid, entry] : tables)
    std::sort(entry.table->constraints.begin(), entry.table->constraints.end(),
              [](const Constraint& a, const Constraint& b) { return a.name < b.name; });
}

void read_foreign_keys(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                       const IdentifierQuoter& quote, Schema& schema) {
  // Only declared keys: the copies PostgreSQL makes on partitions (conparentid <> 0)
  // belong to the key on the partitioned table.
  // Columns are named from the model and the definition is spelled here, as
  // pg_get_constraintdef would (which cost a catalog scan per key); the server names
  // and deparses only keys to a table outside the model (an excluded schema) and keys
  // with ON DELETE SET NULL/DEFAULT (columns).
  std::string outside = "NOT (" + user_table("rc", "rn") + ")";
  auto rows = query(tx,
                    R"(
    SELECT con.conname, n.nspname, c.relname, rn.nspname, rc.relname,
           con.conrelid::bigint, con.conkey::text, con.confrelid::bigint, con.confkey::text,
           CASE WHEN )" +
                        outside +
                        R"( THEN
             (SELECT json_agg(a.attname ORDER BY k.ord)
              FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
           END,
           con.confdeltype::text, con.confupdtype::text, con.condeferrable,
           CASE WHEN )" +
                        outside +
                        R"( OR con.confdelsetcols IS NOT NULL
                     OR con.confmatchtype NOT IN ('s', 'f')
                THEN pg_get_constraintdef(con.oid) END,
           con.condeferred, con.convalidated, con.confmatchtype::text
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class rc ON rc.oid = con.confrelid
    JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE con.contype = 'f' AND con.conparentid = 0 AND )" +
                        user_table(),
                    excluded);
  for (const auto& row : rows) {
    ForeignKey fk;
    fk.name = row[0].as<std::string>();
    fk.table = row[1].as<std::string>() + "." + row[2].as<std::string>();
    fk.ref_table = row[3].as<std::string>() + "." + row[4].as<std::string>();
    const TableEntry* t = find(tables, row[5].as<long long>());
    const TableEntry* ref = find(tables, row[7].as<long long>());
    if (t == nullptr) continue;
    fk.columns = column_names(*t->table, numbers(row[6]));
    fk.ref_columns =
        ref != nullptr ? column_names(*ref->table, numbers(row[8])) : string_array(row[9]);
    fk.on_delete = row[10].as<std::string>();
    fk.on_update = row[11].as<std::string>();
    fk.deferrable = row[12].as<bool>();
    if (!row[13].is_null()) {
      fk.definition = row[13].as<std::string>();
    } else {
      fk.definition =
          "FOREIGN KEY (" + quoted_list(fk.columns, quote) + ") REFERENCES " +
          quote(row[3].as<std::string>()) + "." + quote(row[4].as<std::string>()) + "(" +
          quoted_list(fk.ref_columns, quote) + ")" +
          (row[16].as<std::string>() == "f" ? " MATCH FULL" : "") +
          fk_action(" ON UPDATE ", fk.on_update) + fk_action(" ON DELETE ", fk.on_delete) +
          (fk.deferrable ? " DEFERRABLE" : "") + (row[14].as<bool>() ? " INITIALLY DEFERRED" : "") +
          (row[15].as<bool>() ? "" : " NOT VALID");
    }
    schema.foreign_keys.push_back(std::move(fk));
  }
  std::sort(schema.foreign_keys.begin(), schema.foreign_keys.end(),
            [](const ForeignKey& a, const ForeignKey& b) {
              return std::tie(a.table, a.name) < std::tie(b.table, b.name);
            });
}

}  // namespace dbsplit::catalog::detail
