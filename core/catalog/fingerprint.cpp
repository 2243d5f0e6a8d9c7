// fingerprint(): SHA-256 (OpenSSL) over the canonical catalog JSON.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>

#include "core/catalog/json.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {

std::string fingerprint(const Schema& schema) {
  // The database name and server version are where the schema lives, not what it is:
  // the same schema loaded into two databases must give the same fingerprint.
  nlohmann::json canonical = to_json(schema, WithStatistics::no);
  canonical.erase("database");
  canonical.erase("server_version");
  std::string text = canonical.dump();  // object keys are sorted by nlohmann::json

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw RuntimeError("computing the schema fingerprint failed: OpenSSL SHA-256 is unavailable");
  std::string hex = "sha256:";
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace dbsplit::catalog
