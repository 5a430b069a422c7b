// Verifying bundle layers (cosign v3): the DSSE signature over the PAE with the curve's hash, the
// strict statement, sign/v1 only, the subject's digest, identity when the subject is named, and
// the annotations in the subject.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/file.h"
#include "cosign/bundle.h"
#include "tests/unit/verify/sig_fixture.h"
#include "verify/verifier.h"

using namespace isign;
using namespace isign::verify;
using namespace isign::verify::testing;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'c');

std::string statement(const std::string& name, const std::string& digest,
                      const std::string& annotations = "{}",
                      const std::string& predicate_type = "https://sigstore.dev/cosign/sign/v1") {
  return R"({"_type":"https://in-toto.io/Statement/v1","subject":[{)" +
         (name.empty() ? std::string() : "\"name\":\"" + name + "\",") + R"("digest":{"sha256":")" +
         digest.substr(7) + R"("},"annotations":)" + annotations + R"(}],"predicateType":")" +
         predicate_type + R"(","predicate":{}})";
}

std::string bundle_by(const keys::PrivateKey& key, const std::string& stmt) {
  auto der = key.sign(cosign::dsse_pae(cosign::kInTotoPayloadType, stmt),
                      keys::default_hash(key.algorithm()));
  REQUIRE(der);
  return cosign::make_dsse_bundle(keys::public_key_hint(key.public_key()), stmt, *der);
}

cosign::StoredLayer bundle_layer(const std::string& bundle, std::size_t index = 0) {
  cosign::StoredLayer l;
  l.index = index;
  l.format = cosign::Format::bundle;
  l.media_type = std::string(cosign::kBundleMediaType);
  l.digest = common::sha256_digest(bundle);
  l.size = bundle.size();
  l.where = "reg.example/app@sha256:" + std::string(64, 'f');
  l.text = "{}";
  return l;
}

Report check(const std::string& bundle, const keys::PublicKey& key,
             const VerifyOptions& options = {}, const std::string& named = "reg.example/app") {
  Blobs blobs{bundle};
  auto fetch = blobs.fetcher();
  auto report =
      verify_signatures({bundle_layer(bundle)}, fetch, kDigest, image_ref(named), {key}, options);
  REQUIRE(report);
  REQUIRE(report->signatures.size() == 1);
  return *report;
}

} // namespace

TEST_CASE("a bundle isign writes verifies, names its format and where it was found",
          "[bundle-verify]") {
  auto signer = new_signer();
  auto r = check(bundle_by(signer.key, statement("reg.example/app", kDigest)), signer.pub);
  const auto& s = r.signatures[0];
  INFO(s.reason);
  CHECK(r.verified());
  CHECK(s.format == cosign::Format::bundle);
  CHECK(s.where == "reg.example/app@sha256:" + std::string(64, 'f'));
  CHECK_FALSE(s.identity_unbound);
  REQUIRE(s.payload);
  CHECK(s.payload->docker_reference == "reg.example/app");
  CHECK(s.payload_bytes == statement("reg.example/app", kDigest)); // the statement, as signed
}

TEST_CASE("a cosign-written bundle (no name) passes unbound unless identity is required",
          "[bundle-verify]") {
  auto signer = new_signer();
  const std::string b = bundle_by(signer.key, statement("", kDigest));
  auto r = check(b, signer.pub);
  CHECK(r.verified());
  CHECK(r.signatures[0].identity_unbound);
  VerifyOptions strict;
  strict.require_identity = true;
  auto refused = check(b, signer.pub, strict);
  CHECK_FALSE(refused.verified());
  CHECK(refused.signatures[0].failure == Failure::identity_mismatch);
  CHECK_THAT(refused.signatures[0].reason, Catch::Contains("names no repository"));
}

TEST_CASE("bundle layers fail for the reasons legacy layers do", "[bundle-verify]") {
  auto signer = new_signer();
  auto other = new_signer();
  struct Case {
    std::string name;
    std::string bundle;
    Failure failure;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"another key", bundle_by(other.key, statement("reg.example/app", kDigest)),
       Failure::bad_signature, "does not verify"},
      {"another image",
       bundle_by(signer.key, statement("reg.example/app", "sha256:" + std::string(64, 'd'))),
       Failure::digest_mismatch, "signs sha256:dddd"},
      {"another repository", bundle_by(signer.key, statement("reg.example/other", kDigest)),
       Failure::identity_mismatch, "reg.example/other"},
      {"an attestation, not a signature",
       bundle_by(signer.key,
                 statement("reg.example/app", kDigest, "{}", "https://slsa.dev/provenance/v1")),
       Failure::payload_invalid, "not an image signature"},
      {"an unknown statement key",
       bundle_by(signer.key, statement("reg.example/app", kDigest).insert(1, "\"x\":1,")),
       Failure::payload_invalid, "unknown key"},
      {"not a bundle", "{\"mediaType\":\"x\"}", Failure::payload_invalid, "bundle rule broken"},
      {"a blob's bundle",
       cosign::make_message_bundle("h", "SHA2_256", std::string(32, 'x'), "\x30\x01"),
       Failure::payload_invalid, "messageSignature"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = check(c.bundle, signer.pub);
    CHECK_FALSE(r.verified());
    CHECK(r.signatures[0].failure == c.failure);
    CHECK_THAT(r.signatures[0].reason, Catch::Contains(c.reason));
  }
}

TEST_CASE("the signature covers the PAE, not the bare statement", "[bundle-verify]") {
  auto signer = new_signer();
  const std::string stmt = statement("reg.example/app", kDigest);
  auto bare = signer.key.sign(stmt, keys::Hash::sha256);
  REQUIRE(bare);
  auto r = check(cosign::make_dsse_bundle("h", stmt, *bare), signer.pub);
  CHECK(r.signatures[0].failure == Failure::bad_signature);
}

TEST_CASE("subject annotations are the ones -a requires", "[bundle-verify]") {
  auto signer = new_signer();
  const std::string b =
      bundle_by(signer.key, statement("reg.example/app", kDigest, R"({"env":"prod","n":1})"));
  VerifyOptions want;
  want.required_annotations = {{"env", "prod"}};
  CHECK(check(b, signer.pub, want).verified());
  want.required_annotations = {{"env", "dev"}};
  CHECK(check(b, signer.pub, want).signatures[0].failure == Failure::annotation_mismatch);
  want.required_annotations = {{"n", "1"}}; // not a string: never equal
  CHECK(check(b, signer.pub, want).signatures[0].failure == Failure::annotation_mismatch);
}

TEST_CASE("P-384 and P-521 bundles are signed and verified with SHA-384 and SHA-512",
          "[bundle-verify]") {
  // OpenSSL-made keys of testdata/keys/curves (PROVENANCE.md).
  for (const char* curve : {"P-384", "P-521"}) {
    INFO(curve);
    auto pem = common::read_file(std::string(ISIGN_TESTDATA_DIR) + "/keys/curves/ec-" +
                                 (std::string(curve) == "P-384" ? "p384" : "p521") + "-pkcs8.pem");
    if (!pem)
      FAIL("missing testdata key for " << curve << ": " << pem.error().message());
    auto key = keys::import_pem_private_key(*pem);
    REQUIRE(key);
    const std::string stmt = statement("reg.example/app", kDigest);
    auto r = check(bundle_by(*key, stmt), key->public_key());
    CHECK(r.verified());
    // The same statement signed with SHA-256 does not pass for these curves.
    auto wrong = key->sign(cosign::dsse_pae(cosign::kInTotoPayloadType, stmt), keys::Hash::sha256);
    REQUIRE(wrong);
    CHECK_FALSE(check(cosign::make_dsse_bundle("h", stmt, *wrong), key->public_key()).verified());
  }
}
