// SHA-256 digests in the OCI "sha256:<hex>" form.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::common {

// Raw 32-byte SHA-256 of the bytes.
std::string sha256_raw(std::string_view bytes);

// "sha256:<64 lowercase hex>" of the bytes.
std::string sha256_digest(std::string_view bytes);

// Streaming SHA-256 for bodies that are checked while they arrive.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(std::string_view bytes);
  // "sha256:<hex>"; the object must not be updated afterwards.
  std::string finish_digest();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Accepts exactly "sha256:" followed by 64 lowercase hex characters; usage error otherwise.
Result<void> validate_sha256_digest(std::string_view digest);

} // namespace isign::common
