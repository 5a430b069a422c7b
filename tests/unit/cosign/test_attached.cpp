// The listing of what is attached to an image (cosign/attached.h) over the in-memory registry:
// every manifest of both kinds and formats with the blobs it names, the referrers index last,
// filters by format and kind, and what is never listed (a planted referrer, an absent tag).
#include <catch2/catch.hpp>

#include "common/encoding.h"
#include "cosign/attached.h"
#include "cosign/bundle.h"
#include "cosign/payload.h"
#include "cosign/referrer.h"
#include "cosign/store.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using cosign::AttachedRole;
using cosign::Kind;

namespace {

const std::string kHex(64, 'a');
constexpr std::string_view kSlsa = "https://slsa.dev/provenance/v1";

std::string statement(std::string_view predicate_type) {
  return R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + kRepo.str() +
         R"(","digest":{"sha256":")" + kHex + R"("}}],"predicateType":")" +
         std::string(predicate_type) + R"(","predicate":{}})";
}

struct Scene {
  FakeClient client;
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;
  cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

  Scene() {
    options.sleep = [](std::chrono::milliseconds) {};
  }

  void attach(cosign::Format format, Kind kind, const cosign::NewSignature& sig) {
    auto store = cosign::make_format_store(client, format, kind);
    auto r = store->attach(subject, sig, options);
    REQUIRE(r);
  }

  // One entry of each kind in each format.
  void sign_everything() {
    auto payload = cosign::make_payload(kRepo.str(), kImage, {});
    REQUIRE(payload);
    cosign::NewSignature legacy_sig;
    legacy_sig.payload = *payload;
    legacy_sig.signature = common::base64_encode("not checked here");
    attach(cosign::Format::legacy, Kind::signature, legacy_sig);

    cosign::NewSignature legacy_att;
    legacy_att.kind = Kind::attestation;
    legacy_att.predicate_type = std::string(kSlsa);
    legacy_att.payload = R"({"payload":"","payloadType":"application/vnd.in-toto+json"})";
    attach(cosign::Format::legacy, Kind::attestation, legacy_att);

    auto sign_statement = cosign::make_sign_statement(kRepo.str(), kImage, {});
    REQUIRE(sign_statement);
    attach(cosign::Format::bundle, Kind::signature, bundle_signature(key, pub, *sign_statement));
    auto att = bundle_signature(key, pub, statement(kSlsa), Kind::attestation);
    att.predicate_type = std::string(kSlsa);
    attach(cosign::Format::bundle, Kind::attestation, att);
  }
};

std::vector<AttachedRole> roles(const cosign::Attached& a) {
  std::vector<AttachedRole> out;
  for (const auto& m : a.manifests)
    out.push_back(m.role);
  return out;
}

} // namespace

TEST_CASE("attached: every manifest of both kinds and formats, the index last", "[attached]") {
  Scene s;
  s.sign_everything();
  auto a = cosign::list_attached(s.client, s.subject);
  REQUIRE(a);
  CHECK_FALSE(a->referrers_api);
  REQUIRE(roles(*a) == std::vector{AttachedRole::legacy_tag, AttachedRole::legacy_tag,
                                   AttachedRole::referrer, AttachedRole::referrer,
                                   AttachedRole::referrers_index});
  const auto& m = a->manifests;
  CHECK(m[0].tag == "sha256-" + kHex + ".sig");
  CHECK(m[0].kind == Kind::signature);
  CHECK(m[1].tag == "sha256-" + kHex + ".att");
  CHECK(m[1].kind == Kind::attestation);
  REQUIRE(m[0].blobs.size() == 2); // config and one layer
  CHECK(m[0].blobs[1].media_type == cosign::legacy_layer_media_type(Kind::signature));
  CHECK(m[2].kind == Kind::signature);
  CHECK(m[2].bundle);
  CHECK(m[2].predicate_type == cosign::kSignPredicateType);
  CHECK(m[3].kind == Kind::attestation);
  CHECK(m[3].predicate_type == kSlsa);
  CHECK(m[3].blobs[0].digest == common::sha256_digest(cosign::kEmptyConfig));
  CHECK(m[4].tag == "sha256-" + kHex);
  CHECK(m[4].lists == std::vector{m[2].manifest.digest, m[3].manifest.digest});
  CHECK(m[4].blobs.empty());
  CHECK(m[2].where(kRepo) == kRepo.str() + "@" + m[2].manifest.digest);
  CHECK(m[0].where(kRepo) == kRepo.str() + ":sha256-" + kHex + ".sig");
  for (const auto& one : m)
    CHECK(s.client.tags.count(one.manifest.digest) + s.client.tags.count(one.tag) > 0);
}

TEST_CASE("attached: the query picks formats and kinds", "[attached]") {
  Scene s;
  s.sign_everything();
  cosign::AttachedQuery legacy_only;
  legacy_only.bundle = false;
  auto a = cosign::list_attached(s.client, s.subject, legacy_only);
  REQUIRE(a);
  CHECK(roles(*a) == std::vector{AttachedRole::legacy_tag, AttachedRole::legacy_tag});

  cosign::AttachedQuery attestations;
  attestations.signatures = false;
  auto b = cosign::list_attached(s.client, s.subject, attestations);
  REQUIRE(b);
  REQUIRE(roles(*b) == std::vector{AttachedRole::legacy_tag, AttachedRole::referrer,
                                   AttachedRole::referrers_index});
  CHECK(b->manifests[0].kind == Kind::attestation);
  CHECK(b->manifests[1].kind == Kind::attestation);
}

TEST_CASE("attached: the referrers API's listing, an empty image, a planted entry", "[attached]") {
  SECTION("with a referrers API no index is written, and the API lists both bundles") {
    Scene s;
    s.client.referrers_api = true;
    s.sign_everything();
    auto a = cosign::list_attached(s.client, s.subject);
    REQUIRE(a);
    CHECK(a->referrers_api);
    CHECK(roles(*a) == std::vector{AttachedRole::legacy_tag, AttachedRole::legacy_tag,
                                   AttachedRole::referrer, AttachedRole::referrer});
  }
  SECTION("nothing attached is an empty listing, not an error") {
    Scene s;
    auto a = cosign::list_attached(s.client, s.subject);
    REQUIRE(a);
    CHECK(a->manifests.empty());
  }
  SECTION("a referrer whose subject is another image is left out") {
    Scene s;
    s.sign_everything();
    const std::string other = "sha256:" + std::string(64, 'b');
    auto att = bundle_signature(s.key, s.pub, statement(kSlsa), Kind::attestation);
    att.predicate_type = std::string(kSlsa);
    cosign::Subject elsewhere{kRepo, other, std::string(registry::kOciManifest), 10};
    auto store = cosign::make_referrers_store(s.client, Kind::attestation);
    REQUIRE(store->attach(elsewhere, att, s.options));
    // Plant the other image's referrer in this image's index.
    auto planted = cosign::list_attached(s.client, elsewhere);
    REQUIRE(planted);
    const auto& ref = planted->manifests[0];
    auto& index = s.client.tags["sha256-" + kHex];
    auto edited = cosign::edit_referrers_index(
        index,
        cosign::referrers_index_descriptor(ref.manifest.media_type, ref.manifest.digest,
                                           ref.manifest.bytes.size(), ref.artifact_type, {}),
        {});
    REQUIRE(edited);
    index = *edited;
    auto a = cosign::list_attached(s.client, s.subject);
    REQUIRE(a);
    CHECK(a->manifests.size() == 5);
    CHECK(a->manifests.back().lists.size() == 3);
  }
  SECTION("a .sig that is no manifest is an error naming it") {
    Scene s;
    s.client.tags["sha256-" + kHex + ".sig"] = "{\"layers\":[]}";
    auto a = cosign::list_attached(s.client, s.subject);
    REQUIRE_FALSE(a);
    CHECK_THAT(a.error().message(), Catch::Contains(".sig") && Catch::Contains("no config"));
  }
}
