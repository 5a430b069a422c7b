// Image index entries, as sign --recursive and verify --recursive/--platform read them.
#include <catch2/catch.hpp>

#include <string>

#include "registry/index.h"

using namespace isign;

TEST_CASE("parse_index: entries in order, with their platforms", "[index]") {
  const std::string a = "sha256:" + std::string(64, 'a');
  const std::string b = "sha256:" + std::string(64, 'b');
  auto entries = registry::parse_index(
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("digest":")" +
      a +
      R"(","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},)"
      R"({"digest":")" +
      b + R"(","size":2}]})");
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].digest == a);
  CHECK((*entries)[0].media_type == "application/vnd.oci.image.manifest.v1+json");
  CHECK((*entries)[0].has_platform);
  CHECK((*entries)[0].os == "linux");
  CHECK((*entries)[0].architecture == "arm");
  CHECK((*entries)[0].variant == "v7");
  CHECK((*entries)[0].size == 1);
  CHECK((*entries)[1].digest == b);
  CHECK((*entries)[1].size == 2);
  CHECK_FALSE((*entries)[1].has_platform);
}

TEST_CASE("parse_index: a size that is not a non-negative integer is unknown (0)", "[index]") {
  const std::string a = "sha256:" + std::string(64, 'a');
  for (const char* size : {"-1", "1.5", "\"7\"", "null", "[]", "1e3"}) {
    INFO(size);
    auto entries =
        registry::parse_index(R"({"manifests":[{"digest":")" + a + R"(","size":)" + size + "}]}");
    REQUIRE(entries);
    CHECK((*entries)[0].size == 0);
  }
}

TEST_CASE("parse_index: what is not an index is a registry error", "[index]") {
  struct Case {
    const char* bytes;
    const char* message;
  };
  const Case cases[] = {
      {"not json", "the image index is not JSON with a manifests list"},
      {R"({"manifests":{}})", "the image index is not JSON with a manifests list"},
      {R"({"manifests":[1]})", "an entry of the image index is not an object"},
      {R"({"manifests":[{"digest":"sha256:abc"}]})", "an entry of the image index"},
      {R"({"manifests":[{}]})", "an entry of the image index"},
  };
  for (const auto& c : cases) {
    INFO(c.bytes);
    auto entries = registry::parse_index(c.bytes);
    REQUIRE_FALSE(entries);
    CHECK(entries.error().kind() == common::ErrorKind::registry);
    CHECK(entries.error().message().find(c.message) != std::string::npos);
  }
}

TEST_CASE("parse_index: more entries than the limit is a limit error", "[index]") {
  std::string entries;
  for (std::size_t i = 0; i <= registry::kMaxIndexEntries; ++i)
    entries += std::string(i ? "," : "") + R"({"digest":"sha256:)" + std::string(64, 'a') + "\"}";
  auto parsed = registry::parse_index(R"({"manifests":[)" + entries + "]}");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().kind() == common::ErrorKind::limit);
}

TEST_CASE("parse_index: a NUL byte ends nothing", "[index]") {
  auto parsed = registry::parse_index(std::string(R"({"manifests":[]})") + '\0' + "]");
  REQUIRE_FALSE(parsed);
}

TEST_CASE("parse_index: duplicate keys, a byte-order mark or deep nesting are refused", "[index]") {
  const std::string d = "sha256:" + std::string(64, 'a');
  const std::string entry = R"([{"digest":")" + d + R"("}])";
  CHECK_FALSE(registry::parse_index(R"({"manifests":)" + entry + R"(,"manifests":[]})"));
  CHECK_FALSE(registry::parse_index(R"({"manifests":[{"digest":")" + d + R"(","digest":")" + d +
                                    R"("}]})"));
  CHECK_FALSE(registry::parse_index("\xEF\xBB\xBF"
                                    R"({"manifests":)" +
                                    entry + "}"));
  CHECK_FALSE(registry::parse_index(R"({"manifests":)" + entry + R"(,"x":)" +
                                    std::string(100, '[') + std::string(100, ']') + "}"));
  CHECK(registry::parse_index(R"({"manifests":)" + entry + R"(,"x":{"manifests":1}})"));
  // Registry answers may nest 65 containers deep (as before the parser was shared), not 66.
  CHECK(registry::parse_index(R"({"manifests":)" + entry + R"(,"x":)" + std::string(64, '[') +
                              std::string(64, ']') + "}"));
  CHECK_FALSE(registry::parse_index(R"({"manifests":)" + entry + R"(,"x":)" + std::string(65, '[') +
                                    std::string(65, ']') + "}"));
}
