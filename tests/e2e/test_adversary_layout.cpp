// isign load from a hostile layout: a ref.name that is no tag ("../../victim/manifests/v1") must
// not become a request path that dot segments turn into another repository's tag.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

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

TEST_CASE("save: two images saved into one layout at once keep both and their signatures",
          "[e2e][save][adversary]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string second = push_random_image(reg, "app", "v2");
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  REQUIRE(sign_default(reg, key, {reg.ref("app@" + second)}).exit_code == kOk);
  const std::string layout = dir / "layout";
  RunResult r1, r2;
  std::thread t1([&] {
    r1 = isign_cmd("save", {"--allow-http-registry"}, {"--dir", layout, reg.ref("app:v1")});
  });
  std::thread t2([&] {
    r2 = isign_cmd("save", {"--allow-http-registry"}, {"--dir", layout, reg.ref("app:v2")});
  });
  t1.join();
  t2.join();
  UNSCOPED_INFO(r1.err << "\n" << r2.err);
  REQUIRE(r1.exit_code == kOk);
  REQUIRE(r2.exit_code == kOk);
  auto doc = nlohmann::json::parse(read_text(layout + "/index.json"));
  std::multiset<std::string> names;
  std::multiset<std::string> digests;
  for (const auto& e : doc["manifests"]) {
    digests.insert(e["digest"].get<std::string>());
    names.insert(e.value("annotations", nlohmann::json::object())
                     .value("org.opencontainers.image.ref.name", ""));
  }
  for (const auto& d : {digest, second}) {
    CHECK(names.count("sha256-" + d.substr(7) + ".sig") == 1);
    CHECK(digests.count(d) == 1); // tagged once, no untagged duplicate
  }
  CHECK(names.count("v1") == 1);
  CHECK(names.count("v2") == 1);
}
