// The versioned JSON report of a batch (README.md, "Verification reports"): the exact document
// for a small batch, and the status and role names.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/exit_codes.h"
#include "tests/unit/verify/batch_fixture.h"
#include "verify/batch.h"
#include "verify/report.h"

using namespace isign;
using namespace isign::verify::testing;
using common::ErrorKind;
using common::make_error;

TEST_CASE("report_document: a verified and an invalid image, field by field", "[report]") {
  // Fixed inputs, so every byte is known: the images' manifests (push_image), the testdata key
  // (its key id is `openssl pkey -pubin -outform DER | sha256sum` of its .pub) and the payloads
  // (cosign's simple signing for reg.example/app and each digest, hashed apart from isign too).
  Registry client;
  const auto key = testdata_key();
  const auto signed_image = push_image(client, "signed");
  const auto invalid_image = push_image(client, "invalid");
  REQUIRE(signed_image.digest ==
          "sha256:6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7");
  REQUIRE(invalid_image.digest ==
          "sha256:948a83dec6decf501d181056c45aed1eb365db0fd4b25cfb0e101de72418fc0d");
  sign_target(client, key, signed_image);
  sign_target(client, new_key(), invalid_image); // a key the policy does not trust
  auto store = cosign::make_store(client, cosign::kBothFormats);
  REQUIRE(store);
  const std::vector<std::string> typed = {"reg.example/app@" + signed_image.digest,
                                          "reg.example/app@" + invalid_image.digest};
  const std::vector<registry::Reference> refs = {ref_of(signed_image.digest),
                                                 ref_of(invalid_image.digest)};
  const auto policy = key_policy({key.public_key()});
  auto outcomes = verify::verify_all(client, **store, refs, policy, {}, verify::Limits{}, 2);

  // The signed digest verified without its manifest being read: its mediaType is null. The
  // invalid one was looked up after its check failed.
  const std::string expected = R"json({
  "schemaVersion": 2,
  "exitCode": 1,
  "results": [
    {
      "reference": "reg.example/app@sha256:6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7",
      "scope": "default",
      "digest": "sha256:6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7",
      "mediaType": null,
      "status": "verified",
      "exitCode": 0,
      "error": null,
      "manifests": [
        {
          "digest": "sha256:6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7",
          "mediaType": null,
          "role": "image",
          "platform": null,
          "status": "verified",
          "exitCode": 0,
          "error": null,
          "requirements": [
            {
              "type": "sigstoreSigned",
              "threshold": 1,
              "identity": "matchRepository",
              "validKeys": [
                "sha256:7b3a0e431abe2cc654ac31c5bb6f817a02579d9c350ce6985ca4d65e05941e4a"
              ],
              "satisfied": true
            }
          ],
          "signatures": [
            {
              "index": 0,
              "format": "legacy",
              "where": "reg.example/app:sha256-6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7.sig",
              "payloadDigest": "sha256:fd43d4bd26d1b15889f89eb3631cf90b4d1ec79487245ad43a7047046f8343ef",
              "status": "valid",
              "reason": null,
              "message": null,
              "keyId": "sha256:7b3a0e431abe2cc654ac31c5bb6f817a02579d9c350ce6985ca4d65e05941e4a",
              "identityChecked": true,
              "payload": {
                "critical": {
                  "identity": {
                    "docker-reference": "reg.example/app"
                  },
                  "image": {
                    "docker-manifest-digest": "sha256:6d19120ad2a481b4dd5cbcd7092970558725cf9d5a0d1b24015dd58ca21beaa7"
                  },
                  "type": "cosign container image signature"
                },
                "optional": null
              }
            }
          ],
          "attestations": []
        }
      ]
    },
    {
      "reference": "reg.example/app@sha256:948a83dec6decf501d181056c45aed1eb365db0fd4b25cfb0e101de72418fc0d",
      "scope": "default",
      "digest": "sha256:948a83dec6decf501d181056c45aed1eb365db0fd4b25cfb0e101de72418fc0d",
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "status": "invalid",
      "exitCode": 1,
      "error": "no valid signature among 1: layer 0 (sha256:cec075c87c20440284025b8480c502f07ee3b978c275fa46136fc23b9ec797a5): bad-signature: the signature does not verify with the given key",
      "manifests": [
        {
          "digest": "sha256:948a83dec6decf501d181056c45aed1eb365db0fd4b25cfb0e101de72418fc0d",
          "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "role": "image",
          "platform": null,
          "status": "invalid",
          "exitCode": 1,
          "error": "no valid signature among 1: layer 0 (sha256:cec075c87c20440284025b8480c502f07ee3b978c275fa46136fc23b9ec797a5): bad-signature: the signature does not verify with the given key",
          "requirements": [
            {
              "type": "sigstoreSigned",
              "threshold": 1,
              "identity": "matchRepository",
              "validKeys": [],
              "satisfied": false
            }
          ],
          "signatures": [
            {
              "index": 0,
              "format": "legacy",
              "where": "reg.example/app:sha256-948a83dec6decf501d181056c45aed1eb365db0fd4b25cfb0e101de72418fc0d.sig",
              "payloadDigest": "sha256:cec075c87c20440284025b8480c502f07ee3b978c275fa46136fc23b9ec797a5",
              "status": "invalid",
              "reason": "bad-signature",
              "message": "the signature does not verify with the given key",
              "keyId": null,
              "identityChecked": null,
              "payload": null
            }
          ],
          "attestations": []
        }
      ]
    }
  ]
})json";
  CHECK(verify::report_document(typed, outcomes, common::exit_code_for(ErrorKind::verification)) ==
        expected);
}

TEST_CASE("report_document: messages that are not UTF-8 are replaced, not an error", "[report]") {
  verify::Policy policy;
  policy.default_rule.scope = "default";
  verify::RefOutcome outcome;
  outcome.rule = &policy.default_rule;
  outcome.error = make_error(ErrorKind::registry, "GET: 500 (\xff\xfe)");
  auto doc = verify::report_document({"reg.example/app:v1"}, {outcome}, 7);
  // U+FFFD, in UTF-8, for each byte that is not.
  CHECK_THAT(doc, Catch::Contains("\"error\": \"GET: 500 (\xEF\xBF\xBD\xEF\xBF\xBD)\""));
  CHECK_THAT(doc, Catch::Contains(R"x("status": "registry-error")x"));
  CHECK_THAT(doc, Catch::Contains(R"x("digest": null)x"));
  CHECK_THAT(doc, Catch::Contains(R"x("manifests": [])x"));
}

TEST_CASE("status_name and role_name: the report's stable names", "[report]") {
  const std::pair<ErrorKind, const char*> statuses[] = {
      {ErrorKind::verification, "invalid"},
      {ErrorKind::no_signature, "no-signature"},
      {ErrorKind::not_found, "not-found"},
      {ErrorKind::network, "network-error"},
      {ErrorKind::registry, "registry-error"},
      {ErrorKind::throttled, "throttled"},
      {ErrorKind::limit, "limit"},
      {ErrorKind::usage, "usage"},
      {ErrorKind::key, "error"},
      {ErrorKind::io, "error"},
  };
  for (const auto& [kind, name] : statuses) {
    INFO(name);
    CHECK(verify::status_name(make_error(kind, "x"), false) == name);
  }
  CHECK(verify::status_name(make_error(ErrorKind::verification, "x"), true) == "rejected");
  CHECK(verify::role_name(registry::Target::Role::image) == "image");
  CHECK(verify::role_name(registry::Target::Role::index) == "index");
  CHECK(verify::role_name(registry::Target::Role::child) == "child");
}
