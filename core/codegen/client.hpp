#pragma once
// The C++17 client of a service's API (client.hpp + client.cpp), on cpp-httplib and
// nlohmann/json: a struct per resource and per query row with typed members, one method
// per endpoint, and errors as ApiError carrying the HTTP status and the server's message.
#include <string>

#include "core/codegen/api_model.hpp"

namespace dbsplit::codegen {

// The C++ namespace of a service's client: "orders" → "orders_api".
std::string client_namespace(const std::string& service);

std::string client_header(const ServiceApi& api);
std::string client_source(const ServiceApi& api);

}  // namespace dbsplit::codegen
