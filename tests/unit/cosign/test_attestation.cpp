// cosign attest's formats (docs/formats.md sections 8, 9 and 13) and the stores' attestation
// rules: the v0.1 statement byte for byte, both .att envelope shapes, the predicate kept for
// gates; the same statement by the same key is stored once (ECDSA signs differently each time),
// and --replace removes only the signer's earlier attestations of the type, in both formats.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/store.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;

namespace {

const std::string kHex(64, 'a');
const std::string kAttTag = "sha256-" + kHex + ".att";
constexpr std::string_view kVuln = "https://cosign.sigstore.dev/attestation/vuln/v1";
constexpr std::string_view kSbom = "https://cyclonedx.org/bom";

std::string statement_of(std::string_view type, std::string_view predicate) {
  auto s = cosign::make_attestation_statement(kRepo.str(), kImage, type, predicate);
  REQUIRE(s);
  return *s;
}

cosign::NewSignature legacy(const keys::PrivateKey& key, const std::string& statement,
                            std::string_view type) {
  cosign::NewSignature sig;
  sig.format = cosign::Format::legacy;
  sig.kind = cosign::Kind::attestation;
  sig.predicate_type = std::string(type);
  sig.payload =
      cosign::make_envelope(cosign::kInTotoPayloadType, statement, dsse_der(key, statement));
  return sig;
}

cosign::NewSignature bundled(const keys::PrivateKey& key, const std::string& statement,
                             std::string_view type) {
  auto sig = bundle_signature(key, key.public_key(), statement, cosign::Kind::attestation);
  sig.predicate_type = std::string(type);
  return sig;
}

} // namespace

TEST_CASE("make_attestation_statement writes cosign attest's v0.1 statement", "[attestation]") {
  CHECK(
      statement_of(kVuln, R"({"scanner":{}})") ==
      R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + kRepo.str() +
          R"(","digest":{"sha256":")" + kHex +
          R"("}}],"predicateType":"https://cosign.sigstore.dev/attestation/vuln/v1","predicate":{"scanner":{}}})");
  auto annotated = cosign::make_attestation_statement(kRepo.str(), kImage, kSbom, "{}",
                                                      {{"team", "pay"}, {"env", "prod"}});
  REQUIRE(annotated);
  CHECK(annotated->find(R"("digest":{"sha256":")" + kHex +
                        R"("},"annotations":{"env":"prod","team":"pay"}}])") != std::string::npos);
  CHECK_FALSE(cosign::make_attestation_statement(kRepo.str(), "sha256:abc", kSbom, "{}"));
  CHECK_FALSE(cosign::make_attestation_statement("", kImage, kSbom, "{}"));

  auto parsed = cosign::parse_attestation_statement(*annotated);
  REQUIRE(parsed);
  CHECK(parsed->statement.type == cosign::kStatementTypeV01);
  CHECK(parsed->statement.predicate_type == kSbom);
  CHECK(parsed->statement.subjects.at(0).annotations.at("team") == "pay");
  CHECK(parsed->predicate == nlohmann::json::object());
}

TEST_CASE("parse_attestation_statement keeps the predicate and reads cosign's spdx string",
          "[attestation]") {
  auto p = cosign::parse_attestation_statement(statement_of(kVuln, R"({"a":[1,2,{"b":null}]})"));
  REQUIRE(p);
  CHECK(p->predicate["a"][2].contains("b"));
  const std::string spdx =
      R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"r",)"
      R"("digest":{"sha256":")" +
      kHex +
      R"("}}],"predicateType":"https://spdx.dev/Document","predicate":"SPDXVersion: SPDX-2.3"})";
  auto s = cosign::parse_attestation_statement(spdx);
  REQUIRE(s);
  CHECK(s->predicate == "SPDXVersion: SPDX-2.3");
  // A string predicate of any other type, an unknown key, an empty type: refused.
  std::string other = spdx;
  other.replace(other.find("https://spdx.dev/Document"), 25, "https://example.com/x/v1");
  CHECK_FALSE(cosign::parse_attestation_statement(other));
  CHECK_FALSE(cosign::parse_attestation_statement(
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"aa"}}],"predicateType":"x","predicate":{},"extra":1})"));
  CHECK_FALSE(cosign::parse_attestation_statement(
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"aa"}}],"predicateType":"","predicate":{}})"));
}

TEST_CASE("parse_envelope_document reads cosign v3's and v2's .att layers, strictly",
          "[attestation]") {
  const std::string payload = common::base64_encode("{}");
  const std::string sig = common::base64_encode("der");
  const std::string v3 =
      R"({"payload":")" + payload +
      R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":")" + sig + R"("}]})";
  const std::string v2 = R"({"payloadType":"application/vnd.in-toto+json","payload":")" + payload +
                         R"(","signatures":[{"keyid":"","sig":")" + sig + R"("}]})";
  for (const auto& text : {v3, v2}) {
    auto e = cosign::parse_envelope_document(text);
    REQUIRE(e);
    CHECK(e->payload == "{}");
    CHECK(e->signature == "der");
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not JSON", "{"},
      {"two signatures",
       R"({"payload":")" + payload +
           R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":")" + sig +
           R"("},{"sig":")" + sig + R"("}]})"},
      {"no signature", R"({"payload":")" + payload +
                           R"(","payloadType":"application/vnd.in-toto+json","signatures":[]})"},
      {"other payload type", R"({"payload":")" + payload +
                                 R"(","payloadType":"text/plain","signatures":[{"sig":")" + sig +
                                 R"("}]})"},
      {"unknown key",
       R"({"payload":")" + payload +
           R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":")" + sig +
           R"("}],"x":1})"},
  };
  for (const auto& [name, text] : bad) {
    INFO(name);
    auto e = cosign::parse_envelope_document(text);
    REQUIRE_FALSE(e);
    CHECK(e.error().kind() == ErrorKind::verification);
  }
}

TEST_CASE("tag store: the same statement by the same key is stored once, --replace keeps others",
          "[attestation]") {
  FakeClient client;
  const auto mine = new_key();
  const auto theirs = new_key();
  const auto my_pub = mine.public_key();
  const auto their_pub = theirs.public_key();
  cosign::AttachOptions options;
  options.signer_key = &my_pub;
  options.max_payload_size = cosign::kMaxAttestationSize;
  options.sleep = [](std::chrono::milliseconds) {};
  cosign::AttachOptions their_options = options;
  their_options.signer_key = &their_pub;
  auto store = cosign::make_tag_store(client, cosign::Kind::attestation);
  const cosign::Subject subject{kRepo, kImage};
  const std::string first = statement_of(kVuln, R"({"scan":1})");

  REQUIRE(store->attach(subject, legacy(mine, first, kVuln), options));
  // Signed again (another ECDSA signature, other envelope bytes): already there.
  auto again = store->attach(subject, legacy(mine, first, kVuln), options);
  REQUIRE(again);
  CHECK(again->outcome == cosign::AttachOutcome::already_present);
  // Another signer's of the same type, and mine of another type.
  REQUIRE(store->attach(subject, legacy(theirs, first, kVuln), their_options));
  REQUIRE(store->attach(subject, legacy(mine, statement_of(kSbom, "{}"), kSbom), options));
  // A second scan of mine: appended without --replace.
  REQUIRE(
      store->attach(subject, legacy(mine, statement_of(kVuln, R"({"scan":2})"), kVuln), options));
  auto before = store->find(subject);
  REQUIRE(before);
  REQUIRE(before->layers.size() == 4);

  // --replace: my two vuln scans give way to the third, put first; the rest byte for byte.
  options.replace = true;
  auto third = legacy(mine, statement_of(kVuln, R"({"scan":3})"), kVuln);
  auto replaced = store->attach(subject, third, options);
  REQUIRE(replaced);
  CHECK(replaced->replaced == 2);
  auto after = store->find(subject);
  REQUIRE(after);
  REQUIRE(after->layers.size() == 3);
  CHECK(after->layers[0].digest == common::sha256_digest(third.payload));
  CHECK(after->layers[1].text == before->layers[1].text); // theirs
  CHECK(after->layers[2].text == before->layers[2].text); // my SBOM
  // Replacing with the same statement again changes nothing.
  auto same =
      store->attach(subject, legacy(mine, statement_of(kVuln, R"({"scan":3})"), kVuln), options);
  REQUIRE(same);
  CHECK(same->outcome == cosign::AttachOutcome::already_present);
  CHECK(store->find(subject)->layers.size() == 3);
}

TEST_CASE("referrers store: attestation bundles stored once per statement, --replace removes "
          "only the signer's older ones",
          "[attestation]") {
  for (bool api : {false, true}) {
    DYNAMIC_SECTION((api ? "with" : "without") << " the referrers API") {
      FakeClient client;
      client.referrers_api = api;
      const auto mine = new_key();
      const auto theirs = new_key();
      const auto my_pub = mine.public_key();
      const auto their_pub = theirs.public_key();
      cosign::AttachOptions options;
      options.signer_key = &my_pub;
      options.max_payload_size = cosign::kMaxAttestationSize;
      options.sleep = [](std::chrono::milliseconds) {};
      cosign::AttachOptions their_options = options;
      their_options.signer_key = &their_pub;
      auto store = cosign::make_referrers_store(client, cosign::Kind::attestation);
      const cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

      const std::string first = statement_of(kVuln, R"({"scan":1})");
      REQUIRE(store->attach(subject, bundled(mine, first, kVuln), options));
      auto again = store->attach(subject, bundled(mine, first, kVuln), options);
      REQUIRE(again);
      CHECK(again->outcome == cosign::AttachOutcome::already_present);
      REQUIRE(store->attach(subject, bundled(theirs, first, kVuln), their_options));
      REQUIRE(store->attach(subject, bundled(mine, statement_of(kVuln, R"({"scan":2})"), kVuln),
                            options));
      REQUIRE(store->find(subject)->layers.size() == 3);

      options.replace = true;
      const std::string third = statement_of(kVuln, R"({"scan":3})");
      auto replaced = store->attach(subject, bundled(mine, third, kVuln), options);
      REQUIRE(replaced);
      CHECK(replaced->replaced == 2);
      auto after = store->find(subject);
      REQUIRE(after);
      REQUIRE(after->layers.size() == 2); // theirs and my third
      std::size_t mine_left = 0;
      for (const auto& l : after->layers) {
        auto blob = client.blobs.at(*l.digest);
        auto b = cosign::parse_bundle(blob);
        REQUIRE(b);
        if (my_pub.verify(cosign::dsse_pae(b->envelope->payload_type, b->envelope->payload),
                          b->envelope->signature, keys::default_hash(my_pub.algorithm()))) {
          ++mine_left;
          CHECK(b->envelope->payload == third);
        }
      }
      CHECK(mine_left == 1);
      CHECK(client.deleted == 2);
    }
  }
}
