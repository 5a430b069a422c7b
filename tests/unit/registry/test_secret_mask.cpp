// The secret mask of a long-running client: tokens are forgotten once many newer ones were
// added, credentials never are.
#include <catch2/catch.hpp>
#include <string>

#include "registry/secret_mask.h"

using isign::registry::Credentials;
using isign::registry::detail::SecretMask;

TEST_CASE("secret mask: bounded in tokens, credentials kept", "[secrets]") {
  SecretMask mask;
  mask.add_credentials(Credentials{"user", "hunter2-password", ""});
  for (std::size_t i = 0; i < SecretMask::kMaxSecrets + 10; ++i)
    mask.add("token-" + std::to_string(i));
  CHECK(mask.mask("hunter2-password") == "***");
  CHECK(mask.mask("token-0") == "token-0"); // the oldest tokens were forgotten
  const std::string last = "token-" + std::to_string(SecretMask::kMaxSecrets + 9);
  CHECK(mask.mask(last) == "***");
}
