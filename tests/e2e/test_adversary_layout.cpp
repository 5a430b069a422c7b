// isign load from a hostile layout: a ref.name that is no tag ("../../victim/manifests/v1") must
// not become a request path that dot segments turn into another repository's tag.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

TEST_CASE("load: a layout's ref.name that is no tag is refused, no other repository written",
          "[e2e][save][adversary]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string layout = dir / "layout";
  REQUIRE(isign_cmd("save", {"--allow-http-registry"}, {"--dir", layout, reg.ref("app:v1")})
              .exit_code == kOk);
  auto doc = nlohmann::json::parse(read_text(layout + "/index.json"));
  for (auto& e : doc["manifests"])
    if (e["annotations"].value("org.opencontainers.image.ref.name", "") == "v1")
      e["annotations"]["org.opencontainers.image.ref.name"] = "../../victim/manifests/v1";
  write_text(layout + "/index.json", doc.dump());

  RegistryFixture other;
  auto loaded = isign_cmd("load", {"--allow-http-registry"}, {"--dir", layout, other.ref("app")});
  UNSCOPED_INFO(loaded.err);
  CHECK(loaded.exit_code != kOk);
  CHECK(contains(loaded.err, "invalid reference"));
  auto victim = isign_cmd("triangulate", {"--allow-http-registry"}, {other.ref("victim:v1")});
  CHECK(victim.exit_code != kOk); // no such tag was written
}
