#pragma once
// `dbsplit plan show`: the plan as a review document, per stage and per service, listing
// the changes each stage makes to the database.
#include <string>

#include "core/plan/model.hpp"

namespace dbsplit::plan {

enum class ShowFormat { text, markdown, json };
// Throws UsageError for an unknown name.
ShowFormat show_format_from_string(const std::string& name);

std::string render_plan(const Plan& plan, ShowFormat format);

// One line saying what a dependency's pattern implies, e.g.
// "endpoint accounts.get_user_by_id(id) -> email, name".
std::string implication(const Dependency& dependency);

}  // namespace dbsplit::plan
