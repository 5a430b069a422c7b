#include "common/digest.h"

#include <openssl/evp.h>

#include "common/encoding.h"

namespace isign::common {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  // Failure here means OpenSSL could not allocate; nothing sensible can continue.
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1)
    std::abort();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) != 1)
    std::abort();
}

std::string Sha256::finish_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1)
    std::abort();
  return "sha256:" + hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string sha256_raw(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1)
    std::abort();
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string sha256_digest(std::string_view bytes) {
  return "sha256:" + hex_encode(sha256_raw(bytes));
}

Result<void> validate_sha256_digest(std::string_view digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.substr(0, prefix.size()) != prefix || !is_lower_hex(digest.substr(prefix.size()), 64))
    return make_error(ErrorKind::usage,
                      "invalid digest '" + std::string(digest) +
                          "': expected sha256: followed by 64 lowercase hex digits");
  return {};
}

} // namespace isign::common
