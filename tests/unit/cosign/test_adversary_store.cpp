// An adversarial pass over the referrers store's new rules (one "no API" answer is one answer;
// OCI-Subject believed only after an API listing; referrers of the other kind skipped), over the
// in-memory registry. Each "Finding" was a defect when the pass was made, fixed since.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/constants.h"
#include "cosign/referrer.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;

namespace {

struct Scene {
  FakeClient client;
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;
  cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

  Scene() {
    options.signer_key = &pub;
    options.sleep = [](std::chrono::milliseconds) {};
  }
  // A new signature bundle of the same statement (ECDSA: other bytes every time).
  cosign::NewSignature bundle() {
    auto statement = cosign::make_sign_statement(kRepo.str(), kImage, {});
    REQUIRE(statement);
    return bundle_signature(key, pub, *statement);
  }
  // The referrer manifests stored for the image.
  std::size_t referrers() {
    std::size_t n = 0;
    for (const auto& [ref, bytes] : client.tags)
      n += ref.rfind("sha256:", 0) == 0 && bytes.find("\"subject\":{") != std::string::npos;
    return n;
  }
};

} // namespace

// Finding: the first listing of a run answered 404 once (a proxy, a replica) makes sign's look
// for its own bundle see an empty index, and a second referrer is pushed by the same key over the
// same statement, where each format is promised idempotent.
TEST_CASE("adversary store: one 404 on the listing makes attach push a duplicate bundle",
          "[adversary][referrers]") {
  Scene s;
  s.client.referrers_api = true;
  s.client.claim_oci_subject = true;
  auto first = cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options);
  REQUIRE(first);
  REQUIRE(s.referrers() == 1);

  // Another run: its first listing is answered "no API" once.
  const int before = s.client.listings;
  s.client.on_list = [before](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == before + 1)
      return registry::Referrers{false, {}};
    return std::nullopt;
  };
  auto again = cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options);
  REQUIRE(again);
  CHECK(again->outcome == cosign::AttachOutcome::already_present);
  CHECK(s.referrers() == 1);
  CHECK(s.client.tags.count(kIndexTag) == 0);
}

// Finding: a registry whose referrers API answers but does not list the pushed referrer, and
// whose PUT does not answer OCI-Subject: attach writes the fallback index and succeeds, and find
// (a verifier) never reads that index, so the bundle just attached is "no signature".
TEST_CASE("adversary store: what attach wrote to the index because the API did not list it "
          "is found",
          "[adversary][referrers]") {
  Scene s;
  s.client.referrers_api = true;
  s.client.on_list = [](int) -> std::optional<common::Result<registry::Referrers>> {
    return registry::Referrers{true, {}};
  };
  auto r = cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options);
  REQUIRE(r);
  REQUIRE(s.client.tags.count(kIndexTag) == 1);
  auto found = cosign::make_referrers_store(s.client)->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("adversary store: OCI-Subject after a 404 listing is confirmed, no index written",
          "[adversary][referrers]") {
  Scene s;
  s.client.referrers_api = true;
  s.client.claim_oci_subject = true;
  s.client.on_list = [](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == 1)
      return registry::Referrers{false, {}};
    return std::nullopt;
  };
  auto store = cosign::make_referrers_store(s.client);
  auto r = store->attach(s.subject, s.bundle(), s.options);
  REQUIRE(r);
  CHECK(s.client.tags.count(kIndexTag) == 0);
  CHECK(s.client.listings == 2); // the listing, then the confirmation
  auto found = cosign::make_referrers_store(s.client)->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("adversary store: OCI-Subject whose confirmation listing fails writes the index",
          "[adversary][referrers]") {
  Scene s;
  s.client.claim_oci_subject = true; // no API behind it
  // Listings 1 and 2 are the probe and its second opinion; 3 confirms the OCI-Subject claim.
  s.client.on_list = [](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == 3)
      return common::make_error(ErrorKind::registry, "500");
    return std::nullopt;
  };
  auto r = cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options);
  REQUIRE(r);
  CHECK(s.client.tags.count(kIndexTag) == 1);
  auto found = cosign::make_referrers_store(s.client)->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("adversary store: an image after a 404 is listed by the API though its index holds "
          "attestations",
          "[adversary][referrers][kinds]") {
  // A registry with the API that answered 404 once; the image's index (written by an older
  // tool) holds an attestation only, which the signature store skips; the API holds the
  // signature.
  Scene s;
  s.client.referrers_api = true;
  s.client.claim_oci_subject = true;
  REQUIRE(cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options));
  const std::string att =
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" +
      std::string(64, 'b') +
      R"(","size":10,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}})";
  s.client.tags[kIndexTag] =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      att + "]}";
  const int before = s.client.listings;
  s.client.on_list = [before](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == before + 1)
      return registry::Referrers{false, {}};
    return std::nullopt;
  };
  auto store = cosign::make_referrers_store(s.client);
  (void)store->find(s.subject); // the image hit by the 404
  auto found = store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

// Finding: after one "no API" answer is remembered, an image whose index holds any referrer of
// its kind (older bundles, written through the tag schema before the registry had the API) is
// judged by the index alone, and the API, which lists the current bundles too, is never asked.
TEST_CASE("adversary store: after one 404, an index of older bundles hides the API's",
          "[adversary][referrers]") {
  Scene old_signer;
  Scene s;
  // Before the API: the old key's bundle goes to the index.
  s.client.on_list = [](int) -> std::optional<common::Result<registry::Referrers>> {
    return registry::Referrers{false, {}};
  };
  cosign::AttachOptions old_options = s.options;
  old_options.signer_key = &old_signer.pub;
  auto old_bundle = old_signer.bundle();
  REQUIRE(cosign::make_referrers_store(s.client)->attach(s.subject, old_bundle, old_options));
  REQUIRE(s.client.tags.count(kIndexTag) == 1);
  // With the API: the current key's bundle is listed by it, the index is left as it was.
  s.client.on_list = nullptr;
  s.client.referrers_api = true;
  s.client.claim_oci_subject = true;
  const std::string index_before = s.client.tags.at(kIndexTag);
  REQUIRE(cosign::make_referrers_store(s.client)->attach(s.subject, s.bundle(), s.options));
  REQUIRE(s.client.tags.at(kIndexTag) == index_before);
  auto all = cosign::make_referrers_store(s.client)->find(s.subject);
  REQUIRE(all);
  REQUIRE(all->layers.size() == 2);

  // A verifier's batch whose first listing is answered 404 once: the image after the one hit.
  const int before = s.client.listings;
  s.client.on_list = [before](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == before + 1)
      return registry::Referrers{false, {}};
    return std::nullopt;
  };
  auto reader = cosign::make_referrers_store(s.client);
  (void)reader->find(s.subject); // the image hit
  auto found = reader->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 2);
}
