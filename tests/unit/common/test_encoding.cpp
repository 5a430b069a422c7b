#include <catch2/catch.hpp>

#include "common/encoding.h"

using namespace isign::common;

TEST_CASE("base64 round trips RFC 4648 vectors", "[encoding]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64_decode rejects malformed input", "[encoding]") {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9", "Zh==", "Zm9=v", "=Zm9", "Zm8*"}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
}

TEST_CASE("hex helpers", "[encoding]") {
  CHECK(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(is_lower_hex("00ff10", 6));
  CHECK_FALSE(is_lower_hex("00FF10", 6));
  CHECK_FALSE(is_lower_hex("00ff1", 6));
}
