#include <catch2/catch.hpp>

#include "common/digest.h"

using namespace isign::common;

TEST_CASE("sha256 digests", "[digest]") {
  CHECK(sha256_digest("") ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 s;
  s.update("ab");
  s.update("c");
  CHECK(s.finish_digest() ==
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("validate_sha256_digest", "[digest]") {
  CHECK(validate_sha256_digest(sha256_digest("x")).ok());
  for (const char* bad :
       {"", "sha256:", "sha256:abc",
        "sha512:"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}) {
    INFO(bad);
    auto r = validate_sha256_digest(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind() == ErrorKind::usage);
  }
}
