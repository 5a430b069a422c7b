// The verifier over an in-memory blob map: the shared vectors, and every way a signature layer
// can fail.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/file.h"
#include "keys/keys.h"
#include "tests/unit/testdata.h"
#include "tests/unit/verify/sig_fixture.h"
#include "verify/verifier.h"

using namespace isign;
using namespace isign::verify::testing;
using common::ErrorKind;
using unit::testdata_file;
using verify::Failure;

namespace {

keys::PublicKey public_key_file(const std::string& relative) {
  auto key = keys::PublicKey::from_pem(testdata_file(relative));
  REQUIRE(key);
  return *key;
}

registry::Repository repo(const std::string& text) {
  auto r = registry::Repository::parse(text);
  REQUIRE(r);
  return *r;
}

const std::string kImage =
    "sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7";
const std::string kOtherImage =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string kRepo = "127.0.0.1:5000/team/app";

verify::Report run(const std::string& sig_manifest, Blobs& blobs,
                   const std::vector<keys::PublicKey>& keys,
                   const verify::VerifyOptions& options = {}, const std::string& image = kImage,
                   const std::string& image_repo = kRepo) {
  auto report = verify::testing::verify_manifest(sig_manifest, blobs.fetcher(), image,
                                                 repo(image_repo), keys, options);
  REQUIRE(report);
  return *report;
}

} // namespace

TEST_CASE("verifier: the sigstore-rs vector verifies with its cosign.pub", "[verifier]") {
  const std::string payload = testdata_file("signatures/sigstore-rs/payload.json");
  const std::string signature = testdata_file("signatures/sigstore-rs/signature.b64");
  auto pub = public_key_file("signatures/sigstore-rs/cosign.pub");
  Blobs blobs{payload};
  auto report = run(manifest({layer(payload, signature)}), blobs, {pub}, {},
                    "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b",
                    "registry-testing.svc.lan/busybox");
  REQUIRE(report.signatures.size() == 1);
  const auto& s = report.signatures[0];
  INFO(s.reason);
  CHECK(s.ok());
  CHECK(report.verified());
  CHECK(report.valid() == std::vector<std::size_t>{0});
  CHECK(s.index == 0);
  CHECK(s.payload_digest ==
        "sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9");
  CHECK(s.payload_bytes == payload);
  REQUIRE(s.payload);
  CHECK(s.payload->docker_reference == "registry-testing.svc.lan/busybox");
  CHECK(s.key_index == 0u);
  // key_id: sha256 of the SubjectPublicKeyInfo DER inside cosign.pub.
  auto der = common::base64_decode(
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENptdY/l3nB0yqkXLBWkZWQwo6+cuOSWS1X9vPavpiQOoTTGC0xX57Oo"
      "jUadxF1cdQmrsiReWg2Wn4FneJfa8xw==");
  REQUIRE(der);
  CHECK(s.key_id == common::sha256_digest(*der));
  CHECK(verify::key_id(pub) == s.key_id);
  CHECK(blobs.fetches == 1);
}

TEST_CASE("verifier: a .sig in containers/image's layout (mediaType, digest, size order)",
          "[verifier]") {
  Blobs blobs{testdata_file("payloads/containers-image.json")};
  auto report = run(testdata_file("manifests/containers-image-sig.json"), blobs,
                    {public_key_file("keys/openssl/ec-p256-pkcs8.pub")}, {}, kImage,
                    "127.0.0.1:5000/test/app");
  REQUIRE(report.signatures.size() == 1);
  INFO(report.signatures[0].reason);
  CHECK(report.verified());
  REQUIRE(report.signatures[0].payload);
  CHECK(report.signatures[0].payload->creator ==
        std::optional<std::string>("containers/image 5.23.1"));
  CHECK(report.signatures[0].payload->timestamp == std::optional<std::int64_t>(1700000000));
}

TEST_CASE("verifier: wrong key, several keys, key identity", "[verifier]") {
  auto alice = new_signer();
  auto bob = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  const std::string sig_manifest = manifest({layer(payload, alice.sign_b64(payload))});

  auto wrong = run(sig_manifest, blobs, {bob.pub});
  REQUIRE(wrong.signatures.size() == 1);
  CHECK(wrong.signatures[0].failure == Failure::bad_signature);
  CHECK(wrong.signatures[0].reason == "the signature does not verify with the given key");
  CHECK_FALSE(wrong.signatures[0].key_index);
  CHECK_FALSE(wrong.signatures[0].payload); // an unverified payload is not parsed
  CHECK_FALSE(wrong.verified());
  auto error = wrong.failure_error();
  CHECK(error.kind() == ErrorKind::verification);
  CHECK_THAT(error.message(), Catch::StartsWith("no valid signature among 1: layer 0 (sha256:"));
  CHECK_THAT(error.message(), Catch::Contains("bad-signature: the signature does not verify"));

  auto both = run(sig_manifest, blobs, {bob.pub, alice.pub});
  CHECK(both.verified());
  CHECK(both.signatures[0].key_index == 1u);
  CHECK(both.signatures[0].key_id == verify::key_id(alice.pub));
  CHECK(verify::key_id(alice.pub) != verify::key_id(bob.pub));
  CHECK(verify::key_id(alice.pub) == verify::key_id(alice.key.public_key()));

  auto none = run(sig_manifest, blobs, {bob.pub, new_signer().pub});
  CHECK(none.signatures[0].reason == "the signature does not verify with any of the 2 given keys");

  auto empty =
      verify::testing::verify_manifest(sig_manifest, blobs.fetcher(), kImage, repo(kRepo), {});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().kind() == ErrorKind::usage);
}

TEST_CASE("verifier: two signers on one image, each verifies with its own key only", "[verifier]") {
  auto alice = new_signer();
  auto bob = new_signer();
  const std::string pa = payload_for(kRepo, kImage);
  const std::string pb = payload_for(kRepo, kImage, R"({"signer":"bob"})");
  Blobs blobs{pa, pb};
  const std::string m = manifest({layer(pa, alice.sign_b64(pa)), layer(pb, bob.sign_b64(pb))});
  auto for_alice = run(m, blobs, {alice.pub});
  CHECK(for_alice.valid() == std::vector<std::size_t>{0});
  CHECK(for_alice.signatures[1].failure == Failure::bad_signature);
  auto for_bob = run(m, blobs, {bob.pub});
  CHECK(for_bob.valid() == std::vector<std::size_t>{1});
  auto for_both = run(m, blobs, {alice.pub, bob.pub});
  CHECK(for_both.valid() == std::vector<std::size_t>{0, 1});
  CHECK(for_both.signatures[0].key_id != for_both.signatures[1].key_id);
}

TEST_CASE("verifier: tampering with the payload blob or the signature", "[verifier]") {
  auto alice = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  const std::string signature = alice.sign_b64(payload);
  const std::string m = manifest({layer(payload, signature)});

  SECTION("payload blob replaced in the registry") {
    Blobs blobs;
    blobs.blobs[common::sha256_digest(payload)] = payload_for(kRepo, kOtherImage);
    auto r = run(m, blobs, {alice.pub});
    CHECK(r.signatures[0].failure == Failure::blob_mismatch);
    CHECK_THAT(r.signatures[0].reason, Catch::Contains("does not match its descriptor"));
    CHECK(r.signatures[0].payload_bytes.empty());
  }
  SECTION("payload blob of the right digest but the descriptor size lies") {
    Blobs blobs{payload};
    std::string lying = m;
    auto pos = lying.find("\"size\":" + std::to_string(payload.size()));
    lying.replace(pos, 7 + std::to_string(payload.size()).size(),
                  "\"size\":" + std::to_string(payload.size() + 1));
    auto r = run(lying, blobs, {alice.pub});
    CHECK(r.signatures[0].failure == Failure::blob_mismatch);
  }
  SECTION("signature annotation altered") {
    Blobs blobs{payload};
    auto der = common::base64_decode(signature);
    REQUIRE(der);
    std::string altered = *der;
    altered[altered.size() - 1] = static_cast<char>(altered[altered.size() - 1] ^ 1);
    auto r = run(manifest({layer(payload, common::base64_encode(altered))}), blobs, {alice.pub});
    CHECK(r.signatures[0].failure == Failure::bad_signature);
  }
  SECTION("signature annotation not base64") {
    Blobs blobs{payload};
    for (std::string bad : {signature.substr(1), std::string("not base64!"), std::string("")}) {
      INFO(bad);
      auto r = run(manifest({layer(payload, bad)}), blobs, {alice.pub});
      CHECK(r.signatures[0].failure == Failure::bad_encoding);
    }
    CHECK(blobs.fetches == 0); // rejected before fetching
  }
  SECTION("signature annotation missing or not a string") {
    Blobs blobs{payload};
    for (std::string annotations :
         {std::string("{}"), std::string(R"({"dev.cosignproject.cosign/signature":1})"),
          std::string(R"({"dev.sigstore.cosign/bundle":"x"})"), std::string("null")}) {
      INFO(annotations);
      auto r = run(manifest({layer(payload, "", annotations)}), blobs, {alice.pub});
      CHECK(r.signatures[0].failure == Failure::missing_signature);
    }
    const std::string no_annotations =
        R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
        std::to_string(payload.size()) + R"(,"digest":")" + common::sha256_digest(payload) + "\"}";
    auto r = run(manifest({no_annotations}), blobs, {alice.pub});
    CHECK(r.signatures[0].failure == Failure::missing_signature);
    CHECK(blobs.fetches == 0);
  }
  SECTION("other annotations (cosign's bundle) are ignored") {
    Blobs blobs{payload};
    auto r = run(manifest({layer(payload, signature,
                                 R"({"dev.sigstore.cosign/bundle":"{\"x\":1}",)"
                                 R"("dev.cosignproject.cosign/signature":")" +
                                     signature + R"("})")}),
                 blobs, {alice.pub});
    CHECK(r.verified());
  }
}

TEST_CASE("verifier: signed payloads that break the rules", "[verifier]") {
  auto alice = new_signer();
  struct Case {
    std::string name;
    std::string payload;
    Failure failure;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"wrong digest", payload_for(kRepo, kOtherImage), Failure::digest_mismatch,
       "the payload signs " + kOtherImage + ", not " + kImage},
      {"unknown key",
       payload_for(kRepo, kImage).substr(0, payload_for(kRepo, kImage).size() - 1) +
           R"(,"extra":1})",
       Failure::payload_invalid, "payload rule broken: the payload has an unknown key \"extra\""},
      {"duplicate key",
       R"({"critical":{"identity":{"docker-reference":")" + kRepo +
           R"("},"image":{"docker-manifest-digest":")" + kImage +
           R"("},"type":"cosign container image signature","type":"cosign container image signature"},"optional":null})",
       Failure::payload_invalid,
       "payload rule broken: invalid payload JSON: duplicate key \"type\""},
      {"wrong type",
       payload_for(kRepo, kImage)
           .replace(payload_for(kRepo, kImage).find("cosign container"), 6, "atomic"),
       Failure::payload_invalid, "critical.type is \"atomic container image signature\""},
      {"other repository", payload_for("127.0.0.1:5000/team/other", kImage),
       Failure::identity_mismatch,
       "the payload names \"127.0.0.1:5000/team/other\", not the repository "
       "'127.0.0.1:5000/team/app'"},
      {"other registry", payload_for("127.0.0.1:5001/team/app", kImage), Failure::identity_mismatch,
       "the payload names"},
      {"unparsable reference", payload_for("Not A Reference", kImage), Failure::identity_mismatch,
       "the payload names"},
      {"reference with another digest", payload_for(kRepo + "@" + kOtherImage, kImage),
       Failure::identity_mismatch, "the payload names"},
  };
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.payload);
    Blobs blobs{c.payload};
    auto r = run(manifest({layer(c.payload, alice.sign_b64(c.payload))}), blobs, {alice.pub});
    REQUIRE(r.signatures.size() == 1);
    CHECK(r.signatures[0].failure == c.failure);
    CHECK_THAT(r.signatures[0].reason, Catch::Contains(c.why));
    CHECK(r.signatures[0].key_index == 0u); // the signature itself was fine
    CHECK_FALSE(r.verified());
    CHECK(r.failure_error().kind() == ErrorKind::verification);
  }
}

TEST_CASE("verifier: identity rules", "[verifier]") {
  auto alice = new_signer();
  auto check = [&](const std::string& reference, const std::string& image_repo,
                   verify::IdentityRule rule, bool want) {
    INFO(reference << " for " << image_repo);
    const std::string payload = payload_for(reference, kImage);
    Blobs blobs{payload};
    verify::VerifyOptions options;
    options.identity = rule;
    auto r = run(manifest({layer(payload, alice.sign_b64(payload))}), blobs, {alice.pub}, options,
                 kImage, image_repo);
    CHECK(r.verified() == want);
    if (!want)
      CHECK(r.signatures[0].failure == Failure::identity_mismatch);
  };
  using verify::IdentityRule;
  // cosign's repository-only form and containers/image's tag and digest forms.
  check(kRepo, kRepo, IdentityRule::same_repository, true);
  check(kRepo + ":v1", kRepo, IdentityRule::same_repository, true);
  check(kRepo + "@" + kImage, kRepo, IdentityRule::same_repository, true);
  check(kRepo + ":v1@" + kImage, kRepo, IdentityRule::same_repository, true);
  // Docker Hub names, normalized.
  check("index.docker.io/library/ubuntu", "ubuntu", IdentityRule::same_repository, true);
  check("docker.io/library/ubuntu:22.04", "index.docker.io/library/ubuntu",
        IdentityRule::same_repository, true);
  check("ubuntu", "docker.io/library/ubuntu", IdentityRule::same_repository, true);
  check("index.docker.io/library/debian", "ubuntu", IdentityRule::same_repository, false);
  // Mismatches, and the rule turned off for mirrors.
  check("mirror.example/team/app", kRepo, IdentityRule::same_repository, false);
  check(kRepo + "/sub", kRepo, IdentityRule::same_repository, false);
  check("mirror.example/team/app", kRepo, IdentityRule::none, true);
  check("Not A Reference", kRepo, IdentityRule::none, true);

  CHECK(verify::reference_matches("127.0.0.1:5000/team/app:tag", repo(kRepo), kImage));
  CHECK_FALSE(
      verify::reference_matches("127.0.0.1:5000/team/app@" + kOtherImage, repo(kRepo), kImage));
  CHECK_FALSE(verify::reference_matches("", repo(kRepo), kImage));
}

TEST_CASE("verifier: required annotations", "[verifier]") {
  auto alice = new_signer();
  auto check = [&](const std::string& optional, std::map<std::string, std::string> required,
                   bool want, const std::string& why = "") {
    INFO(optional);
    const std::string payload = payload_for(kRepo, kImage, optional);
    Blobs blobs{payload};
    verify::VerifyOptions options;
    options.required_annotations = std::move(required);
    auto r = run(manifest({layer(payload, alice.sign_b64(payload))}), blobs, {alice.pub}, options);
    CHECK(r.verified() == want);
    if (!want) {
      CHECK(r.signatures[0].failure == Failure::annotation_mismatch);
      CHECK_THAT(r.signatures[0].reason, Catch::Contains(why));
    }
  };
  check(R"({"env":"prod","team":"a"})", {{"env", "prod"}}, true);
  check(R"({"env":"prod","team":"a"})", {{"env", "prod"}, {"team", "a"}}, true);
  check(R"({"env":"prod"})", {{"env", "dev"}}, false,
        "annotation \"env\" is \"prod\", not \"dev\"");
  check(R"({"env":"prod"})", {{"env", "prod"}, {"team", "a"}}, false,
        "annotation \"team\" is missing");
  check(R"({"k":""})", {{"k", ""}}, true); // "k=" wants k present and empty
  check(R"({"other":""})", {{"k", ""}}, false, "annotation \"k\" is missing");
  check("null", {{"k", ""}}, false, "is missing (optional is null)");
  check("null", {}, true);
  check(R"({"n":1})", {{"n", "1"}}, false, "annotation \"n\" is missing or not a string");
  check(R"({"Env":"prod"})", {{"env", "prod"}}, false, "missing");
  // containers/image's creator is an ordinary string member of optional.
  check(R"({"creator":"containers/image 5.23.1","timestamp":1700000000})",
        {{"creator", "containers/image 5.23.1"}}, true);
}

TEST_CASE("verifier: non-signature layers are ignored", "[verifier]") {
  auto alice = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  const std::string other =
      R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":10,"digest":"sha256:)" +
      std::string(64, '0') + R"("})";
  const std::string no_media_type = R"({"size":1,"digest":"nope"})";
  auto r = run(manifest({other, no_media_type, layer(payload, alice.sign_b64(payload))}), blobs,
               {alice.pub});
  CHECK(r.ignored_layers == 2);
  REQUIRE(r.signatures.size() == 1);
  CHECK(r.signatures[0].index == 2);
  CHECK(r.verified());
  CHECK(blobs.fetches == 1);

  auto only_other = run(manifest({other}), blobs, {alice.pub});
  CHECK_FALSE(only_other.verified());
  auto error = only_other.failure_error();
  CHECK(error.kind() == ErrorKind::no_signature);
  CHECK_THAT(error.message(), Catch::Contains("1 layers of other media types ignored"));
  auto empty = run(manifest({}), blobs, {alice.pub});
  CHECK(empty.failure_error().kind() == ErrorKind::no_signature);
}

TEST_CASE("verifier: one valid signature among broken ones is enough", "[verifier]") {
  auto alice = new_signer();
  auto mallory = new_signer();
  const std::string good = payload_for(kRepo, kImage);
  const std::string wrong_digest = payload_for(kRepo, kOtherImage);
  Blobs blobs{good, wrong_digest};
  auto r = run(manifest({layer(wrong_digest, alice.sign_b64(wrong_digest)),
                         layer(good, mallory.sign_b64(good)), layer(good, alice.sign_b64(good))}),
               blobs, {alice.pub});
  REQUIRE(r.signatures.size() == 3);
  CHECK(r.signatures[0].failure == Failure::digest_mismatch);
  CHECK(r.signatures[1].failure == Failure::bad_signature);
  CHECK(r.signatures[2].ok());
  CHECK(r.verified());
  CHECK(r.valid() == std::vector<std::size_t>{2});
}

TEST_CASE("verifier: limits", "[verifier]") {
  auto alice = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  const std::string l = layer(payload, alice.sign_b64(payload));

  std::vector<std::string> many(101, l);
  auto too_many = verify::testing::verify_manifest(manifest(many), blobs.fetcher(), kImage,
                                                   repo(kRepo), {alice.pub});
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().kind() == ErrorKind::limit);
  CHECK(too_many.error().message() ==
        "101 signatures are stored (.sig layers and bundles), more than the limit of 100 "
        "(--max-signature-layers)");
  CHECK(blobs.fetches == 0);

  std::vector<std::string> hundred(100, l);
  CHECK(run(manifest(hundred), blobs, {alice.pub}).valid().size() == 100);

  verify::VerifyOptions options;
  options.limits.max_layers = 2;
  auto custom = verify::testing::verify_manifest(manifest({l, l, l}), blobs.fetcher(), kImage,
                                                 repo(kRepo), {alice.pub}, options);
  REQUIRE_FALSE(custom);
  CHECK(custom.error().kind() == ErrorKind::limit);

  options = {};
  options.limits.max_payload_size = payload.size() - 1;
  blobs.fetches = 0;
  auto r = run(manifest({l}), blobs, {alice.pub}, options);
  CHECK(r.signatures[0].failure == Failure::too_large);
  CHECK(blobs.fetches == 0);
}

TEST_CASE("verifier: bad layer descriptors", "[verifier]") {
  auto alice = new_signer();
  const std::string mt = R"("mediaType":"application/vnd.dev.cosign.simplesigning.v1+json")";
  const std::string ann = R"("annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="})";
  Blobs blobs;
  for (std::string descriptor :
       {"{" + mt + R"(,"size":1,"digest":"sha256:abc",)" + ann + "}",
        "{" + mt + R"(,"size":1,"digest":"SHA256:)" + std::string(64, 'a') + R"(",)" + ann + "}",
        "{" + mt + R"(,"size":1,)" + ann + "}",
        "{" + mt + R"(,"size":-1,"digest":"sha256:)" + std::string(64, 'a') + R"(",)" + ann + "}",
        "{" + mt + R"(,"size":1.5,"digest":"sha256:)" + std::string(64, 'a') + R"(",)" + ann + "}",
        "{" + mt + R"(,"size":"1","digest":"sha256:)" + std::string(64, 'a') + R"(",)" + ann + "}",
        "{" + mt + R"(,"digest":"sha256:)" + std::string(64, 'a') + R"(",)" + ann + "}"}) {
    INFO(descriptor);
    auto r = run(manifest({descriptor}), blobs, {alice.pub});
    REQUIRE(r.signatures.size() == 1);
    CHECK(r.signatures[0].failure == Failure::bad_descriptor);
  }
  CHECK(blobs.fetches == 0);
}

TEST_CASE("verifier: fetch failures", "[verifier]") {
  auto alice = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  const std::string m = manifest({layer(payload, alice.sign_b64(payload))});

  Blobs missing; // a blob the manifest names but the registry does not have
  auto r = run(m, missing, {alice.pub});
  CHECK(r.signatures[0].failure == Failure::fetch_failed);
  REQUIRE(r.signatures[0].fetch_error);
  CHECK(r.signatures[0].fetch_error->kind() == ErrorKind::not_found);
  // The registry lost a blob: a registry error (exit 7), never "forged" (exit 1).
  CHECK(r.failure_error().kind() == ErrorKind::registry);

  Blobs down;
  down.errors.emplace(common::sha256_digest(payload),
                      common::make_error(ErrorKind::network, "connection refused"));
  r = run(m, down, {alice.pub});
  CHECK(r.signatures[0].failure == Failure::fetch_failed);
  auto error = r.failure_error();
  CHECK(error.kind() == ErrorKind::network);
  CHECK_THAT(error.message(), Catch::StartsWith("fetching signature layer 0 (sha256:"));
  CHECK_THAT(error.message(), Catch::EndsWith("connection refused"));
}

TEST_CASE("verifier: signature manifests that are not understood", "[verifier]") {
  auto alice = new_signer();
  Blobs blobs;
  struct Case {
    std::string name;
    std::string manifest;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"not JSON", "<html>", "the signature manifest is not valid JSON"},
      {"trailing", manifest({}) + "]", "is not valid JSON"},
      {"duplicate key", R"({"schemaVersion":2,"layers":[],"layers":[]})",
       "duplicate key \"layers\""},
      {"array", "[]", "is not a JSON object"},
      {"index",
       R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
       "has media type \"application/vnd.oci.image.index.v1+json\", not an image manifest"},
      {"media type number", R"({"mediaType":5,"layers":[]})", "not an image manifest"},
      {"no layers", R"({"schemaVersion":2})", "has no layers array"},
      {"layers object", R"({"schemaVersion":2,"layers":{}})", "has no layers array"},
      {"layers null", R"({"schemaVersion":2,"layers":null})",
       "has no layers array (its layers is null)"},
      {"layers string", R"({"schemaVersion":2,"layers":"x"})",
       "has no layers array (its layers is a string, not an array)"},
      {"layer string", R"({"schemaVersion":2,"layers":["x"]})", "layer 0 is not a JSON object"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = verify::testing::verify_manifest(c.manifest, blobs.fetcher(), kImage, repo(kRepo),
                                              {alice.pub});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK_THAT(r.error().message(), Catch::Contains(c.why));
  }

  // A Docker schema 2 manifest, and one without mediaType, are fine.
  const std::string payload = payload_for(kRepo, kImage);
  blobs.add(payload);
  const std::string l = layer(payload, alice.sign_b64(payload));
  auto docker = verify::testing::verify_manifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[)" +
          l + "]}",
      blobs.fetcher(), kImage, repo(kRepo), {alice.pub});
  REQUIRE(docker);
  CHECK(docker->verified());
  auto bare = verify::testing::verify_manifest(R"({"layers":[)" + l + "]}", blobs.fetcher(), kImage,
                                               repo(kRepo), {alice.pub});
  REQUIRE(bare);
  CHECK(bare->verified());

  auto bad_digest = verify::testing::verify_manifest(manifest({l}), blobs.fetcher(), "sha256:abc",
                                                     repo(kRepo), {alice.pub});
  REQUIRE_FALSE(bad_digest);
  CHECK(bad_digest.error().kind() == ErrorKind::usage);
}

TEST_CASE("verifier: failure_error lists at most ten layers", "[verifier]") {
  auto alice = new_signer();
  auto bob = new_signer();
  const std::string payload = payload_for(kRepo, kImage);
  Blobs blobs{payload};
  std::vector<std::string> layers(12, layer(payload, bob.sign_b64(payload)));
  auto r = run(manifest(layers), blobs, {alice.pub});
  auto message = r.failure_error().message();
  CHECK_THAT(message, Catch::StartsWith("no valid signature among 12: layer 0 "));
  CHECK_THAT(message, Catch::Contains("; layer 9 "));
  CHECK_THAT(message, Catch::EndsWith("; and 2 more"));
  CHECK(message.find("layer 10 ") == std::string::npos);
}
