// An OCI image layout on disk as a place (oci:DIR): a layout written by skopeo from the real
// registry, signed and verified with no registry running, tampered with, read again by skopeo,
// signed by eight processes at once, and signed for the repository it will be served from.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

// A skopeo run with the registry's plain HTTP allowed and HOME in dir (no user configuration).
RunResult skopeo(const std::vector<std::string>& args, const std::string& home) {
  std::vector<std::string> argv = {"skopeo"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, RunOptions{{{"HOME", home}}, {}, {}, {}, 120});
  UNSCOPED_INFO("skopeo " << args.front() << " -> exit " << r.exit_code << "; " << r.err);
  return r;
}

// The image app:v1 pushed to a real registry, then copied by skopeo into the layout dir/layout.
struct LayoutScene {
  RegistryFixture reg;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  PushedImage image = push_image(reg, "app", "v1");
  std::string layout = dir / "layout";

  LayoutScene() {
    REQUIRE(skopeo({"copy", "--src-tls-verify=false", "--preserve-digests",
                    "docker://" + reg.ref("app:v1"), "oci:" + layout + ":v1"},
                   reg.dir())
                .exit_code == 0);
  }
  std::string ref(const std::string& rest = ":v1") const { return "oci:" + layout + rest; }
  nlohmann::json index() const { return nlohmann::json::parse(read_text(layout + "/index.json")); }
  // The digest index.json's entry tagged tag names ("" when none).
  std::string tagged(const std::string& tag) const {
    const nlohmann::json doc = index();
    for (const auto& e : doc["manifests"])
      if (e.contains("annotations") &&
          e["annotations"].value("org.opencontainers.image.ref.name", "") == tag)
        return e["digest"].get<std::string>();
    return "";
  }
  std::string blob(const std::string& digest) const {
    return layout + "/blobs/sha256/" + digest.substr(7);
  }
};

RunResult sign_layout(const std::string& key, const std::vector<std::string>& args) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  return isign_cmd("sign", {"--key", key + ".key"}, args, o);
}

RunResult verify_layout(const std::string& key, const std::vector<std::string>& args) {
  return verify_image({"--key", key + ".pub"}, args);
}

std::string sig_tag(const std::string& digest) {
  return "sha256-" + digest.substr(7) + ".sig";
}

} // namespace

TEST_CASE("layout: skopeo's layout is signed with no registry running and verified",
          "[e2e][layout]") {
  LayoutScene s;
  const std::string digest = s.tagged("v1");
  REQUIRE(digest == s.image.digest);
  s.reg.stop(); // air-gapped from here on

  auto signed_ = sign_layout(s.key, {s.ref()});
  REQUIRE(signed_.exit_code == kOk);
  CHECK(contains(signed_.err, "isign: note: the signature names " + s.ref("") + ": verify of " +
                                  s.ref("") + " accepts it"));
  CHECK(contains(signed_.err, "pass --identity REPO"));
  CHECK(s.tagged(sig_tag(digest)) != "");              // the cosign v2 .sig
  CHECK(s.tagged("sha256-" + digest.substr(7)) != ""); // the referrers index of the bundle

  for (const std::string format : {"legacy", "bundle", "both"}) {
    INFO("--format " << format);
    CHECK(verify_layout(s.key, {"--format", format, s.ref()}).exit_code == kOk);
  }
  CHECK(verify_layout(s.key, {s.ref("@" + digest)}).exit_code == kOk);
  auto other = new_key_pair(s.dir, "other");
  CHECK(verify_layout(other, {s.ref()}).exit_code == kInvalid);
  // Signing again with the same key adds nothing.
  const auto entries = s.index()["manifests"].size();
  REQUIRE(sign_layout(s.key, {s.ref()}).exit_code == kOk);
  CHECK(s.index()["manifests"].size() == entries);
}

TEST_CASE("layout: a changed payload blob fails verification", "[e2e][layout]") {
  LayoutScene s;
  const std::string digest = s.tagged("v1");
  REQUIRE(sign_layout(s.key, {"--format", "legacy", s.ref()}).exit_code == kOk);
  auto sig = nlohmann::json::parse(read_text(s.blob(s.tagged(sig_tag(digest)))));
  const std::string payload = sig["layers"][0]["digest"].get<std::string>();
  std::string bytes = read_text(s.blob(payload));
  REQUIRE(bytes.find("\"docker-manifest-digest\"") != std::string::npos);
  bytes[bytes.find("sha256:") + 7] ^= 1; // another manifest digest
  write_text(s.blob(payload), bytes);
  auto r = verify_layout(s.key, {s.ref()});
  CHECK(r.exit_code != kOk);
  CHECK(contains(r.err, "does not match its digest"));
}

TEST_CASE("layout: skopeo still reads and copies the signed layout by tag", "[e2e][layout]") {
  LayoutScene s;
  REQUIRE(sign_layout(s.key, {s.ref()}).exit_code == kOk);
  auto inspect = skopeo({"inspect", s.ref()}, s.reg.dir());
  REQUIRE(inspect.exit_code == 0);
  CHECK(contains(inspect.out, s.tagged("v1")));
  REQUIRE(skopeo({"copy", "--dest-tls-verify=false", s.ref(), "docker://" + s.reg.ref("copy:v1")},
                 s.reg.dir())
              .exit_code == 0);
  CHECK(get_manifest(s.reg, "copy", "v1").status == 200);
}

TEST_CASE("layout: eight concurrent signers keep eight signatures", "[e2e][layout]") {
  LayoutScene s;
  constexpr int kSigners = 8;
  std::vector<std::string> keys;
  for (int i = 0; i < kSigners; ++i)
    keys.push_back(new_key_pair(s.dir, "k" + std::to_string(i)));
  std::vector<int> codes(kSigners, -1);
  {
    std::vector<std::thread> signers;
    for (int i = 0; i < kSigners; ++i)
      signers.emplace_back([&, i] {
        RunOptions o;
        o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
        codes[static_cast<std::size_t>(i)] =
            run_isign({"sign", "--key", keys[static_cast<std::size_t>(i)] + ".key", s.ref()}, o)
                .exit_code;
      });
    for (auto& t : signers)
      t.join();
  }
  for (int code : codes)
    CHECK(code == kOk);
  const std::string digest = s.tagged("v1");
  auto sig = nlohmann::json::parse(read_text(s.blob(s.tagged(sig_tag(digest)))));
  CHECK(sig["layers"].size() == kSigners);
  auto referrers = nlohmann::json::parse(read_text(s.blob(s.tagged("sha256-" + digest.substr(7)))));
  CHECK(referrers["manifests"].size() == kSigners);
  for (const auto& key : keys)
    for (const std::string format : {"legacy", "bundle"})
      CHECK(verify_layout(key, {"--format", format, s.ref()}).exit_code == kOk);
}

TEST_CASE("layout: --identity names the repository the image will be served from",
          "[e2e][layout]") {
  LayoutScene s;
  const std::string served = s.reg.ref("team/app");
  auto signed_ = sign_layout(s.key, {"--identity", served, s.ref()});
  REQUIRE(signed_.exit_code == kOk);
  CHECK_FALSE(contains(signed_.err, "isign: note:"));
  auto as_layout = verify_layout(s.key, {s.ref()});
  CHECK(as_layout.exit_code == kInvalid);
  CHECK(contains(as_layout.err, served));
  CHECK(verify_layout(s.key, {"--identity", served, s.ref()}).exit_code == kOk);
  CHECK(verify_layout(s.key, {"--identity", s.reg.ref("other/app"), s.ref()}).exit_code ==
        kInvalid);
  // cosign's spelling; a tag is refused.
  CHECK(sign_layout(s.key, {"--sign-container-identity", served, s.ref()}).exit_code == kOk);
  auto bad = sign_layout(s.key, {"--identity", served + ":v1", s.ref()});
  CHECK(bad.exit_code == kUsage);
  CHECK(contains(bad.err, "--identity takes a repository"));

  // Loaded into the registry as team/app with its .sig, it verifies there as it is.
  const std::string digest = s.tagged("v1");
  for (const std::string& tag : {std::string("v1"), sig_tag(digest)})
    REQUIRE(skopeo({"copy", "--dest-tls-verify=false", "--preserve-digests", s.ref(":" + tag),
                    "docker://" + s.reg.ref("team/app:" + tag)},
                   s.reg.dir())
                .exit_code == 0);
  CHECK(verify_image(with(s.reg.client_flags(), {"--key", s.key + ".pub", "--format", "legacy"}),
                     {served + "@" + digest})
            .exit_code == kOk);
}
