#pragma once
// `dbsplit generate`: per service, DIR/<service>/{openapi.json, client.hpp, client.cpp,
// schema.sql}. Deterministic: the same plan gives the same bytes.
#include <map>
#include <string>
#include <vector>

#include "core/plan/model.hpp"

namespace dbsplit::codegen {

struct GenerateOptions {
  std::string output_dir;
  std::string service;  // "" for every service of the plan
};

// The files of one service: name (e.g. "openapi.json") → content.
std::map<std::string, std::string> service_files(const plan::Plan& plan,
                                                 const std::string& service);

// Writes the files; returns their paths, sorted. Throws UsageError for an unknown service,
// RuntimeError naming the path when a file cannot be written.
std::vector<std::string> generate(const plan::Plan& plan, const GenerateOptions& options);

}  // namespace dbsplit::codegen
