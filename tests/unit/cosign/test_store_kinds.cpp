// The store seam's kinds and its composite over an in-memory registry: the .att tag and attestation
// bundles beside the .sig and signature bundles, each store seeing only its kind; a composite made
// of any list of formats; and what a referrers listing's answer may be trusted for (one 404 is not
// "no API" forever; an OCI-Subject header does not outweigh a listing that said "no API").
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

const std::string kHex(64, 'a');
const std::string kAttTag = "sha256-" + kHex + ".att";
const std::string kSigTag = "sha256-" + kHex + ".sig";
constexpr std::string_view kSlsa = "https://slsa.dev/provenance/v1";

// A statement of predicate_type about kImage, as attest would make it.
std::string statement(std::string_view predicate_type) {
  return R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + kRepo.str() +
         R"(","digest":{"sha256":")" + kHex + R"("}}],"predicateType":")" +
         std::string(predicate_type) + R"(","predicate":{"builder":{"id":"ci"}}})";
}

struct Signer {
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();

  // A bundle entry: the sign statement (signature) or an attestation's statement.
  cosign::NewSignature bundle(cosign::Kind kind) {
    std::string payload;
    if (kind == cosign::Kind::signature) {
      auto s = cosign::make_sign_statement(kRepo.str(), kImage, {});
      REQUIRE(s);
      payload = *s;
    } else {
      payload = statement(kSlsa);
    }
    cosign::NewSignature sig = bundle_signature(key, pub, payload, kind);
    sig.predicate_type = kind == cosign::Kind::attestation ? std::string(kSlsa) : "";
    return sig;
  }
  // A legacy attestation: the DSSE envelope is the layer blob.
  cosign::NewSignature envelope() {
    const std::string payload = statement(kSlsa);
    const std::string envelope =
        R"({"payload":")" + common::base64_encode(payload) +
        R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":")" +
        common::base64_encode(dsse_der(key, payload)) + R"("}]})";
    cosign::NewSignature sig;
    sig.format = cosign::Format::legacy;
    sig.kind = cosign::Kind::attestation;
    sig.predicate_type = std::string(kSlsa);
    sig.payload = envelope;
    return sig;
  }
};

struct Scene {
  FakeClient client;
  Signer signer;
  cosign::AttachOptions options;
  cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

  Scene() {
    options.signer_key = &signer.pub;
    options.sleep = [](std::chrono::milliseconds) {};
  }
};

} // namespace

TEST_CASE("tag store of attestations: the .att layer as cosign writes it, unseen by the .sig",
          "[kinds]") {
  Scene s;
  auto att = cosign::make_tag_store(s.client, cosign::Kind::attestation);
  const auto sig = s.signer.envelope();
  auto r = att->attach(s.subject, sig, s.options);
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::created);
  CHECK(r->where == kRepo.str() + ":" + kAttTag);
  REQUIRE(s.client.tags.count(kAttTag) == 1);
  CHECK(s.client.tags.count(kSigTag) == 0);
  // docs/formats.md section 13: the signature annotation present and empty, then the predicateType.
  const std::string layer =
      R"({"mediaType":"application/vnd.dsse.envelope.v1+json","size":)" +
      std::to_string(sig.payload.size()) + R"(,"digest":")" + common::sha256_digest(sig.payload) +
      R"(","annotations":{"dev.cosignproject.cosign/signature":"","predicateType":")" +
      std::string(kSlsa) + R"("}})";
  CHECK(s.client.tags.at(kAttTag).find(R"("layers":[)" + layer + "]}") != std::string::npos);
  CHECK(s.client.blobs.at(common::sha256_digest(sig.payload)) == sig.payload);

  auto found = att->find(s.subject);
  REQUIRE(found);
  REQUIRE(found->layers.size() == 1);
  CHECK(found->layers[0].kind == cosign::Kind::attestation);
  CHECK(found->layers[0].predicate_type == kSlsa);
  CHECK(found->layers[0].is_signature());
  CHECK(found->where == kAttTag);

  // The same envelope again adds nothing; the signature store sees no .att entry.
  auto again = att->attach(s.subject, sig, s.options);
  REQUIRE(again);
  CHECK(again->outcome == cosign::AttachOutcome::already_present);
  auto sigs = cosign::make_tag_store(s.client)->find(s.subject);
  REQUIRE_FALSE(sigs);
  CHECK(sigs.error().kind() == ErrorKind::no_signature);
  // A store refuses the other kind rather than write it to the wrong tag.
  CHECK_FALSE(cosign::make_tag_store(s.client)->attach(s.subject, sig, s.options));
}

TEST_CASE("referrers stores: each kind writes its predicateType and reads only its own",
          "[kinds]") {
  for (bool api : {false, true}) {
    DYNAMIC_SECTION((api ? "with" : "without") << " the referrers API") {
      Scene s;
      s.client.referrers_api = api;
      auto sigs = cosign::make_referrers_store(s.client, cosign::Kind::signature);
      auto atts = cosign::make_referrers_store(s.client, cosign::Kind::attestation);
      REQUIRE(atts->attach(s.subject, s.signer.bundle(cosign::Kind::attestation), s.options));
      auto none = sigs->find(s.subject);
      REQUIRE_FALSE(none);
      CHECK(none.error().kind() == ErrorKind::no_signature);
      REQUIRE(sigs->attach(s.subject, s.signer.bundle(cosign::Kind::signature), s.options));

      auto found = atts->find(s.subject);
      REQUIRE(found);
      REQUIRE(found->layers.size() == 1);
      CHECK(found->layers[0].kind == cosign::Kind::attestation);
      CHECK(found->layers[0].predicate_type == kSlsa);
      auto referrer = s.client.tags.at(found->layers[0].where.substr(kRepo.str().size() + 1));
      CHECK(referrer.find(R"("dev.sigstore.bundle.predicateType":")" + std::string(kSlsa) + "\"") !=
            std::string::npos);

      auto signed_ = sigs->find(s.subject);
      REQUIRE(signed_);
      REQUIRE(signed_->layers.size() == 1);
      CHECK(signed_->layers[0].kind == cosign::Kind::signature);
      CHECK(signed_->layers[0].predicate_type == cosign::kSignPredicateType);
    }
  }
}

TEST_CASE("composite store: any list of formats, in its order, and none or a repeat refused",
          "[kinds]") {
  Scene s;
  CHECK_FALSE(cosign::make_composite_store({}));
  std::vector<cosign::FormatStore> twice;
  twice.push_back({cosign::Format::legacy, cosign::make_tag_store(s.client)});
  twice.push_back({cosign::Format::legacy, cosign::make_tag_store(s.client)});
  auto refused = cosign::make_composite_store(std::move(twice));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::usage);

  // Bundles first: a rule met by the bundle reads no .sig.
  auto store = cosign::make_store(s.client, {cosign::Format::bundle, cosign::Format::legacy},
                                  cosign::Kind::attestation);
  REQUIRE(store);
  REQUIRE((*store)->attach(s.subject, s.signer.bundle(cosign::Kind::attestation), s.options));
  REQUIRE((*store)->attach(s.subject, s.signer.envelope(), s.options));
  const int gets = s.client.gets;
  auto first = (*store)->find_until(
      s.subject, [](const cosign::StoredSignatures& f) { return !f.layers.empty(); });
  REQUIRE(first);
  REQUIRE(first->layers.size() == 1);
  CHECK(first->layers[0].format == cosign::Format::bundle);
  auto all = (*store)->find(s.subject);
  REQUIRE(all);
  REQUIRE(all->layers.size() == 2);
  CHECK(all->layers[1].format == cosign::Format::legacy);
  CHECK(all->layers[1].kind == cosign::Kind::attestation);
  CHECK(s.client.gets > gets);
}

// Defect: one 404 on the first referrers listing was remembered as "this registry has no API" for
// the whole run, and every later bundle-only image came back unsigned.
TEST_CASE("referrers store: one listing answered 'no API' does not make later images unsigned",
          "[referrers][kinds]") {
  Scene s;
  s.client.referrers_api = true;
  auto writer = cosign::make_referrers_store(s.client);
  REQUIRE(writer->attach(s.subject, s.signer.bundle(cosign::Kind::signature), s.options));
  REQUIRE(s.client.tags.count(kIndexTag) == 0); // listed by the API, no index

  // A verifier's store (a batch): the first listing it sends is answered 404 once.
  auto reader = cosign::make_referrers_store(s.client);
  const int before = s.client.listings;
  s.client.on_list = [before](int n) -> std::optional<common::Result<registry::Referrers>> {
    if (n == before + 1)
      return registry::Referrers{false, {}};
    return std::nullopt;
  };
  // The 404 is asked once more before it is believed: every image is found, the first with one
  // listing more.
  for (int image = 0; image < 3; ++image) {
    auto found = reader->find(s.subject);
    REQUIRE(found);
    CHECK(found->layers.size() == 1);
  }
  CHECK(s.client.listings - before == 4);
}

TEST_CASE("referrers store: a registry without the API is asked twice, then its index is read",
          "[referrers][kinds]") {
  Scene s; // distribution 2.8: no referrers API
  auto store = cosign::make_referrers_store(s.client);
  auto none = store->find(s.subject);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == ErrorKind::no_signature);
  CHECK(s.client.listings == 2);
  REQUIRE(store->attach(s.subject, s.signer.bundle(cosign::Kind::signature), s.options));
  const int listings = s.client.listings;
  auto found = store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
  CHECK(s.client.listings == listings); // the index had it: no listing
}

// Defect: an OCI-Subject answer to the referrer PUT was believed although the registry had just
// answered 404 to the listing, so nothing listed the bundle and no verifier could find it.
TEST_CASE("referrers store: OCI-Subject against a 'no API' listing still writes the index",
          "[referrers][kinds]") {
  Scene s;
  s.client.claim_oci_subject = true; // the header, without an API behind it
  auto store = cosign::make_referrers_store(s.client);
  auto r = store->attach(s.subject, s.signer.bundle(cosign::Kind::signature), s.options);
  REQUIRE(r);
  REQUIRE(s.client.tags.count(kIndexTag) == 1);
  auto entries = cosign::read_referrers_index(s.client.tags.at(kIndexTag));
  REQUIRE(entries);
  CHECK(entries->size() == 1);
  auto found = cosign::make_referrers_store(s.client)->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("referrers store: OCI-Subject from a registry whose listing is an API is believed",
          "[referrers][kinds]") {
  Scene s;
  s.client.referrers_api = true;
  s.client.claim_oci_subject = true;
  auto store = cosign::make_referrers_store(s.client);
  REQUIRE(store->attach(s.subject, s.signer.bundle(cosign::Kind::signature), s.options));
  const int listings = s.client.listings;
  CHECK(s.client.tags.count(kIndexTag) == 0);
  CHECK(listings == 1); // the listing before the push; no confirmation needed
}
