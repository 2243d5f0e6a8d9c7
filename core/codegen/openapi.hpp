#pragma once
// The OpenAPI 3.0.3 document of a service's API (docs/generate.md): deterministic, so
// regenerating from the same plan gives the same bytes.
#include <nlohmann/json.hpp>
#include <string>

#include "core/codegen/api_model.hpp"

namespace dbsplit::codegen {

nlohmann::ordered_json openapi_document(const ServiceApi& api, const std::string& plan_database);

// The JSON Schema of one field's values, as the OpenAPI document and the server use it.
nlohmann::ordered_json field_schema(const Field& field);

}  // namespace dbsplit::codegen
