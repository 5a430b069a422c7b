// The strict payload parser: every rule of docs/formats.md section 5, table-driven.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/file.h"
#include "cosign/payload.h"
#include "tests/unit/testdata.h"

using namespace isign;
using common::ErrorKind;
using unit::testdata_file;

namespace {

const std::string kDigest =
    "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";
const std::string kType = R"("type":"cosign container image signature")";
const std::string kImage = R"("image":{"docker-manifest-digest":")" + kDigest + R"("})";
const std::string kIdentity = R"("identity":{"docker-reference":"reg.example/app"})";
const std::string kCritical = R"("critical":{)" + kIdentity + "," + kImage + "," + kType + "}";

std::string with_optional(const std::string& optional) {
  return "{" + kCritical + R"(,"optional":)" + optional + "}";
}

const std::string kValid = with_optional("null");

} // namespace

TEST_CASE("payload: cosign's payload (sigstore-rs vector)", "[payload]") {
  auto p = cosign::parse_payload(testdata_file("signatures/sigstore-rs/payload.json"));
  REQUIRE(p);
  CHECK(p->docker_reference == "registry-testing.svc.lan/busybox");
  CHECK(p->manifest_digest == kDigest);
  CHECK(p->optional_null);
  CHECK(p->optional_json == "null");
  CHECK(p->annotations.empty());
  CHECK_FALSE(p->creator);
  CHECK_FALSE(p->timestamp);
}

TEST_CASE("payload: containers/image's payload (creator, timestamp, tag)", "[payload]") {
  auto p = cosign::parse_payload(testdata_file("payloads/containers-image.json"));
  REQUIRE(p);
  CHECK(p->docker_reference == "127.0.0.1:5000/test/app:signed");
  CHECK(p->manifest_digest ==
        "sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7");
  CHECK_FALSE(p->optional_null);
  REQUIRE(p->creator);
  CHECK(*p->creator == "containers/image 5.23.1");
  REQUIRE(p->timestamp);
  CHECK(*p->timestamp == 1700000000);
  CHECK(p->annotations ==
        std::map<std::string, std::string>{{"creator", "containers/image 5.23.1"}});
  CHECK(p->optional_json == R"({"creator":"containers/image 5.23.1","timestamp":1700000000})");
}

TEST_CASE("payload: accepted variations", "[payload]") {
  struct Case {
    std::string name;
    std::string payload;
  };
  const std::vector<Case> cases = {
      {"annotations", with_optional(R"({"env":"prod","b":""})")},
      {"empty optional object", with_optional("{}")},
      {"non-string optional values", with_optional(R"({"n":1,"o":{"a":[1,{"b":null}]},"t":true})")},
      {"whitespace", "\n { \"critical\" : {\n  " + kType + " , " + kImage + ",\t" + kIdentity +
                         " } ,\r\n \"optional\" : null } \n"},
      {"other key order",
       R"({"optional":null,"critical":{)" + kType + "," + kImage + "," + kIdentity + "}}"},
      {"escaped key", R"({"critical":{"\u0074ype":"cosign container image signature",)" + kImage +
                          "," + kIdentity + R"(},"optional":null})"},
      {"reference with digest", R"({"critical":{"identity":{"docker-reference":"reg.example/app@)" +
                                    kDigest + R"("},)" + kImage + "," + kType +
                                    R"(},"optional":null})"},
      {"sha512 digest", R"({"critical":{)" + kIdentity +
                            R"(,"image":{"docker-manifest-digest":"sha512:)" +
                            std::string(128, 'a') + R"("},)" + kType + R"(},"optional":null})"},
      {"timestamp zero", with_optional(R"({"timestamp":0})")},
      {"timestamp negative", with_optional(R"({"timestamp":-5})")},
  };
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.payload);
    auto p = cosign::parse_payload(c.payload);
    CHECK(p);
  }
  auto annotated = cosign::parse_payload(with_optional(R"({"env":"prod","n":1,"b":""})"));
  REQUIRE(annotated);
  CHECK(annotated->annotations == std::map<std::string, std::string>{{"b", ""}, {"env", "prod"}});
  CHECK(annotated->optional_json == R"({"b":"","env":"prod","n":1})");
}

TEST_CASE("payload: an integral float timestamp is accepted, as containers/image does",
          "[payload]") {
  auto p = cosign::parse_payload(with_optional(R"({"timestamp":1.7e9})"));
  REQUIRE(p);
  REQUIRE(p->timestamp);
  CHECK(*p->timestamp == 1700000000);
  p = cosign::parse_payload(with_optional(R"({"timestamp":1700000000.0})"));
  REQUIRE(p);
  CHECK(*p->timestamp == 1700000000);
}

TEST_CASE("payload: every broken rule is rejected with its reason", "[payload]") {
  struct Case {
    std::string name;
    std::string payload;
    std::string why;
  };
  const std::string image_identity = kImage + "," + kIdentity;
  const std::vector<Case> cases = {
      // Syntax.
      {"empty", "", "invalid payload JSON"},
      {"not JSON", "critical", "invalid payload JSON"},
      {"truncated", kValid.substr(0, kValid.size() - 1), "invalid payload JSON"},
      {"trailing garbage", kValid + "x", "invalid payload JSON"},
      {"trailing object", kValid + "{}", "invalid payload JSON"},
      {"two payloads", kValid + kValid, "invalid payload JSON"},
      {"byte-order mark", "\xEF\xBB\xBF" + kValid, "byte-order mark"},
      // nlohmann stops at a NUL byte; cosign and containers/image reject what follows it.
      {"NUL byte then anything", kValid + std::string(1, '\0') + "anything", "NUL byte"},
      {"invalid UTF-8", with_optional("{\"a\":\"\xff\"}"), "invalid payload JSON"},
      {"number overflow", with_optional(R"({"x":1e400})"), "invalid payload JSON"},
      {"deep nesting",
       with_optional(R"({"x":)" + std::string(80, '[') + std::string(80, ']') + "}"),
       "nested more than 64"},
      // Types of the containers.
      {"root array", "[" + kValid + "]", "the payload is an array, not an object"},
      {"root null", "null", "the payload is null, not an object"},
      {"critical array", R"({"critical":[],"optional":null})", "critical is an array"},
      {"critical null", R"({"critical":null,"optional":null})", "critical is null"},
      {"image string",
       R"({"critical":{)" + kType + R"(,"image":"x",)" + kIdentity + R"(},"optional":null})",
       "critical.image is a string, not an object"},
      {"identity null",
       R"({"critical":{)" + kType + "," + kImage + R"(,"identity":null},"optional":null})",
       "critical.identity is null, not an object"},
      // Unknown keys at each level.
      {"unknown top",
       R"({"critical":{)" + kType + "," + image_identity + R"(},"optional":null,"extra":1})",
       "the payload has an unknown key \"extra\""},
      {"unknown critical",
       R"({"critical":{)" + kType + "," + image_identity + R"(,"foo":"bar"},"optional":null})",
       "critical has an unknown key \"foo\""},
      {"unknown image",
       R"({"critical":{)" + kType + R"(,"image":{"docker-manifest-digest":")" + kDigest +
           R"(","x":1},)" + kIdentity + R"(},"optional":null})",
       "critical.image has an unknown key \"x\""},
      {"unknown identity",
       R"({"critical":{)" + kType + "," + kImage +
           R"(,"identity":{"docker-reference":"r/a","x":1}},"optional":null})",
       "critical.identity has an unknown key \"x\""},
      {"case matters", R"({"Critical":{)" + kType + "," + image_identity + R"(},"optional":null})",
       "unknown key \"Critical\""},
      // Missing keys at each level.
      {"missing critical", R"({"optional":null})", "the payload is missing the key \"critical\""},
      {"missing optional", "{" + kCritical + "}", "the payload is missing the key \"optional\""},
      {"missing type", R"({"critical":{)" + image_identity + R"(},"optional":null})",
       "critical is missing the key \"type\""},
      {"missing image", R"({"critical":{)" + kType + "," + kIdentity + R"(},"optional":null})",
       "critical is missing the key \"image\""},
      {"missing identity", R"({"critical":{)" + kType + "," + kImage + R"(},"optional":null})",
       "critical is missing the key \"identity\""},
      {"missing digest",
       R"({"critical":{)" + kType + R"(,"image":{},)" + kIdentity + R"(},"optional":null})",
       "critical.image is missing the key \"docker-manifest-digest\""},
      {"missing reference",
       R"({"critical":{)" + kType + "," + kImage + R"(,"identity":{}},"optional":null})",
       "critical.identity is missing the key \"docker-reference\""},
      // Duplicate keys at each level.
      {"duplicate critical",
       R"({"critical":{)" + kType + "," + kType + "," + image_identity + R"(},"optional":null})",
       "duplicate key \"type\""},
      {"duplicate escaped",
       R"({"critical":{)" + kType + R"(,"\u0074ype":"cosign container image signature",)" +
           image_identity + R"(},"optional":null})",
       "duplicate key \"type\""},
      {"duplicate image",
       R"({"critical":{)" + kType + R"(,"image":{"docker-manifest-digest":")" + kDigest +
           R"(","docker-manifest-digest":")" + kDigest + R"("},)" + kIdentity +
           R"(},"optional":null})",
       "duplicate key \"docker-manifest-digest\""},
      {"duplicate identity",
       R"({"critical":{)" + kType + "," + kImage +
           R"(,"identity":{"docker-reference":"a/b","docker-reference":"c/d"}},"optional":null})",
       "duplicate key \"docker-reference\""},
      {"duplicate optional", with_optional(R"({"env":"a","env":"b"})"), "duplicate key \"env\""},
      {"duplicate nested", with_optional(R"({"x":[{"y":1,"y":2}]})"), "duplicate key \"y\""},
      // Values.
      {"type wrong",
       R"({"critical":{"type":"cosign container image signaturE",)" + image_identity +
           R"(},"optional":null})",
       "critical.type is \"cosign container image signaturE\", not \"cosign container image "
       "signature\""},
      {"type atomic",
       R"({"critical":{"type":"atomic container signature",)" + image_identity +
           R"(},"optional":null})",
       "critical.type is \"atomic container signature\""},
      {"type number", R"({"critical":{"type":1,)" + image_identity + R"(},"optional":null})",
       "critical.type is a number, not a string"},
      {"type null", R"({"critical":{"type":null,)" + image_identity + R"(},"optional":null})",
       "critical.type is null, not a string"},
      {"digest number",
       R"({"critical":{)" + kType + R"(,"image":{"docker-manifest-digest":5},)" + kIdentity +
           R"(},"optional":null})",
       "critical.image.docker-manifest-digest is a number, not a string"},
      {"digest uppercase",
       R"({"critical":{)" + kType +
           R"(,"image":{"docker-manifest-digest":"sha256:F3CFC9D0DBF931D3DB4685EC659B7AC68E2A578219DA4AAE65427886E649B06B"},)" +
           kIdentity + R"(},"optional":null})",
       "is not a valid digest"},
      {"digest short",
       R"({"critical":{)" + kType + R"(,"image":{"docker-manifest-digest":"sha256:abc"},)" +
           kIdentity + R"(},"optional":null})",
       "is not a valid digest"},
      {"digest md5",
       R"({"critical":{)" + kType +
           R"(,"image":{"docker-manifest-digest":"md5:d41d8cd98f00b204e9800998ecf8427e"},)" +
           kIdentity + R"(},"optional":null})",
       "is not a valid digest"},
      {"reference number",
       R"({"critical":{)" + kType + "," + kImage +
           R"(,"identity":{"docker-reference":7}},"optional":null})",
       "critical.identity.docker-reference is a number, not a string"},
      {"reference null",
       R"({"critical":{)" + kType + "," + kImage +
           R"(,"identity":{"docker-reference":null}},"optional":null})",
       "critical.identity.docker-reference is null, not a string"},
      {"reference empty",
       R"({"critical":{)" + kType + "," + kImage +
           R"(,"identity":{"docker-reference":""}},"optional":null})",
       "docker-reference is empty"},
      {"optional string", with_optional(R"("x")"), "optional is a string, not null or an object"},
      {"optional array", with_optional("[]"), "optional is an array, not null or an object"},
      {"optional false", with_optional("false"), "optional is a boolean"},
      {"creator number", with_optional(R"({"creator":1})"),
       "optional.creator is a number, not a string"},
      {"creator null", with_optional(R"({"creator":null})"),
       "optional.creator is null, not a string"},
      {"creator object", with_optional(R"({"creator":{}})"), "optional.creator is an object"},
      {"timestamp fraction", with_optional(R"({"timestamp":1.5})"),
       "optional.timestamp 1.5 is not an integer number of seconds"},
      {"timestamp string", with_optional(R"({"timestamp":"1700000000"})"),
       "optional.timestamp is a string, not an integer"},
      {"timestamp bool", with_optional(R"({"timestamp":true})"), "optional.timestamp is a boolean"},
      {"timestamp null", with_optional(R"({"timestamp":null})"), "optional.timestamp is null"},
      {"timestamp too big", with_optional(R"({"timestamp":9223372036854775808})"),
       "not an integer number of seconds"},
      {"timestamp huge float", with_optional(R"({"timestamp":1e19})"),
       "not an integer number of seconds"},
  };
  auto check = [](const std::string& name, const std::string& payload, const std::string& why) {
    INFO(name << ": " << payload);
    auto p = cosign::parse_payload(payload);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind() == ErrorKind::verification);
    CHECK_THAT(p.error().message(), Catch::Contains(why));
    CHECK(p.error().message().find('\n') == std::string::npos);
  };
  for (const auto& c : cases)
    check(c.name, c.payload, c.why);
  check("duplicate top",
        R"({"critical":{)" + kType + "," + image_identity + R"(},"optional":null,"optional":null})",
        "duplicate key \"optional\"");
  check("duplicate top critical", "{" + kCritical + "," + kCritical + R"(,"optional":null})",
        "duplicate key \"critical\"");
}
