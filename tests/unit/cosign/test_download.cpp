// download's lines (cosign/download.h) over a scene signed in both formats by two keys: bundles
// first, then cosign's SignedPayload per .sig layer; envelopes per attestation, by type.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cosign/download.h"
#include "tests/unit/cosign/signed_scene.h"

using namespace isign;
using namespace isign::testing;
using nlohmann::json;

TEST_CASE("download: signatures and attestations as cosign prints them", "[download]") {
  SignedScene s;
  const auto a = new_key(), b = new_key();
  s.sign_all(a, "a");
  s.sign_all(b, "b");

  cosign::DownloadQuery q;
  auto sigs = cosign::download_lines(s.client, s.subject, q);
  REQUIRE(sigs);
  REQUIRE(sigs->size() == 4);
  CHECK(json::parse((*sigs)[0]).contains("dsseEnvelope"));
  CHECK(json::parse((*sigs)[1]).contains("dsseEnvelope"));
  const auto legacy = json::parse((*sigs)[2]);
  CHECK((*sigs)[2].rfind(R"({"Base64Signature":")", 0) == 0);
  CHECK((*sigs)[2].find(R"(,"Cert":null,"Chain":null,"Bundle":null,"RFC3161Timestamp":null})") !=
        std::string::npos);
  auto payload = common::base64_decode(legacy["Payload"].get<std::string>());
  REQUIRE(payload);
  CHECK(payload->find(R"("optional":{"note":"a"})") != std::string::npos);

  q.formats = {cosign::Format::legacy};
  auto only_legacy = cosign::download_lines(s.client, s.subject, q);
  REQUIRE(only_legacy);
  CHECK(only_legacy->size() == 2);

  q = {};
  q.kind = cosign::Kind::attestation;
  auto atts = cosign::download_lines(s.client, s.subject, q);
  REQUIRE(atts);
  REQUIRE(atts->size() == 4);
  for (const auto& line : *atts) {
    CHECK(line.rfind(R"({"payloadType":"application/vnd.in-toto+json","payload":")", 0) == 0);
    CHECK(line.find(R"("signatures":[{"keyid":"","sig":")") != std::string::npos);
  }
  q.predicate_type = "https://example.com/none";
  auto none = cosign::download_lines(s.client, s.subject, q);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == common::ErrorKind::no_signature);
  CHECK_THAT(none.error().message(), Catch::Contains("no attestations with predicate type"));
}

TEST_CASE("download: nothing attached is no_signature", "[download]") {
  SignedScene s;
  auto none = cosign::download_lines(s.client, s.subject, {});
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == common::ErrorKind::no_signature);
  CHECK_THAT(none.error().message(), Catch::Contains("no signatures associated with"));
}
