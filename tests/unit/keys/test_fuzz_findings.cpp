// Inputs fuzz_pem found (tests/fuzz/regressions/pem), and variants of the same bug: private keys
// whose stored public part does not belong to the private part.
#include <catch2/catch.hpp>

#include <string>

#include "common/file.h"
#include "keys/keys.h"

using namespace isign;
using common::ErrorKind;

namespace {

std::string regression(const std::string& name) {
  auto data =
      common::read_file(std::string(ISIGN_SOURCE_DIR) + "/tests/fuzz/regressions/pem/" + name);
  REQUIRE(data.ok());
  return *data;
}

} // namespace

TEST_CASE("fuzz findings: a private key whose public part does not match is refused",
          "[keys][fuzz]") {
  // ec-public-key-mismatch.pem: testdata/keys/openssl/ec-p256-pkcs8.pem with one bit of the
  // private scalar flipped; before the fix it imported, and its signatures never verified under
  // its own public key.
  for (const char* name : {"ec-public-key-mismatch.pem", "ec-sec1-public-key-mismatch.pem",
                           "rsa-modulus-mismatch.pem"}) {
    CAPTURE(name);
    auto key = keys::import_pem_private_key(regression(name));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::key);
    CHECK(key.error().message().find("public part does not match") != std::string::npos);
  }
}
