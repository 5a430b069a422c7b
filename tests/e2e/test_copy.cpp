// isign copy end to end (README "Copy, save and load"): real docker-registries (no referrers API:
// bundles travel with the referrers index), signatures of both formats made by isign, checked by
// isign verify at the destination; blobs mounted within one registry; a copy cut off mid-way and
// rerun; --from-file with a bad pair.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

RunResult copy_cmd(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env = {}) {
  RunOptions o;
  o.env = env;
  return isign_cmd("copy", {"--allow-http-registry"}, args, o);
}

// Every tag of repo with the digest it names.
std::map<std::string, std::string> tag_digests(const RegistryEndpoint& reg,
                                               const std::string& repo) {
  std::map<std::string, std::string> out;
  for (const auto& tag : list_tags(reg, repo)) {
    auto m = get_manifest(reg, repo, tag);
    REQUIRE(m.status == 200);
    out[tag] = isign::common::sha256_digest(m.body);
  }
  return out;
}

// Signs ref with key in both formats, a signature and an attestation each.
void sign_both(const RegistryFixture& reg, const TempDir& dir, const std::string& key,
               const std::string& ref) {
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  const std::string predicate = dir.path() + "/predicate.json";
  std::ofstream(predicate) << R"({"buildType":"e2e"})";
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  auto att = isign_cmd("attest",
                       with(reg.client_flags(), {"--key", key + ".key", "--predicate", predicate}),
                       {ref}, o);
  INFO(att.err);
  REQUIRE(att.exit_code == kOk);
}

} // namespace

TEST_CASE("copy: to another registry, both formats verify there", "[e2e][copy]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  sign_both(reg, dir, key, ref);
  RegistryFixture dst;
  auto r = copy_cmd({reg.ref("app:v1"), dst.ref("app2")});
  INFO(r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "copied " + reg.ref("app:v1")));
  CHECK(contains(r.err, "names the image by tag"));
  CHECK(r.err.find('\r') == std::string::npos); // no progress line without a terminal
  auto copied = get_manifest(dst, "app2", "v1");
  REQUIRE(copied.status == 200);
  CHECK(isign::common::sha256_digest(copied.body) == digest);
  // Every tag equal: the image tag, .sig, .att and the referrers index.
  auto want = tag_digests(reg, "app");
  CHECK(tag_digests(dst, "app2") == want);
  for (const char* format : {"legacy", "bundle"}) {
    // The payloads name the source repository: a mirror is verified with --skip-identity-check.
    auto v = verify_with_key(
        dst, key, {"--skip-identity-check", "--format", format, dst.ref("app2@" + digest)});
    INFO(format << ": " << v.err);
    CHECK(v.exit_code == kOk);
  }
  auto a = isign_cmd("verify-attestation",
                     with(dst.client_flags(),
                          {"--key", key + ".pub", "--type", "custom", "--skip-identity-check"}),
                     {dst.ref("app2@" + digest)});
  INFO(a.err);
  CHECK(a.exit_code == kOk);
  // A rerun writes nothing.
  auto again = copy_cmd({reg.ref("app@" + digest), dst.ref("app2:v1")});
  REQUIRE(again.exit_code == kOk);
  CHECK(contains(again.out, ": 0 manifests written"));
  CHECK(contains(again.out, "attached 0 written"));
}

TEST_CASE("copy: within one registry the blobs are mounted", "[e2e][copy]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  auto r = copy_cmd({ref, reg.ref("other:v2")}, {{"ISIGN_DEBUG_STATS", "1"}});
  INFO(r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "0 uploaded, 2 mounted")); // the image's config and layer
  CHECK(contains(reg.log(), "mount"));
  CHECK(contains(r.err, "requests: "));
  auto v = verify_with_key(
      reg, key, {"--skip-identity-check", "--format", "both", reg.ref("other@" + digest)});
  CHECK(v.exit_code == kOk);
}

TEST_CASE("copy: cut off mid-way, a rerun ends as an uninterrupted copy", "[e2e][copy]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  sign_both(reg, dir, key, ref);
  RegistryFixture whole, cut;
  REQUIRE(copy_cmd({ref, whole.ref("app:v1")}).exit_code == kOk);
  {
    // The destination refuses every manifest PUT after the first two.
    FaultProxy proxy(cut);
    proxy.inject({"PUT", "/manifests/", Fault::pass(), 2});
    proxy.inject({"PUT", "/manifests/", Fault::http_status(403), -1});
    auto r = copy_cmd({ref, proxy.ref("app:v1")});
    CHECK(r.exit_code != kOk);
  }
  auto rerun = copy_cmd({ref, cut.ref("app:v1")});
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == kOk);
  CHECK(tag_digests(cut, "app") == tag_digests(whole, "app"));
}

TEST_CASE("copy: --from-file copies every good pair and reports the bad one", "[e2e][copy]") {
  RegistryFixture reg, dst;
  TempDir dir;
  std::vector<std::string> digests;
  for (const char* repo : {"a", "b", "c"})
    digests.push_back(push_random_image(reg, repo, "v1"));
  const std::string file = dir.path() + "/pairs";
  std::ofstream(file) << "# three images, one missing\n"
                      << reg.ref("a:v1") << " " << dst.ref("a") << "\n\n"
                      << reg.ref("b:v1") << " " << dst.ref("b:v9") << "\n"
                      << reg.ref("missing:v1") << " " << dst.ref("m") << "\n"
                      << reg.ref("c@" + digests[2]) << " " << dst.ref("c:v1") << "\n";
  auto r = copy_cmd({"--from-file", file, "--jobs", "2"});
  CHECK(r.exit_code == kNotFound);
  CHECK(contains(r.err, "copying '" + reg.ref("missing:v1") + "'"));
  CHECK(get_manifest(dst, "a", "v1").status == 200);
  CHECK(get_manifest(dst, "b", "v9").status == 200);
  CHECK(get_manifest(dst, "c", "v1").status == 200);

  std::ofstream(file) << reg.ref("a:v1") << " " << dst.ref("a") << "\n" << reg.ref("b:v1") << "\n";
  auto bad = copy_cmd({"--from-file", file});
  CHECK(bad.exit_code == kUsage);
  CHECK(contains(bad.err, file + ":2"));
}
