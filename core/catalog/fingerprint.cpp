// fingerprint(): SHA-256 (OpenSSL) over the canonical catalog JSON.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>

#include "core/catalog/json.hpp"
#include "core/catalog/json_detail.hpp"
#include "core/util/error.hpp"

namespace dbsplit::catalog {

std::string fingerprint(const Schema& schema) {
  // The text hashed is to_json(schema, WithStatistics::no).dump() (sorted keys) without
  // "database" and "server_version": they say where the schema lives, not what it is,
  // so the same schema loaded into two databases gets the same fingerprint.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  bool ok = context && EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1;
  detail::write_structure(schema, [&](const std::string& piece) {
    ok = ok && EVP_DigestUpdate(context.get(), piece.data(), piece.size()) == 1;
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ok || EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
    throw RuntimeError("computing the schema fingerprint failed: OpenSSL SHA-256 is unavailable");
  std::string hex = "sha256:";
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace dbsplit::catalog
