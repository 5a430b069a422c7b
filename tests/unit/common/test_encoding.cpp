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

TEST_CASE("utf8_sequence_length and is_valid_utf8 follow RFC 3629", "[encoding]") {
  struct Case {
    const char* name;
    std::string text;
    std::size_t length; // of the sequence at 0
  };
  const Case cases[] = {
      {"ASCII", "a", 0},
      {"2 bytes (U+00E9)", "\xC3\xA9", 2},
      {"3 bytes (U+20AC)", "\xE2\x82\xAC", 3},
      {"4 bytes (U+1F600)", "\xF0\x9F\x98\x80", 4},
      {"the largest code point (U+10FFFF)", "\xF4\x8F\xBF\xBF", 4},
      {"overlong 2 bytes", "\xC0\xAF", 0},
      {"overlong 3 bytes", "\xE0\x80\xAF", 0},
      {"overlong 4 bytes", "\xF0\x80\x80\xAF", 0},
      {"a surrogate (U+D800)", "\xED\xA0\x80", 0},
      {"above U+10FFFF", "\xF4\x90\x80\x80", 0},
      {"a lone continuation byte", "\x80", 0},
      {"truncated", "\xE2\x82", 0},
      {"a bad continuation byte", "\xE2\x82\x41", 0},
      {"0xFF", "\xFF", 0},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(utf8_sequence_length(c.text, 0) == c.length);
    if (c.text[0] != 'a')
      CHECK(is_valid_utf8(c.text) == (c.length == c.text.size()));
  }
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii, caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("ok then \xC3"));
}
