// verify_target and verify_all over the in-memory registry and the real cosign stores, with
// signatures made by sign::sign_image: what passes, what fails and with which kind, and how often
// each signature is fetched and verified.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/digest.h"
#include "cosign/store.h"
#include "tests/unit/verify/batch_fixture.h"
#include "verify/batch.h"
#include "verify/image_verifier.h"

using namespace isign;
using namespace isign::verify::testing;
using common::ErrorKind;
using isign::testing::kRepo;

namespace {

std::unique_ptr<cosign::SignatureStore> store_of(Registry& client,
                                                 cosign::Formats formats = cosign::kBothFormats) {
  auto store = cosign::make_store(client, formats);
  REQUIRE(store);
  return std::move(*store);
}

// Replaces the docker-reference of the .sig's first payload and points the layer at the new
// blob: a payload changed after signing, its signature left as it was.
void tamper_legacy_payload(Registry& client, const registry::Target& target) {
  std::string tag = target.digest;
  tag[tag.find(':')] = '-';
  tag += ".sig";
  std::lock_guard lock(client.mu);
  auto manifest = nlohmann::ordered_json::parse(client.tags.at(tag));
  auto& layer = manifest["layers"][0];
  std::string payload = client.blobs.at(layer["digest"].get<std::string>());
  const std::string from = "\"" + kRepo.str() + "\"";
  REQUIRE(payload.find(from) != std::string::npos);
  payload.replace(payload.find(from), from.size(), "\"reg.example/evil\"");
  const std::string digest = common::sha256_digest(payload);
  client.blobs[digest] = payload;
  layer["digest"] = digest;
  layer["size"] = payload.size();
  client.tags[tag] = manifest.dump();
}

verify::TargetResult check(Registry& client, const registry::Target& target,
                           const verify::Policy& policy,
                           cosign::Formats formats = cosign::kBothFormats) {
  auto store = store_of(client, formats);
  const auto ref = ref_of(target.digest);
  return verify::verify_target(*store, ref, target, policy.rule_for(ref), verify::Limits{});
}

} // namespace

TEST_CASE("verify_target: a signed image passes, its payload fetched once, the referrers never "
          "listed",
          "[batch]") {
  Registry client;
  const auto key = testdata_key();
  const auto target = push_image(client, "signed");
  const std::string payload = sign_target(client, key, target);
  const int listings_before = client.listings;

  auto r = check(client, target, key_policy({key.public_key()}));
  INFO((r.error ? r.error->message() : "passed"));
  CHECK_FALSE(r.error);
  CHECK_FALSE(r.rejected_by_policy);
  CHECK_FALSE(r.accepted_unsigned);
  REQUIRE(r.reports.size() == 1);
  CHECK(r.reports[0].verified());
  REQUIRE(r.reports[0].signatures.size() == 1);
  const auto& s = r.reports[0].signatures[0];
  CHECK(s.ok());
  CHECK(s.format == cosign::Format::legacy);
  CHECK(s.payload_digest == payload);
  CHECK(s.key_id == verify::key_id(key.public_key()));
  CHECK(client.gets_of(payload) == 1);
  CHECK(client.listings == listings_before); // the .sig settled it
}

TEST_CASE("verify_target: a bundle-signed image passes through the referrers", "[batch]") {
  Registry client;
  const auto key = new_key();
  const auto target = push_image(client, "bundle");
  const std::string bundle = sign_target(client, key, target, cosign::Format::bundle);

  auto r = check(client, target, key_policy({key.public_key()}));
  INFO((r.error ? r.error->message() : "passed"));
  CHECK_FALSE(r.error);
  REQUIRE(r.reports.size() == 1);
  REQUIRE(r.reports[0].signatures.size() == 1);
  CHECK(r.reports[0].signatures[0].ok());
  CHECK(r.reports[0].signatures[0].format == cosign::Format::bundle);
  CHECK(client.gets_of(bundle) == 1);
}

TEST_CASE("verify_target: an unsigned image fails with no_signature", "[batch]") {
  Registry client;
  const auto target = push_image(client, "unsigned");
  auto r = check(client, target, key_policy({new_key().public_key()}));
  REQUIRE(r.error);
  CHECK(r.error->kind() == ErrorKind::no_signature);
  CHECK_FALSE(r.rejected_by_policy);
  REQUIRE(r.reports.size() == 1);
  CHECK(r.reports[0].signatures.empty());
  CHECK(client.blob_gets.empty());
}

TEST_CASE("verify_target: a payload changed after signing fails verification", "[batch]") {
  Registry client;
  const auto key = new_key();
  const auto target = push_image(client, "tampered");
  sign_target(client, key, target);
  tamper_legacy_payload(client, target);

  auto r = check(client, target, key_policy({key.public_key()}));
  REQUIRE(r.error);
  CHECK(r.error->kind() == ErrorKind::verification);
  REQUIRE(r.reports.size() == 1);
  REQUIRE(r.reports[0].signatures.size() == 1);
  CHECK(r.reports[0].signatures[0].failure == verify::Failure::bad_signature);
}

TEST_CASE("verify_target: a signature signed by another key fails verification", "[batch]") {
  Registry client;
  const auto target = push_image(client, "other key");
  sign_target(client, new_key(), target);
  auto r = check(client, target, key_policy({new_key().public_key()}));
  REQUIRE(r.error);
  CHECK(r.error->kind() == ErrorKind::verification);
  CHECK(r.reports[0].signatures.at(0).failure == verify::Failure::bad_signature);
}

TEST_CASE("verify_target: each signature is verified once, when the rule is met and when not",
          "[batch]") {
  // A payload the registry refuses (a limit error) is not remembered by the fetcher, unlike a
  // fetched or a failed one: each verification of its layer asks for it again. One GET of it is
  // one verification of every layer (a second pass over the found layers was once made).
  Registry client;
  const auto key = new_key();
  const auto other = new_key();
  const auto target = push_image(client, "two signatures");
  const std::string valid = sign_target(client, key, target);
  const std::string refused =
      sign_target(client, other, target, cosign::Format::legacy, {{"by", "other"}});
  REQUIRE(valid != refused);
  client.refuse_blob[refused] = true;

  SECTION("met by the .sig: no referrers read") {
    auto r = check(client, target, key_policy({key.public_key()}));
    CHECK_FALSE(r.error);
    REQUIRE(r.reports[0].signatures.size() == 2);
    CHECK(r.reports[0].signatures[1].failure == verify::Failure::fetch_failed);
    CHECK(client.gets_of(valid) == 1);
    CHECK(client.gets_of(refused) == 1);
  }
  SECTION("not met, and no place after the .sig") {
    auto r = check(client, target, key_policy({new_key().public_key()}),
                   cosign::Formats{cosign::Format::legacy});
    REQUIRE(r.error);
    CHECK(r.error->kind() == ErrorKind::verification);
    CHECK(client.gets_of(valid) == 1);
    CHECK(client.gets_of(refused) == 1);
  }
  SECTION("two requirements share the fetched payloads") {
    auto policy = key_policy({key.public_key()});
    policy.default_rule.requirements.push_back(policy.default_rule.requirements[0]);
    auto r = check(client, target, policy);
    CHECK_FALSE(r.error);
    REQUIRE(r.reports.size() == 2);
    CHECK(r.reports[1].verified());
    CHECK(client.gets_of(valid) == 1);
    CHECK(client.gets_of(refused) == 2); // once per requirement: refusals are not remembered
  }
}

TEST_CASE("verify_all: signed, unsigned, tampered, by tag and missing, each with its kind",
          "[batch]") {
  Registry client;
  const auto key = testdata_key();
  const auto signed_image = push_image(client, "signed");
  const auto unsigned_image = push_image(client, "unsigned");
  const auto tampered = push_image(client, "tampered");
  const auto tagged = push_image(client, "tagged", "v1");
  const std::string signed_payload = sign_target(client, key, signed_image);
  sign_target(client, key, tampered);
  tamper_legacy_payload(client, tampered);
  const std::string tagged_payload = sign_target(client, key, tagged);
  const std::string missing = "sha256:" + std::string(64, 'f');

  const std::vector<registry::Reference> refs = {
      ref_of(signed_image.digest), ref_of(unsigned_image.digest), ref_of(tampered.digest),
      ref_of("v1"), ref_of(missing)};
  const auto policy = key_policy({key.public_key()});
  auto store = store_of(client);
  auto outcomes = verify::verify_all(client, *store, refs, policy, {}, verify::Limits{}, 4);
  REQUIRE(outcomes.size() == refs.size());
  bool rejected = true;

  // Signed, by digest: verified without reading (HEAD) its manifest.
  const auto& ok = outcomes[0];
  CHECK(ok.failure(&rejected) == nullptr);
  CHECK(ok.rule == &policy.default_rule);
  REQUIRE(ok.resolution);
  CHECK(ok.resolution->digest == signed_image.digest);
  CHECK(ok.resolution->media_type.empty());
  REQUIRE(ok.results.size() == 1);
  CHECK(ok.results[0].reports.at(0).verified());

  // Unsigned, by digest: looked up after the check failed; it exists, so no signature.
  const auto* none = outcomes[1].failure(&rejected);
  REQUIRE(none);
  CHECK(none->kind() == ErrorKind::no_signature);
  CHECK_FALSE(rejected);
  REQUIRE(outcomes[1].resolution);
  CHECK(outcomes[1].resolution->media_type == registry::kOciManifest);

  const auto* invalid = outcomes[2].failure(&rejected);
  REQUIRE(invalid);
  CHECK(invalid->kind() == ErrorKind::verification);
  CHECK_FALSE(rejected);

  // By tag: resolved first, then verified.
  CHECK(outcomes[3].failure(&rejected) == nullptr);
  REQUIRE(outcomes[3].targets.size() == 1);
  CHECK(outcomes[3].targets[0].digest == tagged.digest);

  // A digest the registry does not have: not found, not unsigned.
  const auto* not_found = outcomes[4].failure(&rejected);
  REQUIRE(not_found);
  CHECK(not_found->kind() == ErrorKind::not_found);
  CHECK(outcomes[4].results.empty());

  // One HEAD for each reference but the signed digest; each payload fetched once.
  CHECK(client.heads == 4);
  CHECK(client.gets_of(signed_payload) == 1);
  CHECK(client.gets_of(tagged_payload) == 1);
}

TEST_CASE("verify_all: each signature is verified once across the batch", "[batch]") {
  Registry client;
  const auto key = new_key();
  const auto other = new_key();
  std::vector<registry::Reference> refs;
  std::vector<std::string> refused;
  for (int i = 0; i < 6; ++i) {
    const auto target = push_image(client, "image-" + std::to_string(i));
    sign_target(client, key, target);
    refused.push_back(
        sign_target(client, other, target, cosign::Format::legacy, {{"image", std::to_string(i)}}));
    client.refuse_blob[refused.back()] = true;
    refs.push_back(ref_of(target.digest));
  }
  const auto policy = key_policy({key.public_key()}); // the outcomes point into it
  auto store = store_of(client);
  auto outcomes = verify::verify_all(client, *store, refs, policy, {}, verify::Limits{}, 3);
  for (std::size_t i = 0; i < refs.size(); ++i) {
    INFO("image " << i);
    bool rejected = false;
    CHECK(outcomes[i].failure(&rejected) == nullptr);
    CHECK(client.gets_of(refused[i]) == 1);
  }
  CHECK(client.heads == 0);
}

TEST_CASE("verify_all: a rule that rejects asks the registry nothing", "[batch]") {
  Registry client;
  const auto target = push_image(client, "any");
  verify::Policy policy;
  policy.default_rule.scope = "default";
  verify::Requirement reject;
  reject.type = verify::Requirement::Type::reject;
  policy.default_rule.requirements.push_back(reject);
  auto store = store_of(client);
  auto outcomes =
      verify::verify_all(client, *store, {ref_of(target.digest)}, policy, {}, verify::Limits{}, 2);
  REQUIRE(outcomes.size() == 1);
  bool rejected = false;
  const auto* e = outcomes[0].failure(&rejected);
  REQUIRE(e);
  CHECK(rejected);
  CHECK(e->kind() == ErrorKind::verification);
  CHECK(e->message() == "the policy's default rejects this image");
  CHECK(client.heads == 0);
  CHECK(client.gets == 0);
}
