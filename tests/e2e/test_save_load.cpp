// isign save and load end to end (README "Copy, save and load"): an image signed in both formats
// saved to an OCI layout that skopeo reads and copies by tag, with cosign save's kind
// annotations; loaded into an empty registry where isign verify passes; saved into a layout
// skopeo wrote, whose entry stays.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

RunResult skopeo(const std::vector<std::string>& args, const std::string& home) {
  std::vector<std::string> argv = {"skopeo"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, RunOptions{{{"HOME", home}}, {}, {}, {}, 120});
  UNSCOPED_INFO("skopeo " << args.front() << " -> exit " << r.exit_code << "; " << r.err);
  return r;
}

RunResult isign_http(const std::string& command, const std::vector<std::string>& args) {
  auto r = isign_cmd(command, {"--allow-http-registry"}, args);
  UNSCOPED_INFO("isign " << command << " -> exit " << r.exit_code << "; " << r.err);
  return r;
}

// The kind annotation of each index.json entry, by its ref.name ("" for untagged entries).
std::multimap<std::string, std::string> kinds(const std::string& layout) {
  std::multimap<std::string, std::string> out;
  auto doc = nlohmann::json::parse(read_text(layout + "/index.json"));
  for (const auto& e : doc["manifests"]) {
    auto a = e.value("annotations", nlohmann::json::object());
    out.emplace(a.value("org.opencontainers.image.ref.name", ""), a.value("kind", ""));
  }
  return out;
}

bool has(const std::multimap<std::string, std::string>& m, const std::string& k,
         const std::string& v) {
  auto [a, b] = m.equal_range(k);
  for (auto it = a; it != b; ++it)
    if (it->second == v)
      return true;
  return false;
}

} // namespace

TEST_CASE("save: skopeo reads the layout, load brings it back verified", "[e2e][save]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  const std::string layout = dir / "layout";
  auto saved = isign_http("save", {"--dir", layout, reg.ref("app:v1")});
  REQUIRE(saved.exit_code == kOk);
  CHECK(contains(saved.out, "saved " + reg.ref("app:v1")));
  auto k = kinds(layout);
  CHECK(has(k, "v1", "dev.cosignproject.cosign/image"));
  CHECK(has(k, "sha256-" + digest.substr(7) + ".sig", "dev.cosignproject.cosign/sigs"));

  auto inspect = skopeo({"inspect", "oci:" + layout + ":v1"}, reg.dir());
  REQUIRE(inspect.exit_code == 0);
  CHECK(contains(inspect.out, digest));
  RegistryFixture other;
  REQUIRE(skopeo({"copy", "--dest-tls-verify=false", "--preserve-digests", "oci:" + layout + ":v1",
                  "docker://" + other.ref("viaskopeo:v1")},
                 reg.dir())
              .exit_code == 0);

  RegistryFixture empty;
  auto loaded = isign_http("load", {"--dir", layout, empty.ref("app")});
  REQUIRE(loaded.exit_code == kOk);
  CHECK(contains(loaded.out, "loaded "));
  auto copied = get_manifest(empty, "app", "v1");
  REQUIRE(copied.status == 200);
  CHECK(isign::common::sha256_digest(copied.body) == digest);
  for (const char* format : {"legacy", "bundle"}) {
    auto v = verify_with_key(
        empty, key, {"--skip-identity-check", "--format", format, empty.ref("app@" + digest)});
    INFO(format << ": " << v.err);
    CHECK(v.exit_code == kOk);
  }
  // Loading again writes nothing.
  auto again = isign_http("load", {"--dir", layout, empty.ref("app")});
  REQUIRE(again.exit_code == kOk);
  CHECK(contains(again.out, ": 0 manifests written"));
}

TEST_CASE("save: into a layout skopeo wrote, skopeo's entry stays", "[e2e][save]") {
  RegistryFixture reg;
  TempDir dir;
  push_random_image(reg, "app", "v1");
  const std::string second = push_random_image(reg, "app2", "v2");
  const std::string layout = dir / "layout";
  REQUIRE(skopeo({"copy", "--src-tls-verify=false", "docker://" + reg.ref("app:v1"),
                  "oci:" + layout + ":v1"},
                 reg.dir())
              .exit_code == 0);
  REQUIRE(isign_http("save", {"--dir", layout, reg.ref("app2:v2")}).exit_code == kOk);
  CHECK(skopeo({"inspect", "oci:" + layout + ":v1"}, reg.dir()).exit_code == 0);
  auto v2 = skopeo({"inspect", "oci:" + layout + ":v2"}, reg.dir());
  CHECK(v2.exit_code == 0);
  CHECK(contains(v2.out, second));
  // Two images under one tag would name only the last loaded: refused before anything is pushed.
  auto one_tag = isign_http("load", {"--dir", layout, reg.ref("both:prod")});
  CHECK(one_tag.exit_code == kUsage);
  CHECK(contains(one_tag.err, "holds 2 images"));
  auto tags = isign_http("list-tags", {reg.ref("both")});
  CHECK(tags.exit_code != kOk);
}
