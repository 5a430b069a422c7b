// tree's model and JSON report (cosign/tree.h) over a scene signed in both formats by two keys,
// one of them given to name legacy layers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/digest.h"
#include "cosign/removal.h"
#include "cosign/tree.h"
#include "tests/unit/cosign/signed_scene.h"

using namespace isign;
using namespace isign::testing;
using nlohmann::json;

TEST_CASE("tree: both formats, two keys, the JSON report", "[tree]") {
  SignedScene s;
  const auto a = new_key(), b = new_key();
  const auto pub_a = a.public_key(), pub_b = b.public_key();
  s.sign_all(a, "a");
  s.sign_all(b, "b");
  std::vector<cosign::TreeKey> keys{{"a.pub", pub_a}};
  auto entries = cosign::describe_attached(s.client, s.subject, keys);
  REQUIRE(entries);
  REQUIRE(entries->size() == 8); // 2 .sig layers, 2 .att layers, 4 bundles

  const std::string report = cosign::tree_json({{s.subject, "image", *entries}});
  auto j = json::parse(report);
  CHECK(j["schema"] == 1);
  REQUIRE(j["images"].size() == 1);
  const auto& image = j["images"][0];
  CHECK(image["digest"] == kImage);
  CHECK(image["role"] == "image");
  const auto& e = image["entries"];
  const std::string sig_where = kRepo.str() + ":" + s.tag(".sig");

  // .sig layer 0: a's, named by a.pub, with its signed annotation; containers/image reads it,
  // cosign v3 does not (bundles are kept).
  CHECK(e[0]["format"] == "legacy");
  CHECK(e[0]["kind"] == "signature");
  CHECK(e[0]["where"] == sig_where);
  CHECK(e[0]["layer"] == 0);
  CHECK(e[0]["keyId"] == keys::public_key_hint(pub_a));
  CHECK(e[0]["key"] == "a.pub");
  CHECK(e[0]["annotations"] == json{{"note", "a"}});
  CHECK(e[0]["created"].is_null());
  CHECK(e[0]["seenBy"] == json{"containers/image", "cosign v2", "isign"});
  // .sig layer 1: b's, no key given for it.
  CHECK(e[1]["layer"] == 1);
  CHECK(e[1]["keyId"].is_null());
  CHECK(e[1]["key"].is_null());
  // .att layers: cosign v2 and isign.
  CHECK(e[2]["kind"] == "attestation");
  CHECK(e[2]["predicateType"] == std::string(kSlsaType));
  CHECK(e[2]["key"] == "a.pub");
  CHECK(e[2]["seenBy"] == json{"cosign v2", "isign"});
  // Bundles: their hint is their key id, created and annotations from the referrer manifest.
  std::size_t bundles = 0;
  for (std::size_t i = 4; i < 8; ++i) {
    CHECK(e[i]["format"] == "bundle");
    CHECK(e[i]["layer"].is_null());
    CHECK(e[i]["where"].get<std::string>().rfind(kRepo.str() + "@sha256:", 0) == 0);
    CHECK_FALSE(e[i]["created"].is_null());
    CHECK(e[i]["annotations"].contains("dev.sigstore.bundle.predicateType"));
    CHECK(e[i]["seenBy"] == json{"cosign v3", "isign"});
    const bool mine = e[i]["keyId"] == keys::public_key_hint(pub_a);
    CHECK((mine || e[i]["keyId"] == keys::public_key_hint(pub_b)));
    CHECK((mine ? e[i]["key"] == "a.pub" : e[i]["key"].is_null()));
    bundles += e[i]["kind"] == "signature" ? 1 : 0;
  }
  CHECK(bundles == 2);
}

TEST_CASE("tree: without bundles cosign v3 reads the .sig, nothing attached is no entry",
          "[tree]") {
  SignedScene s;
  auto none = cosign::describe_attached(s.client, s.subject, {});
  REQUIRE(none);
  CHECK(none->empty());
  CHECK(cosign::tree_json({{s.subject, "image", *none}}) ==
        R"({"images":[{"digest":")" + kImage +
            R"(","entries":[],"repository":"reg.example/app","role":"image"}],"schema":1})");
  const auto a = new_key();
  auto payload = cosign::make_payload(kRepo.str(), kImage, {});
  REQUIRE(payload);
  auto der = a.sign(*payload);
  REQUIRE(der);
  cosign::NewSignature sig;
  sig.payload = *payload;
  sig.signature = common::base64_encode(*der);
  s.attach(cosign::Format::legacy, cosign::Kind::signature, sig);
  auto one = cosign::describe_attached(s.client, s.subject, {});
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].seen_by ==
        std::vector<std::string>{"containers/image", "cosign v2", "cosign v3", "isign"});
  CHECK((*one)[0].key_id.empty());
}

TEST_CASE("tree and revoke: another tool's referrer isign cannot read is shown, never removed",
          "[tree][removal]") {
  SignedScene s;
  s.client.referrers_api = true;
  const auto a = new_key();
  const auto pub_a = a.public_key();
  s.sign_all(a, "a");
  // An index as a referrer (an OCI artifact of another tool): no image manifest, no bundle.
  const std::string planted =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],)"
      R"("subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":321,)"
      R"("digest":")" +
      kImage + R"("}})";
  const std::string planted_digest = common::sha256_digest(planted);
  s.client.tags[planted_digest] = planted;

  auto entries = cosign::describe_attached(s.client, s.subject, {});
  REQUIRE(entries);
  auto other = std::find_if(entries->begin(), entries->end(),
                            [&](const cosign::TreeEntry& e) { return e.digest == planted_digest; });
  REQUIRE(other != entries->end());
  CHECK_FALSE(other->kind);
  CHECK(other->artifact_type == registry::kOciIndex);
  CHECK(other->seen_by.empty());

  cosign::RemovalQuery q;
  q.key = &pub_a;
  auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(removal);
  CHECK(removal->removed() == 4);
  CHECK(s.client.tags.count(planted_digest) == 1);
}
