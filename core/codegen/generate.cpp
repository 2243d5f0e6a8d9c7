#include "core/codegen/generate.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/codegen/client.hpp"
#include "core/codegen/ddl.hpp"
#include "core/codegen/openapi.hpp"
#include "core/util/error.hpp"

namespace dbsplit::codegen {
namespace {

void write_file(const std::string& path, const std::string& content) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.good())
      throw RuntimeError("cannot write " + temporary + ": " + std::strerror(errno) +
                         "; check that the output directory is writable");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw RuntimeError("cannot rename " + temporary + " to " + path + ": " + ec.message());
}

}  // namespace

std::map<std::string, std::string> service_files(const plan::Plan& plan,
                                                 const std::string& service) {
  ServiceApi api = describe_service(plan, service);
  std::map<std::string, std::string> files;
  files["openapi.json"] = openapi_document(api, plan.database).dump(2) + "\n";
  files["client.hpp"] = client_header(api);
  files["client.cpp"] = client_source(api);
  files["schema.sql"] = service_ddl(plan, service);
  return files;
}

std::vector<std::string> generate(const plan::Plan& plan, const GenerateOptions& options) {
  std::vector<std::string> services;
  if (!options.service.empty()) {
    describe_service(plan, options.service);  // names the plan's services when unknown
    services.push_back(options.service);
  } else {
    for (const auto& s : plan.services) services.push_back(s.name);
  }
  std::vector<std::string> written;
  for (const auto& service : services) {
    auto files = service_files(plan, service);
    std::string dir = (std::filesystem::path(options.output_dir) / service).string();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create directory " + dir + ": " + ec.message());
    for (const auto& [name, content] : files) {
      std::string path = dir + "/" + name;
      write_file(path, content);
      written.push_back(path);
    }
  }
  return written;
}

}  // namespace dbsplit::codegen
