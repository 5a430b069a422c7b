// Internal to registry/: every secret a client sends (passwords, Basic credentials, tokens), so
// that no message can carry one back: a registry that echoes the Authorization header in its
// error text must not get base64(user:password) printed on the terminal.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/credentials_types.h"

namespace isign::registry::detail {

// Thread-safe; shared by a client, its auth and the wrapper that scrubs its errors.
class SecretMask {
public:
  // The most tokens remembered; past it the oldest is forgotten. Credentials are kept.
  static constexpr std::size_t kMaxSecrets = 4096;

  // Remembers secret (without base64 padding); strings under 4 characters are ignored. A secret
  // that is not lasting (a token) is forgotten once kMaxSecrets newer ones were added.
  void add(std::string_view secret, bool lasting = false);
  // A credential and the forms a registry might echo it in: as sent in a form body (%20 or '+'
  // for spaces), base64 alone and as Basic user:password.
  void add_credentials(const Credentials& c);
  // text with every known secret (with its base64 padding, if any) replaced by "***".
  std::string mask(std::string text) const;
  // e with its message masked (kind and HTTP status kept).
  common::Error scrub(common::Error e) const;

private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_; // longest first
  std::deque<std::string> added_;    // the same, oldest first
};

} // namespace isign::registry::detail
