#pragma once
// The parameterised SQL of each API operation. Identifiers are quoted; values are only
// ever parameters. Every statement returns the row(s) as JSON text in its first column.
#include <string>
#include <vector>

#include "core/codegen/api_model.hpp"

namespace dbsplit::runtime {

// A statement and the text parameters it takes (nullopt: NULL), in order.
struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  int add(std::optional<std::string> value) {
    params.push_back(std::move(value));
    return static_cast<int>(params.size());
  }
};

// A list filter: a column and the values it may equal (already checked text).
struct Filter {
  const codegen::Field* field = nullptr;
  std::vector<std::string> values;
};

// SELECT of `columns` of one row by key.
Statement select_by_key(const codegen::Resource& r, const std::vector<std::string>& key);

// SELECT of the rows of several keys at once (coalesced point lookups): one result row
// per element of the key arrays, in order: the element's ordinal and its row as JSON
// (NULL when there is none). `types` are the SQL types the server gives select_by_key's
// parameters (without a length or precision, so a value is never cut to fit); `keys`
// holds one key per lookup.
Statement select_by_keys(const codegen::Resource& r, const std::vector<std::string>& types,
                         const std::vector<std::vector<std::string>>& keys);

// A PostgreSQL array literal of text elements, each quoted: {"a","b\"c"}.
std::string array_literal(const std::vector<std::string>& elements);

// SELECT of `columns` matching the filters, after `cursor` (key values, may be empty),
// in key order, at most limit + 1 rows; key values as text follow the JSON in each row.
Statement select_page(const codegen::Resource& r, const std::vector<std::string>& columns,
                      const std::vector<Filter>& filters, const std::vector<std::string>& cursor,
                      int limit);

// INSERT/UPDATE/DELETE with its outbox event in the same statement; returns the row.
Statement insert_row(
    const codegen::Resource& r, const std::string& service, const std::string& outbox,
    const std::vector<std::pair<const codegen::Field*, std::optional<std::string>>>& values);
Statement update_row(
    const codegen::Resource& r, const std::string& service, const std::string& outbox,
    const std::vector<std::string>& key,
    const std::vector<std::pair<const codegen::Field*, std::optional<std::string>>>& values);
Statement delete_row(const codegen::Resource& r, const std::string& service,
                     const std::string& outbox, const std::vector<std::string>& key);

// A command (a supported one): its replaced statement with each $N cast to its argument's
// type, wrapped so the same statement records an outbox event per row it touches; returns
// the command's columns of each row. `values` holds one per argument, in argument order.
Statement command_statement(const codegen::Command& c, const codegen::Resource& r,
                            const std::string& service, const std::string& outbox,
                            const std::vector<std::optional<std::string>>& values);

}  // namespace dbsplit::runtime
