#pragma once
// Rows as the contract checks compare them: each value as text (nullopt: NULL), shown as
// a JSON object in a diagnostic, and multiset differences of sorted row lists. Shared by
// the read endpoint checks (contracts.cpp) and the command checks (command_contracts.cpp).
#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dbsplit::runtime {

using ContractRow = std::vector<std::optional<std::string>>;

// {"column": "value", ...} of a row, names in column order (null for NULL).
inline std::string show_row(const std::vector<std::string>& names, const ContractRow& row) {
  nlohmann::json object = nlohmann::json::object();
  for (size_t i = 0; i < names.size() && i < row.size(); ++i)
    object[names[i]] = row[i] ? nlohmann::json(*row[i]) : nlohmann::json(nullptr);
  return object.dump();
}

// Elements of `a` not in `b` (multisets, both sorted).
template <class T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace dbsplit::runtime
