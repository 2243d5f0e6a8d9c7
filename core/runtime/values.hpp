#pragma once
// Request values → SQL parameters, checked against the column's type first so a bad
// value is a 400 naming its field, and response rows as JSON built by the server.
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/codegen/api_model.hpp"

namespace dbsplit::runtime {

// A client's mistake in one field or parameter: answered with 400 {"error", "field"}.
class BadInput : public std::runtime_error {
 public:
  BadInput(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// The text parameter for a JSON value of a field; nullopt for SQL NULL. Throws BadInput.
std::optional<std::string> param_from_json(const codegen::Field& field,
                                           const nlohmann::json& value);
// The text parameter for a query-string or path value of a field. Throws BadInput.
std::string param_from_text(const codegen::Field& field, const std::string& text);

// The SQL expression standing for parameter $n of a field in INSERT/UPDATE (jsonb and
// arrays travel as JSON text).
std::string param_expression(const codegen::Field& field, int n);
// The select-list item giving a field's JSON form from alias `source` (numeric as text,
// so no precision is lost in JSON).
std::string output_expression(const codegen::Field& field, const std::string& source);

// True when the bytes are valid UTF-8 without NUL characters.
bool valid_text(const std::string& bytes);

// Opaque keyset cursors: base64url of a JSON array of the key values as text.
std::string encode_cursor(const std::vector<std::string>& key_values);
// Throws BadInput("cursor", ...) unless it decodes to `key_size` values.
std::vector<std::string> decode_cursor(const std::string& cursor, size_t key_size);

}  // namespace dbsplit::runtime
