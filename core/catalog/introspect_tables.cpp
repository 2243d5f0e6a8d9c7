// Tables and what hangs off them: columns, primary/unique/check/exclusion constraints,
// indexes, and foreign keys. Each is one query over every user table at once.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <tuple>

#include "core/catalog/introspect_detail.hpp"

namespace dbsplit::catalog::detail {
namespace {

// Condition selecting user tables (relkind r and p) as `c` in namespace `n`.
std::string user_table(const std::string& c = "c", const std::string& n = "n") {
  return c + ".relkind IN ('r', 'p') AND " + user_namespace(n) + " AND NOT " +
         extension_member("pg_class", c + ".oid");
}

Table* find(const TableIndex& tables, long long oid) {
  auto it = tables.find(oid);
  return it == tables.end() ? nullptr : it->second;
}

// Names of the columns whose attribute numbers a catalog array holds, in order:
// "{2,1}" (int2[]) or "2 1" (int2vector); 0 (an index expression) gives "".
std::vector<std::string> column_names(const Table& table, const pqxx::field& numbers) {
  std::vector<std::string> names;
  if (numbers.is_null()) return names;
  std::string text = numbers.as<std::string>();
  for (size_t at = 0; at < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[at])) && text[at] != '-') {
      ++at;
      continue;
    }
    size_t end = at + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    int attnum = std::stoi(text.substr(at, end - at));
    auto column = std::find_if(table.columns.begin(), table.columns.end(),
                               [&](const Column& c) { return c.position == attnum; });
    names.push_back(column == table.columns.end() ? std::string() : column->name);
    at = end;
  }
  return names;
}

// Partitioned tables hold no rows themselves: their size is that of their partitions.
void sum_partitions(Schema& schema) {
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
  std::vector<std::pair<std::string, long long>> oids;
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
    oids.emplace_back(t.qualified(), row[0].as<long long>());
    schema.tables.push_back(std::move(t));
  }
  std::sort(schema.tables.begin(), schema.tables.end(),
            [](const Table& a, const Table& b) { return a.qualified() < b.qualified(); });
  std::map<std::string, long long> oid_of(oids.begin(), oids.end());
  TableIndex index;
  for (auto& t : schema.tables) index[oid_of[t.qualified()]] = &t;
  std::map<std::string, Table*> by_name;
  for (auto& t : schema.tables) by_name[t.qualified()] = &t;
  for (const auto& t : schema.tables) {  // sorted, so each partitions list is sorted
    auto parent = by_name.find(t.partition_of);
    if (parent != by_name.end()) parent->second->partitions.push_back(t.qualified());
  }
  sum_partitions(schema);
  return index;
}

void read_columns(Snapshot& tx, const std::string& excluded, const TableIndex& tables) {
  // Arrays are reported by their element type, so a column of order_status[] names
  // the enum it stores. A plain default cannot refer to columns, so it is deparsed
  // without its table: pg_get_expr with a table opens and locks it, which made this
  // query 10x slower on large schemas. Generated columns need their table.
  auto rows = query(tx,
                    R"(
    SELECT a.attrelid::bigint, a.attname, format_type(a.atttypid, a.atttypmod),
           bn.nspname, bt.typname, a.attnotnull,
           CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0)
                ELSE pg_get_expr(d.adbin, d.adrelid) END,
           a.attidentity::text, a.attgenerated::text, a.attnum
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_type bt ON bt.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0
                                     THEN t.typelem ELSE t.oid END
    JOIN pg_namespace bn ON bn.oid = bt.typnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND )" +
                        user_table() + R"(
    ORDER BY a.attrelid, a.attnum)",
                    excluded);
  for (const auto& row : rows) {
    Table* t = find(tables, row[0].as<long long>());
    if (t == nullptr) continue;
    Column col;
    col.name = row[1].as<std::string>();
    col.type = row[2].as<std::string>();
    col.type_schema = row[3].as<std::string>();
    col.type_name = row[4].as<std::string>();
    col.not_null = row[5].as<bool>();
    if (!row[6].is_null()) col.default_expr = row[6].as<std::string>();
    col.identity = row[7].as<std::string>();
    col.generated = row[8].as<std::string>();
    col.position = row[9].as<int>();
    t->columns.push_back(std::move(col));
  }
}

// Key columns come back as attribute numbers and are named from the columns already
// read: resolving them in SQL (a join per key) took most of these queries' time on
// 10,000 tables.
pqxx::result fetch_constraints(Snapshot& tx, const std::string& excluded) {
  return query(tx,
               R"(
    SELECT con.conrelid::bigint, con.conname, con.contype::text, con.conkey::text,
           CASE WHEN con.contype <> 'p' THEN pg_get_constraintdef(con.oid) END
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE con.contype IN ('p', 'u', 'c', 'x') AND )" +
                   user_table(),
               excluded);
}

void apply_constraints(const pqxx::result& rows, const TableIndex& tables) {
  for (const auto& row : rows) {
    Table* t = find(tables, row[0].as<long long>());
    if (t == nullptr) continue;
    char kind = row[2].as<std::string>().at(0);
    if (kind == 'p') {
      t->primary_key_name = row[1].as<std::string>();
      t->primary_key = column_names(*t, row[3]);
      continue;
    }
    Constraint con;
    con.name = row[1].as<std::string>();
    con.kind = kind;
    con.columns = column_names(*t, row[3]);
    con.definition = row[4].as<std::string>();
    t->constraints.push_back(std::move(con));
  }
  for (auto& [oid, t] : tables)
    std::sort(t->constraints.begin(), t->constraints.end(),
              [](const Constraint& a, const Constraint& b) { return a.name < b.name; });
}

pqxx::result fetch_indexes(Snapshot& tx, const std::string& excluded) {
  return query(tx, R"(
    SELECT i.indrelid::bigint, ic.relname, i.indisunique, i.indisprimary, i.indisreplident,
           pg_get_indexdef(i.indexrelid), i.indkey::text, i.indnkeyatts
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE )" + user_table(),
               excluded);
}

void apply_indexes(const pqxx::result& rows, const TableIndex& tables) {
  // Key columns only (not INCLUDE columns); expression columns (attnum 0) are "".
  for (const auto& row : rows) {
    Table* t = find(tables, row[0].as<long long>());
    if (t == nullptr) continue;
    Index idx;
    idx.name = row[1].as<std::string>();
    idx.unique = row[2].as<bool>();
    idx.primary = row[3].as<bool>();
    if (row[4].as<bool>()) t->replica_identity_index = idx.name;
    idx.definition = row[5].as<std::string>();
    idx.columns = column_names(*t, row[6]);
    idx.columns.resize(std::min(idx.columns.size(), row[7].as<size_t>()));
    t->indexes.push_back(std::move(idx));
  }
  for (auto& [oid, t] : tables)
    std::sort(t->indexes.begin(), t->indexes.end(),
              [](const Index& a, const Index& b) { return a.name < b.name; });
}

void read_foreign_keys(Snapshot& tx, const std::string& excluded, const TableIndex& tables,
                       Schema& schema) {
  // Only declared keys: the copies PostgreSQL makes on partitions (conparentid <> 0)
  // belong to the key on the partitioned table.
  // Referenced columns are named in SQL only when the referenced table is not in the
  // model (an excluded schema); otherwise from the model, like the key columns.
  auto rows = query(tx,
                    R"(
    SELECT con.conname, n.nspname, c.relname, rn.nspname, rc.relname,
           con.conrelid::bigint, con.conkey::text, con.confrelid::bigint, con.confkey::text,
           CASE WHEN NOT ()" +
                        user_table("rc", "rn") + R"() THEN
             (SELECT json_agg(a.attname ORDER BY k.ord)
              FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
           END,
           con.confdeltype::text, con.confupdtype::text, con.condeferrable,
           pg_get_constraintdef(con.oid)
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
    const Table* t = find(tables, row[5].as<long long>());
    const Table* ref = find(tables, row[7].as<long long>());
    if (t == nullptr) continue;
    fk.columns = column_names(*t, row[6]);
    fk.ref_columns = ref != nullptr ? column_names(*ref, row[8]) : string_array(row[9]);
    fk.on_delete = row[10].as<std::string>();
    fk.on_update = row[11].as<std::string>();
    fk.deferrable = row[12].as<bool>();
    fk.definition = row[13].as<std::string>();
    schema.foreign_keys.push_back(std::move(fk));
  }
  std::sort(schema.foreign_keys.begin(), schema.foreign_keys.end(),
            [](const ForeignKey& a, const ForeignKey& b) {
              return std::tie(a.table, a.name) < std::tie(b.table, b.name);
            });
}

}  // namespace dbsplit::catalog::detail
