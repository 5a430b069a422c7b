// Attestations against independent implementations: sigstore-js verifies every attestation bundle
// isign writes, node:crypto alone (tests/interop/verify-dsse.mjs) every .att layer; isign verifies
// an attestation bundle @sigstore/bundle built and @sigstore/oci attached, and a cosign-layout
// .att written here with openssl (docs/formats.md section 13), in both envelope shapes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/e2e/attest_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// node verify-bundle.mjs over a bundle, for an image digest and a predicate type.
RunResult node_verify_bundle(const TempDir& dir, const std::string& bundle, const std::string& pub,
                             const std::string& digest, const std::string& predicate_type) {
  static int n = 0;
  const std::string path = dir / ("bundle-" + std::to_string(++n) + ".json");
  write_text(path, bundle);
  return run_interop("verify-bundle.mjs", {"--bundle", path, "--key", pub, "--digest", digest,
                                           "--predicate-type", predicate_type});
}

// node verify-dsse.mjs over an envelope.
RunResult node_verify_dsse(const TempDir& dir, const std::string& envelope, const std::string& pub,
                           const std::string& digest, const std::string& predicate_type) {
  static int n = 0;
  const std::string path = dir / ("envelope-" + std::to_string(++n) + ".json");
  write_text(path, envelope);
  return run_interop("verify-dsse.mjs", {"--envelope", path, "--key", pub, "--digest", digest,
                                         "--predicate-type", predicate_type});
}

// cosign attest's v0.1 statement (docs/formats.md section 9), written out by hand.
std::string statement_v01(const std::string& name, const std::string& digest,
                          const std::string& predicate_type, const std::string& predicate_json) {
  return R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + name +
         R"(","digest":{"sha256":")" + hex_of(digest) + R"("}}],"predicateType":")" +
         predicate_type + R"(","predicate":)" + predicate_json + "}";
}

// The DER ECDSA signature openssl makes over the statement's PAE with PEM (P-256: SHA-256).
std::string openssl_sign_pae(const TempDir& dir, const std::string& pem,
                             const std::string& statement) {
  write_text(dir / "pae.bin", pae_of(kInTotoType, statement));
  return openssl({"dgst", "-sha256", "-sign", pem, dir / "pae.bin"});
}

const std::string kCosignVuln = "attestations/trivy-cosign-vuln-alpine-310.json";

} // namespace

TEST_CASE("interop: attestations isign writes verify with sigstore-js and node:crypto",
          "[e2e][interop][attest]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  interop_script("verify-dsse.mjs");
  write_text(dir / "trivy.json", trivy_report(utc_text(-std::chrono::hours(1)),
                                              {{"CVE-2023-1234", "CRITICAL", "libssl3", "3.0.9"}}));
  write_text(dir / "grype.json", grype_report(utc_text(-std::chrono::hours(1)),
                                              {{"CVE-2023-1", "High", "zlib", "1.2"}}));
  write_text(dir / "bom.json", read_text(testdata("attestations/syft-cyclonedx-image.json")));
  write_text(dir / "prov.json", read_text(testdata("attestations/slsa-v1-delegator.json")));
  auto other = new_key_pair(dir, "other");
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", dir / "trivy.json", ref}).exit_code ==
          kOk);
  REQUIRE(
      attest(reg, other, {"--type", "vuln", "--predicate", dir / "grype.json", ref}).exit_code ==
      kOk);
  REQUIRE(
      attest(reg, key, {"--type", "cyclonedx", "--predicate", dir / "bom.json", ref}).exit_code ==
      kOk);
  REQUIRE(attest(reg, key, {"--type", "slsaprovenance1", "--predicate", dir / "prov.json", ref})
              .exit_code == kOk);
  REQUIRE(sign_image(reg, key, {"--format", "bundle", ref}).exit_code == kOk); // not counted

  const std::string other_digest = "sha256:" + std::string(64, 'b');
  std::size_t bundles = 0;
  for (const auto& b : bundle_referrers_of(reg, "app", digest)) {
    const auto parts = dsse_of(b.bundle);
    const std::string type = json::parse(parts.statement)["predicateType"];
    if (type == kSignPredicate)
      continue;
    ++bundles;
    INFO("predicateType " << type);
    CHECK(b.doc["annotations"]["dev.sigstore.bundle.predicateType"] == type);
    CHECK(parts.payload_type == kInTotoType);
    // Exactly one of the two keys signed it, and sigstore-js agrees with the statement's type.
    const bool ours = node_verify_bundle(dir, b.bundle, key + ".pub", digest, type).exit_code == 0;
    const bool theirs =
        node_verify_bundle(dir, b.bundle, other + ".pub", digest, type).exit_code == 0;
    CHECK(ours != theirs);
    const std::string signer = (ours ? key : other) + ".pub";
    CHECK(node_verify_bundle(dir, b.bundle, signer, other_digest, type).exit_code == 1);
    CHECK(node_verify_bundle(dir, b.bundle, signer, digest, kSignPredicate).exit_code == 1);
  }
  CHECK(bundles == 4);

  const auto att = att_of(reg, "app", digest);
  REQUIRE(att.envelopes.size() == 4);
  std::size_t ours = 0;
  for (std::size_t i = 0; i < att.envelopes.size(); ++i) {
    const std::string type = att.doc["layers"][i]["annotations"]["predicateType"];
    auto r = node_verify_dsse(dir, att.envelopes[i], key + ".pub", digest, type);
    if (r.exit_code == 0) {
      ++ours;
      CHECK(r.out == "ok\n");
      CHECK(node_verify_dsse(dir, att.envelopes[i], key + ".pub", other_digest, type).exit_code ==
            1);
      CHECK(
          node_verify_dsse(dir, att.envelopes[i], key + ".pub", digest, kSignPredicate).exit_code ==
          1);
    } else {
      CHECK(node_verify_dsse(dir, att.envelopes[i], other + ".pub", digest, type).exit_code == 0);
    }
  }
  CHECK(ours == 3);
}

TEST_CASE("interop: an attestation bundle built by @sigstore/bundle verifies with isign",
          "[e2e][interop][attest]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto ec = openssl_ec_key(dir, "node", "P-256");
  auto image = get_manifest(reg, "app", digest);
  REQUIRE(image.status == 200);
  write_text(dir / "vuln.json", read_text(testdata(kCosignVuln)));
  auto attached = run_interop("attach-bundle.mjs",
                              {"--registry", "http://" + reg.url(), "--repo", "app", "--digest",
                               digest, "--media-type", image.header("content-type"), "--size",
                               std::to_string(image.body.size()), "--key", ec + ".pem",
                               "--predicate-type", kVulnPredicate, "--predicate", dir / "vuln.json",
                               "--subject-name", reg.url() + "/app"});
  REQUIRE(attached.exit_code == 0);
  auto referrers = bundle_referrers_of(reg, "app", digest);
  REQUIRE(referrers.size() == 1);
  // sigstore-js's own serialisation, not cosign's: keyid set, timestampVerificationData empty.
  const auto bundle = json::parse(referrers[0].bundle);
  CHECK(bundle["verificationMaterial"].contains("timestampVerificationData"));
  CHECK(bundle["dsseEnvelope"]["signatures"][0]["keyid"] ==
        bundle["verificationMaterial"]["publicKey"]["hint"]);
  CHECK(get_manifest(reg, "app", att_tag_of(digest)).status == 404);

  const auto by_pub = with(reg.client_flags(), {"--key", ec + ".pub.pem", "--type", "vuln"});
  auto ok = isign_cmd("verify-attestation", by_pub, {ref});
  CHECK(ok.exit_code == kOk);
  auto printed = envelopes_printed(ok);
  REQUIRE(printed.size() == 1);
  CHECK(printed[0].statement["subject"][0]["name"] == reg.url() + "/app");
  CHECK(printed[0].statement["predicate"] == json::parse(read_text(dir / "vuln.json")));
  CHECK(isign_cmd("verify-attestation", with(by_pub, {"--format", "bundle"}), {ref}).exit_code ==
        kOk);
  CHECK(isign_cmd("verify-attestation", with(by_pub, {"--format", "legacy"}), {ref}).exit_code ==
        kNoSignature);
  // The gates read what trivy --format cosign-vuln wrote (CVE-2021-36159, CRITICAL, 2022).
  auto critical =
      isign_cmd("verify-attestation", with(by_pub, {"--fail-on-severity", "CRITICAL"}), {ref});
  CHECK(critical.exit_code == kInvalid);
  for (const char* word : {"CVE-2021-36159", "CRITICAL", "apk-tools", "2.10.6-r0", "trivy"})
    CHECK(contains(critical.err, word));
  CHECK(isign_cmd("verify-attestation", with(by_pub, {"--max-scan-age", "30d"}), {ref}).exit_code ==
        kInvalid);
  CHECK(isign_cmd("verify-attestation", with(reg.client_flags(), key_flags({key})),
                  {"--type", "vuln", ref})
            .exit_code == kInvalid);
  CHECK(isign_cmd("verify-attestation", with(reg.client_flags(), {"--key", ec + ".pub.pem"}),
                  {"--type", "cyclonedx", ref})
            .exit_code == kNoSignature);
}

TEST_CASE("interop: a cosign-layout .att attestation written without isign verifies, isign appends",
          "[e2e][interop][attest]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto a = openssl_ec_key(dir, "a", "P-256");
  auto b = openssl_ec_key(dir, "b", "P-256");
  const std::string predicate = json::parse(read_text(testdata(kCosignVuln))).dump();
  const std::string statement =
      statement_v01(reg.url() + "/app", digest, kVulnPredicate, predicate);
  const std::string sig_a =
      isign::common::base64_encode(openssl_sign_pae(dir, a + ".pem", statement));
  const std::string sig_b =
      isign::common::base64_encode(openssl_sign_pae(dir, b + ".pem", statement));
  // cosign v3's envelope shape by key a, cosign v2.6's (payloadType first, empty keyid) by key b.
  const std::string v3 =
      R"({"payload":")" + isign::common::base64_encode(statement) +
      R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":")" + sig_a +
      R"("}]})";
  const std::string v2 = R"({"payloadType":"application/vnd.in-toto+json","payload":")" +
                         isign::common::base64_encode(statement) +
                         R"(","signatures":[{"keyid":"","sig":")" + sig_b + R"("}]})";
  push_att(reg, "app", digest, {v3, v2}, kVulnPredicate);
  // The independent checker agrees before isign is asked.
  CHECK(node_verify_dsse(dir, v3, a + ".pub.pem", digest, kVulnPredicate).exit_code == 0);
  CHECK(node_verify_dsse(dir, v2, b + ".pub.pem", digest, kVulnPredicate).exit_code == 0);

  struct Case {
    const char* name;
    std::string pem, envelope;
  };
  for (const auto& [name, pem, envelope] :
       {Case{"v3 shape, key a", a, v3}, Case{"v2 shape, key b", b, v2}}) {
    DYNAMIC_SECTION(name) {
      auto r =
          isign_cmd("verify-attestation", with(reg.client_flags(), {"--key", pem + ".pub.pem"}),
                    {"--type", "vuln", "--format", "legacy", ref});
      CHECK(r.exit_code == kOk);
      REQUIRE(envelopes_printed(r).size() == 1);
      CHECK(r.out == envelope + "\n"); // the stored bytes, as cosign prints them
    }
  }
  auto both = isign_cmd("verify-attestation",
                        with(reg.client_flags(), {"--key", a + ".pub.pem", "--key", b + ".pub.pem",
                                                  "--threshold", "2"}),
                        {"--type", "vuln", ref});
  CHECK(both.exit_code == kOk);
  CHECK(isign_cmd("verify-attestation", with(reg.client_flags(), {"--key", a + ".pub.pem"}),
                  {"--type", "vuln", "--fail-on-severity", "HIGH", ref})
            .exit_code == kInvalid);
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", ref}).exit_code == kInvalid);

  // isign appends its own layer and keeps cosign's byte for byte.
  const auto before = att_of(reg, "app", digest);
  write_text(dir / "vuln.json", predicate);
  REQUIRE(attest(reg, key,
                 {"--type", "vuln", "--predicate", dir / "vuln.json", "--format", "legacy", ref})
              .exit_code == kOk);
  const auto after = att_of(reg, "app", digest);
  REQUIRE(after.envelopes.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(after.envelopes[i] == before.envelopes[i]);
    CHECK(after.doc["layers"][i] == before.doc["layers"][i]);
  }
  CHECK(node_verify_dsse(dir, after.envelopes[2], key + ".pub", digest, kVulnPredicate).exit_code ==
        0);
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", ref}).exit_code == kOk);
}
