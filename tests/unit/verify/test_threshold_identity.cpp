// Several keys with a threshold of distinct signers, and the containers/image identity rules
// (matchExact, matchRepoDigestOrExact, remapIdentity) next to isign's matchRepository.
#include <catch2/catch.hpp>

#include "tests/unit/verify/sig_fixture.h"

using namespace isign;
using namespace isign::verify::testing;
using common::ErrorKind;
using verify::Failure;
using verify::IdentityRule;

namespace {

const std::string kImage =
    "sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7";
const std::string kOther =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string kRepo = "registry.example/team/app";

verify::Report run(const std::string& sig_manifest, Blobs& blobs,
                   const std::vector<keys::PublicKey>& keys, const verify::VerifyOptions& options,
                   const std::string& named = kRepo + "@" + kImage) {
  auto report = verify::testing::verify_manifest(sig_manifest, blobs.fetcher(), kImage,
                                                 image_ref(named), keys, options);
  REQUIRE(report);
  return *report;
}

} // namespace

TEST_CASE("threshold: distinct keys are counted, not signatures", "[threshold]") {
  auto a = new_signer();
  auto b = new_signer();
  auto c = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  const std::string by_a = layer(payload, a.sign_b64(payload));
  const std::string by_b = layer(payload, b.sign_b64(payload));
  const std::string by_c = layer(payload, c.sign_b64(payload));
  verify::VerifyOptions two;
  two.threshold = 2;

  SECTION("two of three keys signed: threshold 2 passes") {
    auto r = run(manifest({by_a, by_b}), blobs, {a.pub, b.pub, c.pub}, two);
    CHECK(r.verified());
    CHECK(r.valid_keys() == std::vector<std::string>{verify::key_id(a.pub), verify::key_id(b.pub)});
    CHECK(r.threshold == 2);
  }
  SECTION("the same key twice is one key") {
    auto again = layer(payload, a.sign_b64(payload)); // ECDSA: another signature, same key
    auto r = run(manifest({by_a, again}), blobs, {a.pub, b.pub, c.pub}, two);
    CHECK(r.valid().size() == 2);
    CHECK_FALSE(r.verified());
    auto e = r.failure_error();
    CHECK(e.kind() == ErrorKind::verification);
    CHECK(e.message() == "valid signatures from 1 distinct key (" + verify::key_id(a.pub) +
                             "), fewer than the threshold of 2");
  }
  SECTION("a key given twice counts once") {
    auto r = run(manifest({by_a}), blobs, {a.pub, a.pub}, two);
    CHECK_FALSE(r.verified());
  }
  SECTION("a signer outside the key list does not count; its layer is listed") {
    auto r = run(manifest({by_a, by_c}), blobs, {a.pub, b.pub}, two);
    CHECK_FALSE(r.verified());
    CHECK_THAT(r.failure_error().message(),
               Catch::EndsWith("fewer than the threshold of 2; layer 1 (" +
                               common::sha256_digest(payload) +
                               "): bad-signature: the signature does not verify with any of the "
                               "2 given keys"));
  }
  SECTION("threshold 3 of 3") {
    verify::VerifyOptions three;
    three.threshold = 3;
    CHECK(run(manifest({by_c, by_b, by_a}), blobs, {a.pub, b.pub, c.pub}, three).verified());
    CHECK_FALSE(run(manifest({by_c, by_b}), blobs, {a.pub, b.pub, c.pub}, three).verified());
  }
  SECTION("threshold 0 and 1 mean any one valid signature") {
    verify::VerifyOptions zero;
    zero.threshold = 0;
    CHECK(run(manifest({by_b}), blobs, {a.pub, b.pub}, zero).verified());
    CHECK(run(manifest({by_b}), blobs, {a.pub, b.pub}, {}).verified());
  }
  SECTION("key rotation: old and new key, either signature suffices") {
    CHECK(run(manifest({by_a}), blobs, {a.pub, b.pub}, {}).verified());
    CHECK(run(manifest({by_b}), blobs, {a.pub, b.pub}, {}).verified());
    CHECK_FALSE(run(manifest({by_c}), blobs, {a.pub, b.pub}, {}).verified());
  }
}

TEST_CASE("limits: an unchecked oversized payload is a limit, not invalid", "[threshold]") {
  auto a = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  verify::VerifyOptions small;
  small.limits.max_payload_size = 10;
  auto r = run(manifest({layer(payload, a.sign_b64(payload))}), blobs, {a.pub}, small);
  CHECK_FALSE(r.verified());
  auto e = r.failure_error();
  CHECK(e.kind() == ErrorKind::limit);
  CHECK(e.message() == "no valid signature among 1, and layer 0 (" +
                           common::sha256_digest(payload) + ") was not checked: the payload is " +
                           std::to_string(payload.size()) + " bytes, more than the limit of 10");
  CHECK(blobs.fetches == 0);
}

TEST_CASE("identity rules as containers/image defines them", "[identity]") {
  struct Case {
    const char* signed_ref;
    const char* named;
    IdentityRule rule;
    bool want;
  };
  const std::string d = "@" + kImage;
  const std::vector<Case> cases = {
      // matchRepository (isign's default): the repository; a digest in it must be the image's.
      {"registry.example/team/app", "registry.example/team/app:v1", IdentityRule::same_repository,
       true},
      {"registry.example/team/app:v2", "registry.example/team/app:v1",
       IdentityRule::same_repository, true},
      {"registry.example/team/other", "registry.example/team/app:v1", IdentityRule::same_repository,
       false},
      // matchExact: same tag (or digest); a signature without tag or digest never matches.
      {"registry.example/team/app:v1", "registry.example/team/app:v1", IdentityRule::exact, true},
      {"registry.example/team/app:v2", "registry.example/team/app:v1", IdentityRule::exact, false},
      {"registry.example/team/app", "registry.example/team/app:v1", IdentityRule::exact, false},
      {"registry.example/team/app:latest", "registry.example/team/app", IdentityRule::exact, true},
      {"registry.example/team/app", "registry.example/team/app", IdentityRule::exact, false},
      {"registry.example/team/app:v1",
       "registry.example/team/"
       "app@sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7",
       IdentityRule::exact, false},
      // matchRepoDigestOrExact: by digest the repository, by tag exact.
      {"registry.example/team/app:v9",
       "registry.example/team/"
       "app@sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7",
       IdentityRule::repo_digest_or_exact, true},
      {"registry.example/team/app",
       "registry.example/team/"
       "app@sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7",
       IdentityRule::repo_digest_or_exact, false},
      {"registry.example/team/app:v1", "registry.example/team/app:v1",
       IdentityRule::repo_digest_or_exact, true},
      {"registry.example/team/app:v2", "registry.example/team/app:v1",
       IdentityRule::repo_digest_or_exact, false},
      {"registry.example/other/app:v1", "registry.example/team/app:v1",
       IdentityRule::repo_digest_or_exact, false},
      // docker.io names are normalized on both sides.
      {"ubuntu:22.04", "docker.io/library/ubuntu:22.04", IdentityRule::exact, true},
      {"index.docker.io/library/ubuntu:22.04", "ubuntu:22.04", IdentityRule::repo_digest_or_exact,
       true},
      {"not a reference", "ubuntu:22.04", IdentityRule::exact, false},
  };
  for (const auto& c : cases) {
    INFO(c.signed_ref << " vs " << c.named << " under " << verify::identity_rule_name(c.rule));
    verify::VerifyOptions o;
    o.identity = c.rule;
    CHECK(verify::identity_matches(c.signed_ref, image_ref(c.named), kImage, o) == c.want);
  }
}

TEST_CASE("identity: remapIdentity maps a mirror prefix to the signed prefix", "[identity]") {
  verify::VerifyOptions o;
  o.identity = IdentityRule::remap;
  o.remap_prefix = "mirror.local:5000/upstream";
  o.remap_signed_prefix = "registry.example/team";
  const std::string by_digest = "mirror.local:5000/upstream/app@" + kImage;
  CHECK(verify::identity_matches("registry.example/team/app:v1", image_ref(by_digest), kImage, o));
  CHECK_FALSE(
      verify::identity_matches("registry.example/team/app", image_ref(by_digest), kImage, o));
  CHECK_FALSE(
      verify::identity_matches("registry.example/team/other:v1", image_ref(by_digest), kImage, o));
  CHECK_FALSE(verify::identity_matches("mirror.local:5000/upstream/app:v1", image_ref(by_digest),
                                       kImage, o));
  CHECK(verify::identity_matches("registry.example/team/app:v1",
                                 image_ref("mirror.local:5000/upstream/app:v1"), kImage, o));
  CHECK_FALSE(verify::identity_matches("registry.example/team/app:v2",
                                       image_ref("mirror.local:5000/upstream/app:v1"), kImage, o));
  // Deeper paths keep their rest; a name that only starts with the same characters is not under
  // the prefix and is compared unmapped.
  CHECK(verify::identity_matches("registry.example/team/a/b:v1",
                                 image_ref("mirror.local:5000/upstream/a/b:v1"), kImage, o));
  CHECK_FALSE(verify::identity_matches("registry.example/team-x/app:v1",
                                       image_ref("mirror.local:5000/upstream-x/app:v1"), kImage,
                                       o));
  CHECK(verify::identity_matches("mirror.local:5000/upstream-x/app:v1",
                                 image_ref("mirror.local:5000/upstream-x/app:v1"), kImage, o));
  // isign policies compare repositories after remapping: cosign's tag-less references match.
  o.remap_then = IdentityRule::same_repository;
  CHECK(verify::identity_matches("registry.example/team/app", image_ref(by_digest), kImage, o));
  CHECK(verify::identity_matches("registry.example/team/app:v7",
                                 image_ref("mirror.local:5000/upstream/app:v1"), kImage, o));
  CHECK_FALSE(
      verify::identity_matches("registry.example/team/other", image_ref(by_digest), kImage, o));
  CHECK_FALSE(verify::identity_matches("registry.example/team/app@" + kOther, image_ref(by_digest),
                                       kImage, o));
  o.remap_then = IdentityRule::repo_digest_or_exact;
  // Docker Hub as the signed prefix.
  o.remap_signed_prefix = "docker.io/library";
  CHECK(verify::identity_matches("ubuntu:22.04",
                                 image_ref("mirror.local:5000/upstream/ubuntu:22.04"), kImage, o));

  CHECK(verify::remap_prefix_matches("a.example/x/y", "a.example/x"));
  CHECK(verify::remap_prefix_matches("a.example/x", "a.example/x"));
  CHECK(verify::remap_prefix_matches("a.example/x", "a.example"));
  CHECK_FALSE(verify::remap_prefix_matches("a.example/xy", "a.example/x"));
  CHECK_FALSE(verify::remap_prefix_matches("a.example", "a.example/x"));
  CHECK_FALSE(verify::remap_prefix_matches("a.example.org/x", "a.example"));
}

TEST_CASE("identity: a layer that fails the rule says which rule", "[identity]") {
  auto a = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  verify::VerifyOptions o;
  o.identity = IdentityRule::exact;
  auto r = run(manifest({layer(payload, a.sign_b64(payload))}), blobs, {a.pub}, o, kRepo + ":v1");
  REQUIRE(r.signatures.size() == 1);
  CHECK(r.signatures[0].failure == Failure::identity_mismatch);
  CHECK(r.signatures[0].reason == "the payload names \"" + kRepo + "\", which does not match '" +
                                      kRepo + ":v1' under matchExact");
  o.identity = IdentityRule::same_repository;
  CHECK(run(manifest({layer(payload, a.sign_b64(payload))}), blobs, {a.pub}, o, kRepo + ":v1")
            .verified());
}

TEST_CASE("identity: an OCI layout is checked as itself or as --identity's repository",
          "[identity]") {
  struct Case {
    std::string signed_ref;
    std::optional<std::string> checked_as;
    IdentityRule rule;
    bool want;
  };
  const std::string layout = "oci:/srv/layout";
  const std::vector<Case> cases = {
      {layout, std::nullopt, IdentityRule::same_repository, true},
      {layout + "/", std::nullopt, IdentityRule::same_repository, true},
      {"oci:/srv/other", std::nullopt, IdentityRule::same_repository, false},
      {kRepo, std::nullopt, IdentityRule::same_repository, false},
      {kRepo, kRepo, IdentityRule::same_repository, true},
      {layout, kRepo, IdentityRule::same_repository, false},
      {kRepo + ":v1", kRepo, IdentityRule::exact, true},
      {kRepo + ":v2", kRepo, IdentityRule::exact, false},
      {"registry.example/team/other", kRepo, IdentityRule::same_repository, false},
      // A relative layout directory would be read against the verifier's working directory.
      {"oci:srv/layout", std::nullopt, IdentityRule::same_repository, false},
  };
  for (const auto& c : cases) {
    INFO(c.signed_ref << " as " << c.checked_as.value_or("-"));
    verify::VerifyOptions o;
    o.identity = c.rule;
    if (c.checked_as)
      o.checked_as = *registry::Repository::parse(*c.checked_as);
    CHECK(verify::identity_matches(c.signed_ref, image_ref(layout + ":v1"), kImage, o) == c.want);
  }
}
