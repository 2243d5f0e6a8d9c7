#pragma once
// The catalog model: what dbsplit knows about a live database's schema.
// Filled by catalog::introspect (one batched query per object kind).
// Tables are named "schema.table" with the raw (unquoted) identifiers.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dbsplit::catalog {

struct Column {
  std::string name;
  std::string type;         // format_type(), e.g. "character varying(200)", "public.order_status"
  std::string type_schema;  // schema of the base type (e.g. "pg_catalog", "public")
  std::string type_name;    // base type name without modifiers, e.g. "varchar", "order_status"
  bool not_null = false;
  std::optional<std::string> default_expr;  // pg_get_expr of the default
  std::string identity;                     // "", "a" (always) or "d" (by default)
  std::string generated;                    // "" or "s" (stored generated column)
  int position = 0;                         // attnum
};

struct ForeignKey {
  std::string name;
  std::string table;  // "schema.table" holding the key
  std::vector<std::string> columns;
  std::string ref_table;  // "schema.table" referenced
  std::vector<std::string> ref_columns;
  std::string on_delete;  // "a" no action, "r" restrict, "c" cascade, "n" set null, "d" set default
  std::string on_update;
  bool deferrable = false;
  std::string definition;  // pg_get_constraintdef
};

struct Constraint {  // unique and check constraints
  std::string name;
  char kind = 'u';                   // 'u' unique, 'c' check, 'x' exclusion
  std::vector<std::string> columns;  // "" for an expression (exclusion constraints)
  std::string definition;
};

struct Index {
  std::string name;
  std::vector<std::string> columns;  // empty entries for expressions
  bool unique = false;
  bool primary = false;
  std::string definition;  // pg_get_indexdef
};

struct Table {
  std::string schema;
  std::string name;
  std::string qualified() const { return schema + "." + name; }
  char kind = 'r';  // 'r' table, 'p' partitioned table
  std::vector<Column> columns;
  std::vector<std::string> primary_key;  // column names, in key order
  std::string primary_key_name;
  std::vector<Constraint> constraints;
  std::vector<Index> indexes;
  char replica_identity = 'd';  // 'd' default, 'n' nothing, 'f' full, 'i' index
  std::string replica_identity_index;
  double estimated_rows = 0;            // reltuples (-1 when never analysed → 0)
  int64_t estimated_bytes = 0;          // relpages * block size, summed over partitions
  std::vector<std::string> partitions;  // "schema.table" of partitions (partitioned tables)
  std::string partition_of;             // set on a partition: its parent, which is the unit
  const Column* column(const std::string& column_name) const;
};

struct View {
  std::string schema;
  std::string name;
  std::string qualified() const { return schema + "." + name; }
  bool materialized = false;
  std::string definition;
  std::vector<std::string> depends_on;  // tables (and views) it reads, "schema.name", sorted
};

struct Sequence {
  std::string schema;
  std::string name;
  std::string qualified() const { return schema + "." + name; }
  std::string owned_by_table;  // OWNED BY table ("" when none)
  std::string owned_by_column;
  // "schema.table.column" whose default calls nextval on it; a column of a partition is
  // named by its partition root (so is UserType::used_by).
  std::vector<std::string> used_by;
};

struct Function {
  std::string schema;
  std::string name;
  std::string arguments;            // pg_get_function_identity_arguments: tells overloads apart
  std::string language;             // "plpgsql", "sql", ...
  std::string body;                 // prosrc
  std::vector<std::string> reads;   // tables the body reads (from parsing it)
  std::vector<std::string> writes;  // tables the body writes
};

struct Trigger {
  std::string name;
  std::string table;                 // "schema.table" it fires on
  std::string function;              // "schema.function"
  std::string definition;            // pg_get_triggerdef
  std::vector<std::string> touches;  // tables the function reads or writes (besides `table`)
};

struct UserType {
  std::string schema;
  std::string name;
  std::string qualified() const { return schema + "." + name; }
  char kind = 'e';                   // 'e' enum, 'c' composite, 'd' domain
  std::vector<std::string> labels;   // enum labels in order / composite attribute names
  std::string base_type;             // domains: format_type of the underlying type
  std::vector<std::string> used_by;  // "schema.table.column", sorted
};

struct Schema {
  std::string database;
  std::string server_version;
  std::vector<std::string> schemas;
  std::vector<Table> tables;  // sorted by qualified name; partitions included
  std::vector<ForeignKey> foreign_keys;
  std::vector<View> views;
  std::vector<Sequence> sequences;
  std::vector<Function> functions;
  std::vector<Trigger> triggers;
  std::vector<UserType> types;
  std::vector<std::string> extensions;

  const Table* find_table(const std::string& qualified) const;
};

}  // namespace dbsplit::catalog
