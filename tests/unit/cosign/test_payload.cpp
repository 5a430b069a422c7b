// The simple-signing payload bytes and Go-compatible JSON string escaping.
#include <catch2/catch.hpp>

#include <string>

#include "common/encoding.h"
#include "common/file.h"
#include "cosign/payload.h"

using namespace isign;
using common::ErrorKind;

namespace {

constexpr std::string_view kDigest =
    "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";

} // namespace

TEST_CASE("go_json_string escapes like Go's encoding/json", "[payload]") {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"", R"("")"},
      {"plain text 123", R"("plain text 123")"},
      {"quote \" backslash \\", R"("quote \" backslash \\")"},
      {"slash / stays", R"("slash / stays")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\x00\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
      {"\x0b", R"("\u000b")"},
      {"<a href=\"x\">&amp;</a>", R"("\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e")"},
      {"\x7f", "\"\x7f\""}, // DEL is not escaped
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\""},
      {"\xe2\x80\xa8|\xe2\x80\xa9", R"("\u2028|\u2029")"},
      {"\xe2\x80\xaa", "\"\xe2\x80\xaa\""}, // U+202A is not special
      {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""}, // a real U+FFFD stays as is
      {"a\xffz", R"("a\ufffdz")"},
      {"\xc3", R"("\ufffd")"},                     // truncated 2-byte sequence
      {"\xe2\x82z", R"("\ufffd\ufffdz")"},         // truncated 3-byte sequence: one per byte
      {"\xc0\xaf", R"("\ufffd\ufffd")"},           // overlong '/'
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"}, // UTF-16 surrogate
      {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"}, // above U+10FFFF
      {"\xf0\x8f\xbf\xbf", R"("\ufffd\ufffd\ufffd\ufffd")"}, // overlong 4-byte
      {"\x80", R"("\ufffd")"},
  };
  for (const auto& c : cases) {
    INFO(common::hex_encode(c.in));
    CHECK(cosign::go_json_string(c.in) == c.out);
  }
}

TEST_CASE("payload without annotations: cosign's exact bytes", "[payload]") {
  auto payload = cosign::make_payload("registry-testing.svc.lan/busybox", kDigest);
  REQUIRE(payload);
  // The payload of the sigstore-rs test vector (testdata/signatures/sigstore-rs/payload.json).
  CHECK(
      *payload ==
      R"({"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},)"
      R"("image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},)"
      R"("type":"cosign container image signature"},"optional":null})");
  auto vector =
      common::read_file(std::string(ISIGN_TESTDATA_DIR) + "/signatures/sigstore-rs/payload.json");
  REQUIRE(vector);
  CHECK(*payload == *vector);
}

TEST_CASE("payload with annotations: sorted keys, string values", "[payload]") {
  cosign::Annotations annotations = {{"zeta", "last"}, {"env", "prod"}, {"Build", "7"}};
  auto payload = cosign::make_payload("127.0.0.1:5000/team/app", kDigest, annotations);
  REQUIRE(payload);
  CHECK(
      *payload ==
      R"({"critical":{"identity":{"docker-reference":"127.0.0.1:5000/team/app"},)"
      R"("image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},)"
      R"("type":"cosign container image signature"},)"
      R"("optional":{"Build":"7","env":"prod","zeta":"last"}})");
}

TEST_CASE("payload annotations are escaped and sorted bytewise", "[payload]") {
  // Keys sort on their raw bytes (as Go sorts map keys), so "\xc3\xa9t\xc3\xa9" comes after ASCII.
  cosign::Annotations annotations = {
      {"\xc3\xa9t\xc3\xa9", "x"}, {"a&b", "<script>"}, {"line", "1\n2"}, {"empty", ""}};
  auto payload = cosign::make_payload("index.docker.io/library/ubuntu", kDigest, annotations);
  REQUIRE(payload);
  CHECK(
      *payload ==
      R"({"critical":{"identity":{"docker-reference":"index.docker.io/library/ubuntu"},)"
      R"("image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},)"
      R"("type":"cosign container image signature"},)"
      R"("optional":{"a\u0026b":"\u003cscript\u003e","empty":"","line":"1\n2",)"
      "\"\xc3\xa9t\xc3\xa9\":\"x\"}}");
}

TEST_CASE("payload rejects a bad digest or an empty reference", "[payload]") {
  for (std::string_view digest :
       {"", "sha256:F3CFC9D0DBF931D3DB4685EC659B7AC68E2A578219DA4AAE65427886E649B06B", "sha256:abc",
        "sha512:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b",
        "f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"}) {
    INFO(digest);
    auto payload = cosign::make_payload("reg/repo", digest);
    REQUIRE_FALSE(payload);
    CHECK(payload.error().kind() == ErrorKind::usage);
  }
  auto payload = cosign::make_payload("", kDigest);
  REQUIRE_FALSE(payload);
  CHECK(payload.error().kind() == ErrorKind::usage);
}
