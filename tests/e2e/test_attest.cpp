// attest and verify-attestation against the real registry, through the binary: vulnerability
// reports (Trivy, Grype) in both formats, the gates, what is missing or signed by another key,
// idempotence and --replace, predicates refused before anything is written, policies with
// attestation rules (verify and verify-attestation), the JSON report, tampered .att layers and a
// registry that is down. Artifacts are read back with the independent image helpers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/e2e/attest_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const ReportFinding kCritical{"CVE-2023-1234", "CRITICAL", "libssl3", "3.0.9"};
const ReportFinding kMedium{"CVE-2023-5678", "MEDIUM", "zlib1g", "1.2.13"};
const ReportFinding kGrypeHigh{"CVE-2023-1", "High", "zlib", "1.2"};

// A registry with app:v1, a key pair "k", and reports scanned an hour ago in dir: trivy.json (one
// CRITICAL finding), grype.json (one High finding), clean.json (Trivy, one MEDIUM finding).
struct AttestScene : SignScene {
  std::string trivy = dir / "trivy.json";
  std::string grype = dir / "grype.json";
  std::string clean = dir / "clean.json";
  AttestScene() {
    const std::string an_hour_ago = utc_text(-std::chrono::hours(1));
    write_text(trivy, trivy_report(an_hour_ago, {kCritical}));
    write_text(grype, grype_report(an_hour_ago, {kGrypeHigh}));
    write_text(clean, trivy_report(an_hour_ago, {kMedium}));
  }
  // Another image in the same repository, by digest.
  std::string another_image(const std::string& tag) {
    return reg.ref("app@" + push_random_image(reg, "app", tag));
  }
};

// The subject digest of an envelope's statement.
std::string subject_digest(const Envelope& e) {
  return "sha256:" + e.statement["subject"][0]["digest"]["sha256"].get<std::string>();
}

// Checks what verify-attestation printed: every line an in-toto envelope of predicate_type about
// digest in repository name; returns how many.
std::size_t check_printed(const RunResult& r, const std::string& name, const std::string& digest,
                          const std::string& predicate_type) {
  auto printed = envelopes_printed(r);
  for (const auto& e : printed) {
    INFO("statement: " << e.statement_bytes);
    CHECK(e.payload_type == kInTotoType);
    CHECK(e.statement["_type"] == kStatementV01);
    CHECK(e.statement["predicateType"] == predicate_type);
    REQUIRE(e.statement["subject"].size() == 1);
    CHECK(e.statement["subject"][0]["name"] == name);
    CHECK(subject_digest(e) == digest);
  }
  return printed.size();
}

// The .att layer descriptors cosign writes, checked member by member (docs/formats.md section
// 13); predicate_type "" wants each layer annotated with its own statement's predicateType.
void check_att_layers(const AttArtifact& att, const std::string& predicate_type) {
  INFO(".att manifest: " << att.manifest);
  REQUIRE(att.status == 200);
  CHECK(att.doc["mediaType"] == kOciManifestType);
  for (std::size_t i = 0; i < att.doc["layers"].size(); ++i) {
    const auto& l = att.doc["layers"][i];
    CHECK(l["mediaType"] == kDsseLayerType);
    CHECK(l["size"] == att.envelopes[i].size());
    std::string type = predicate_type;
    if (type.empty())
      type = envelope_of(att.envelopes[i]).statement["predicateType"].get<std::string>();
    CHECK(l["annotations"] == ordered_json({{kSigAnnotation, ""}, {"predicateType", type}}));
  }
}

// How many of the envelopes verify under PREFIX.pub (the test's own PAE, not isign's).
std::size_t signed_by(const std::vector<std::string>& envelopes, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& text : envelopes) {
    auto e = envelope_of(text);
    if (signature_verifies(prefix + ".pub", pae_of(e.payload_type, e.statement_bytes),
                           isign::common::base64_encode(e.signature)))
      ++n;
  }
  return n;
}

std::string write_policy(const TempDir& dir, const std::string& text) {
  write_text(dir / "policy.json", text);
  return dir / "policy.json";
}

} // namespace

TEST_CASE("attest: Trivy and Grype reports in both formats verify, envelopes printed as cosign's",
          "[e2e][attest]") {
  AttestScene scene;
  const std::string name = scene.reg.url() + "/app";

  struct Case {
    const char* scanner;
    std::string report;
  };
  for (const auto& c : {Case{"trivy", scene.trivy}, Case{"grype", scene.grype}}) {
    DYNAMIC_SECTION(c.scanner) {
      const std::string image = scene.another_image(c.scanner);
      const std::string image_digest = image.substr(image.find('@') + 1);
      auto a = attest(scene.reg, scene.key, {"--type", "vuln", "--predicate", c.report, image});
      REQUIRE(a.exit_code == kOk);

      // Both formats were written: the .att and a referrer annotated with the predicate type.
      auto att = att_of(scene.reg, "app", image_digest);
      REQUIRE(att.envelopes.size() == 1);
      check_att_layers(att, kVulnPredicate);
      CHECK(referrer_predicate_types(scene.reg, "app", image_digest) ==
            std::vector<std::string>{kVulnPredicate});
      auto stored = envelope_of(att.envelopes[0]);
      CHECK(stored.statement["predicate"]["scanner"]["uri"].get<std::string>().find(c.scanner) !=
            std::string::npos);
      CHECK(stored.statement["predicate"]["metadata"].contains("scanFinishedOn"));

      auto v = verify_attestation(scene.reg, {scene.key}, {"--type", "vuln", image});
      CHECK(v.exit_code == kOk);
      CHECK(check_printed(v, name, image_digest, kVulnPredicate) >= 1);
      CHECK(contains(v.err, "Verification for"));

      // --format both reads and prints every one: the .att layer and the bundle's envelope.
      auto both =
          verify_attestation(scene.reg, {scene.key}, {"--type", "vuln", "--format", "both", image});
      CHECK(both.exit_code == kOk);
      CHECK(check_printed(both, name, image_digest, kVulnPredicate) == 2);

      // The vuln URI given in full is the same type.
      CHECK(
          verify_attestation(scene.reg, {scene.key}, {"--type", kVulnPredicate, image}).exit_code ==
          kOk);
      // The cosign-vuln predicate made of the report holds the report itself.
      std::string got = stored.statement["predicate"]["scanner"]["result"].dump();
      CHECK(got == json::parse(read_text(c.report)).dump());
    }
  }
}

TEST_CASE("attest: vuln gates: severity, the allow list, scan age", "[e2e][attest][gates]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  auto& ref = scene.ref;
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, ref}).exit_code == kOk);
  auto gate = [&](std::vector<std::string> extra, const std::string& image) {
    std::vector<std::string> args = {"--type", "vuln"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(image);
    return verify_attestation(reg, {key}, args);
  };

  auto high = gate({"--fail-on-severity", "HIGH"}, ref);
  CHECK(high.exit_code == kInvalid);
  CHECK(high.out.empty());
  for (const char* word : {"CVE-2023-1234", "CRITICAL", "libssl3", "3.0.9", "trivy"})
    CHECK(contains(high.err, word));
  CHECK(gate({"--fail-on-severity", "critical"}, ref).exit_code == kInvalid); // case-blind

  const std::string next_year = utc_day(365 * kDay), last_month = utc_day(-30 * kDay);
  auto allowed = gate({"--fail-on-severity", "HIGH", "--allow", "CVE-2023-1234=" + next_year}, ref);
  CHECK(allowed.exit_code == kOk);
  CHECK(envelopes_printed(allowed).size() >= 1);
  CHECK(gate({"--fail-on-severity", "HIGH", "--allow", "cve-2023-1234=" + next_year}, ref)
            .exit_code == kOk);
  auto expired =
      gate({"--fail-on-severity", "HIGH", "--allow", "CVE-2023-1234=" + last_month}, ref);
  CHECK(expired.exit_code == kInvalid);
  CHECK(contains(expired.err, "CVE-2023-1234"));
  CHECK(contains(expired.err, "expired"));
  CHECK(gate({"--fail-on-severity", "HIGH", "--allow", "CVE-2023-9999=" + next_year}, ref)
            .exit_code == kInvalid);

  // The scan was an hour ago; a report dated long ago fails --max-scan-age.
  CHECK(gate({"--max-scan-age", "7d"}, ref).exit_code == kOk);
  const std::string old_image = scene.another_image("old");
  write_text(scene.dir / "old.json", trivy_report("2025-01-02T03:04:05Z", {kMedium}));
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.dir / "old.json", old_image})
              .exit_code == kOk);
  CHECK(gate({"--fail-on-severity", "HIGH"}, old_image).exit_code == kOk);
  auto stale = gate({"--max-scan-age", "7d"}, old_image);
  CHECK(stale.exit_code == kInvalid);
  CHECK(contains(stale.err, "2025-01-02"));
  CHECK(contains(stale.err, "7d"));

  // Grype's severities and package, named the same way.
  const std::string grype_image = scene.another_image("grype");
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.grype, grype_image}).exit_code ==
          kOk);
  auto g = gate({"--fail-on-severity", "HIGH"}, grype_image);
  CHECK(g.exit_code == kInvalid);
  for (const char* word : {"CVE-2023-1", "HIGH", "zlib", "1.2", "grype"})
    CHECK(contains(g.err, word));
  CHECK(gate({"--fail-on-severity", "CRITICAL"}, grype_image).exit_code == kOk);
}

TEST_CASE("attest: another type, another key, no attestation, a tag", "[e2e][attest]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  auto& ref = scene.ref;
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, ref}).exit_code == kOk);

  auto other_type = verify_attestation(reg, {key}, {"--type", "cyclonedx", ref});
  CHECK(other_type.exit_code == kNoSignature);
  CHECK(contains(other_type.err, "found:"));
  CHECK(contains(other_type.err, kVulnPredicate));
  CHECK(other_type.out.empty());
  // Without --type: custom, which is not there either.
  CHECK(verify_attestation(reg, {key}, {ref}).exit_code == kNoSignature);

  auto other = new_key_pair(scene.dir, "other");
  auto wrong = verify_attestation(reg, {other}, {"--type", "vuln", ref});
  CHECK(wrong.exit_code == kInvalid);
  CHECK(wrong.out.empty());

  const std::string bare = scene.another_image("bare");
  auto none = verify_attestation(reg, {key}, {"--type", "vuln", bare});
  CHECK(none.exit_code == kNoSignature);
  CHECK(none.out.empty());
  // A signature is not an attestation.
  REQUIRE(sign_image(scene.reg, key, {"--format", "both", bare}).exit_code == kOk);
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", bare}).exit_code == kNoSignature);

  auto by_tag = verify_attestation(reg, {key}, {"--type", "vuln", reg.ref("app:v1")});
  CHECK(by_tag.exit_code == kOk);
  CHECK(contains(by_tag.err, "by tag"));
  CHECK(contains(by_tag.err, scene.digest));
  CHECK(envelopes_printed(by_tag).size() >= 1);

  // The image itself missing: 8.
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", reg.ref("nothere:v1")}).exit_code ==
        kNotFound);
}

TEST_CASE("attest: the same attestation twice pushes nothing, --replace keeps other keys'",
          "[e2e][attest]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  auto& ref = scene.ref;
  auto& digest = scene.digest;
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, ref}).exit_code == kOk);
  const auto first = att_of(reg, "app", digest);
  REQUIRE(first.envelopes.size() == 1);
  const auto referrers = indexed_referrers(reg, "app", digest);
  REQUIRE(referrers.size() == 1);

  auto again = attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, ref});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "nothing pushed"));
  CHECK(att_of(reg, "app", digest).manifest == first.manifest);
  CHECK(indexed_referrers(reg, "app", digest) == referrers);

  // Another key's attestation of the same type is appended.
  auto other = new_key_pair(scene.dir, "other");
  REQUIRE(attest(reg, other, {"--type", "vuln", "--predicate", scene.trivy, ref}).exit_code == kOk);
  REQUIRE(att_of(reg, "app", digest).envelopes.size() == 2);
  REQUIRE(indexed_referrers(reg, "app", digest).size() == 2);
  // And another type of ours stays through --replace of vuln.
  write_text(scene.dir / "bom.json", read_text(testdata("attestations/syft-cyclonedx-image.json")));
  REQUIRE(attest(reg, key, {"--type", "cyclonedx", "--predicate", scene.dir / "bom.json", ref})
              .exit_code == kOk);

  // A newer scan of ours replaces our older one in both formats.
  auto replaced =
      attest(reg, key, {"--type", "vuln", "--predicate", scene.clean, "--replace", ref});
  CHECK(replaced.exit_code == kOk);
  CHECK(contains(replaced.err, std::string("Replacing attestation predicate: ") + kVulnPredicate));
  auto att = att_of(reg, "app", digest);
  check_att_layers(att, "");
  std::vector<std::string> vuln, bom;
  for (std::size_t i = 0; i < att.envelopes.size(); ++i)
    (att.doc["layers"][i]["annotations"]["predicateType"] == kVulnPredicate ? vuln : bom)
        .push_back(att.envelopes[i]);
  CHECK(vuln.size() == 2);
  CHECK(bom.size() == 1);
  CHECK(signed_by(vuln, key) == 1);
  CHECK(signed_by(vuln, other) == 1);
  CHECK(signed_by(bom, key) == 1);
  for (const auto& e : vuln)
    if (signed_by({e}, key) == 1)
      CHECK(contains(envelope_of(e).statement_bytes, kMedium.id)); // ours is the new scan

  auto types = referrer_predicate_types(reg, "app", digest);
  CHECK(std::count(types.begin(), types.end(), kVulnPredicate) == 2);
  CHECK(std::count(types.begin(), types.end(), kCycloneDxPredicate) == 1);
  std::size_t ours = 0;
  for (const auto& b : bundle_referrers_of(reg, "app", digest)) {
    auto parts = dsse_of(b.bundle);
    if (json::parse(parts.statement)["predicateType"] != kVulnPredicate)
      continue;
    if (signature_verifies(key + ".pub", pae_of(parts.payload_type, parts.statement),
                           isign::common::base64_encode(parts.signature))) {
      ++ours;
      CHECK(contains(parts.statement, kMedium.id));
    }
  }
  CHECK(ours == 1);

  // Both keys still verify; ours now passes the gate the old scan failed.
  for (const auto& k : {key, other})
    CHECK(verify_attestation(reg, {k}, {"--type", "vuln", "--format", "both", ref}).exit_code ==
          kOk);
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", "--fail-on-severity", "HIGH", ref})
            .exit_code == kOk);
  CHECK(verify_attestation(reg, {other}, {"--type", "vuln", "--fail-on-severity", "HIGH", ref})
            .exit_code == kInvalid);
}

TEST_CASE("attest: --format legacy and --format bundle alone, verified by the same format",
          "[e2e][attest][formats]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  const std::string legacy = scene.ref;
  const std::string bundle = scene.another_image("bundle");
  const std::string bundle_digest = bundle.substr(bundle.find('@') + 1);
  REQUIRE(
      attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, "--format", "legacy", legacy})
          .exit_code == kOk);
  REQUIRE(
      attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, "--format", "bundle", bundle})
          .exit_code == kOk);
  CHECK(att_of(reg, "app", scene.digest).envelopes.size() == 1);
  CHECK(indexed_referrers(reg, "app", scene.digest).empty());
  CHECK(att_of(reg, "app", bundle_digest).status == 404);
  CHECK(indexed_referrers(reg, "app", bundle_digest).size() == 1);

  auto v = [&](const std::string& format, const std::string& image) {
    return verify_attestation(reg, {key}, {"--type", "vuln", "--format", format, image});
  };
  auto l = v("legacy", legacy);
  CHECK(l.exit_code == kOk);
  CHECK(envelopes_printed(l).size() == 1);
  CHECK(v("bundle", legacy).exit_code == kNoSignature);
  auto b = v("bundle", bundle);
  CHECK(b.exit_code == kOk);
  REQUIRE(envelopes_printed(b).size() == 1);
  CHECK(subject_digest(envelopes_printed(b)[0]) == bundle_digest);
  CHECK(v("legacy", bundle).exit_code == kNoSignature);
  // Without --format, either counts.
  for (const auto& image : {legacy, bundle})
    CHECK(verify_attestation(reg, {key}, {"--type", "vuln", image}).exit_code == kOk);
}

TEST_CASE("attest: a predicate that is not what its type says writes nothing",
          "[e2e][attest][bad-input]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  auto& ref = scene.ref;
  write_text(scene.dir / "bom.json", read_text(testdata("attestations/syft-cyclonedx-image.json")));
  write_text(scene.dir / "text.txt", "not json at all\n");

  auto bom = attest(reg, key, {"--type", "vuln", "--predicate", scene.dir / "bom.json", ref});
  CHECK(bom.exit_code == kUsage);
  CHECK(contains_nocase(bom.err, "cyclonedx"));
  auto text = attest(reg, key, {"--type", "vuln", "--predicate", scene.dir / "text.txt", ref});
  CHECK(text.exit_code == kUsage);
  CHECK(contains(text.err, "not JSON"));
  auto trivy_as_sbom = attest(reg, key, {"--type", "cyclonedx", "--predicate", scene.trivy, ref});
  CHECK(trivy_as_sbom.exit_code == kUsage);
  CHECK(contains(trivy_as_sbom.err, "Trivy"));

  // A statement about another image is not signed for this one.
  const std::string other_hex(64, 'c');
  write_text(
      scene.dir / "statement.json",
      R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + reg.url() +
          R"(/app","digest":{"sha256":")" + other_hex +
          R"("}}],"predicateType":"https://example.com/review/v1","predicate":{"approved":true}})");
  auto foreign = attest(reg, key, {"--statement", scene.dir / "statement.json", ref});
  CHECK(foreign.exit_code != kOk);
  CHECK(contains(foreign.err, other_hex));

  // Nothing was written: only the image's tag exists.
  CHECK(list_tags(reg, "app") == std::vector<std::string>{"v1"});
  CHECK(att_of(reg, "app", scene.digest).status == 404);
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", ref}).exit_code == kNoSignature);

  // The same statement naming this image is signed as it is, and verifies as its type.
  write_text(
      scene.dir / "mine.json",
      R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + reg.url() +
          R"(/app","digest":{"sha256":")" + hex_of(scene.digest) +
          R"("}}],"predicateType":"https://example.com/review/v1","predicate":{"approved":true}})");
  REQUIRE(attest(reg, key, {"--statement", scene.dir / "mine.json", ref}).exit_code == kOk);
  auto review = verify_attestation(reg, {key},
                                   {"--type", "https://example.com/review/v1", "--pointer",
                                    "/approved", "--equals", "true", ref});
  CHECK(review.exit_code == kOk);
  auto printed = envelopes_printed(review);
  REQUIRE(printed.size() >= 1);
  CHECK(printed[0].statement_bytes == read_text(scene.dir / "mine.json"));
  CHECK(verify_attestation(reg, {key},
                           {"--type", "https://example.com/review/v1", "--pointer", "/approved",
                            "--equals", "false", ref})
            .exit_code == kInvalid);
}

TEST_CASE("attest: policies with attestation rules (verify and verify-attestation), JSON report",
          "[e2e][attest][policy]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  const std::string good = scene.ref;                            // signed, clean scan
  const std::string unattested = scene.another_image("signed");  // signed only
  const std::string vulnerable = scene.another_image("vuln");    // signed, CRITICAL finding
  const std::string unsigned_ = scene.another_image("unsigned"); // attested only
  for (const auto& image : {good, unattested, vulnerable})
    REQUIRE(sign_image(reg, key, {image}).exit_code == kOk);
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.clean, good}).exit_code == kOk);
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.trivy, vulnerable}).exit_code ==
          kOk);
  REQUIRE(attest(reg, key, {"--type", "vuln", "--predicate", scene.clean, unsigned_}).exit_code ==
          kOk);
  auto policy = write_policy(scene.dir, R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      ")" + reg.url() + R"(/app": {
        "keys": ["k.pub"],
        "attestations": [{"type": "vuln", "failOnSeverity": "HIGH", "maxScanAge": "7d"}]
      }
    }
  })");
  auto verify_policy = [&](const std::string& command, const std::vector<std::string>& extra,
                           const std::string& image) {
    return isign_cmd(command, with(reg.client_flags(), with({"--policy", policy}, extra)), {image});
  };

  auto ok = verify_policy("verify", {}, good);
  CHECK(ok.exit_code == kOk);
  CHECK(contains(ok.err, "attestations"));
  CHECK(verify_policy("verify", {}, unattested).exit_code == kNoSignature);
  auto bad = verify_policy("verify", {}, vulnerable);
  CHECK(bad.exit_code == kInvalid);
  CHECK(contains(bad.err, "CVE-2023-1234"));
  CHECK(verify_policy("verify", {}, unsigned_).exit_code == kNoSignature);

  // verify-attestation --policy: only the attestation rules (no --key), so unsigned_ passes.
  auto att_ok = verify_policy("verify-attestation", {}, good);
  CHECK(att_ok.exit_code == kOk);
  CHECK(envelopes_printed(att_ok).size() >= 1);
  CHECK(verify_policy("verify-attestation", {}, unsigned_).exit_code == kOk);
  CHECK(verify_policy("verify-attestation", {}, unattested).exit_code == kNoSignature);
  CHECK(verify_policy("verify-attestation", {}, vulnerable).exit_code == kInvalid);
  CHECK(verify_policy("verify-attestation", {"--type", "cyclonedx"}, good).exit_code == kUsage);
  CHECK(verify_policy("verify-attestation", {"--key", key + ".pub"}, good).exit_code == kUsage);

  // The JSON report: schema 2, each manifest's attestation rules and their gates.
  auto report = verify_policy("verify", {"--output", "json"}, vulnerable);
  CHECK(report.exit_code == kInvalid);
  auto doc = report_of(report);
  CHECK(doc["schemaVersion"] == 2);
  CHECK(doc["exitCode"] == kInvalid);
  auto manifest = doc["results"][0]["manifests"][0];
  REQUIRE(manifest["attestations"].size() == 1);
  auto rule = manifest["attestations"][0];
  CHECK(rule["type"] == "vuln");
  CHECK(rule["satisfied"] == false);
  CHECK(rule["predicateTypes"] == json::array({kVulnPredicate}));
  REQUIRE(rule["attestations"].size() >= 1);
  bool severity_failed = false, age_passed = false;
  for (const auto& a : rule["attestations"]) {
    CHECK(a["predicateType"] == kVulnPredicate);
    CHECK(a["status"] == "valid");
    CHECK(a["keyId"] == key_id_of(key));
    for (const auto& g : a["gates"]) {
      if (g["check"] == "failOnSeverity" && g["passed"] == false)
        severity_failed = contains(g["message"].get<std::string>(), "CVE-2023-1234");
      if (g["check"] == "maxScanAge" && g["passed"] == true)
        age_passed = true;
    }
  }
  CHECK(severity_failed);
  CHECK(age_passed);

  write_text(scene.dir / "report.json", "");
  auto passed = verify_attestation(reg, {key},
                                   {"--type", "vuln", "--fail-on-severity", "CRITICAL", "--report",
                                    scene.dir / "report.json", good});
  CHECK(passed.exit_code == kOk);
  CHECK(envelopes_printed(passed).size() >= 1); // --report keeps cosign's output on stdout
  auto written = json::parse(read_text(scene.dir / "report.json"), nullptr, false);
  REQUIRE(written.is_object());
  CHECK(written["schemaVersion"] == 2);
  auto gates = written["results"][0]["manifests"][0]["attestations"][0]["attestations"][0]["gates"];
  REQUIRE(gates.size() == 1);
  CHECK(gates[0]["check"] == "failOnSeverity");
  CHECK(gates[0]["passed"] == true);
}

TEST_CASE("attest: a tampered .att is invalid", "[e2e][attest][adversary]") {
  AttestScene scene;
  auto& reg = scene.reg;
  auto& key = scene.key;
  auto& ref = scene.ref;
  const std::string other = scene.another_image("other");
  const std::string other_digest = other.substr(other.find('@') + 1);
  for (const auto& image : {ref, other})
    REQUIRE(attest(reg, key,
                   {"--type", "vuln", "--predicate", scene.clean, "--format", "legacy", image})
                .exit_code == kOk);
  REQUIRE(verify_attestation(reg, {key}, {"--type", "vuln", ref}).exit_code == kOk);
  const auto att = att_of(reg, "app", scene.digest);
  REQUIRE(att.envelopes.size() == 1);

  SECTION("the statement changed, the signature kept") {
    auto env = ordered_json::parse(att.envelopes[0]);
    std::string statement = envelope_of(att.envelopes[0]).statement_bytes;
    auto at = statement.find(kMedium.id);
    REQUIRE(at != std::string::npos);
    statement.replace(at, kMedium.id.size(), "CVE-2000-0000");
    env["payload"] = isign::common::base64_encode(statement);
    push_att(reg, "app", scene.digest, {env.dump()}, kVulnPredicate);
  }
  SECTION("the layer points at another image's (validly signed) envelope") {
    push_att(reg, "app", scene.digest, att_of(reg, "app", other_digest).envelopes, kVulnPredicate);
  }
  SECTION("the layer blob replaced under the same descriptor") {
    // The registry refuses a blob under another content's digest, so the manifest names a blob
    // of the right size whose bytes are not the envelope it claims.
    auto doc = att.doc;
    std::string forged = att.envelopes[0];
    forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
    doc["layers"][0]["digest"] = push_blob(reg, "app", forged);
    push_manifest(reg, "app", att_tag_of(scene.digest), doc.dump(), kOciManifestType);
  }
  auto r = verify_attestation(reg, {key}, {"--type", "vuln", ref});
  CHECK(r.exit_code == kInvalid);
  CHECK(r.out.empty());
  // The other image's attestation is untouched.
  CHECK(verify_attestation(reg, {key}, {"--type", "vuln", other}).exit_code == kOk);
}

TEST_CASE("attest: a registry that is down", "[e2e][attest][faults]") {
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  write_text(dir / "trivy.json", trivy_report(utc_text(-std::chrono::hours(1)), {kMedium}));
  RefusingPort down;
  const std::string ref = down.address() + "/app@sha256:" + std::string(64, 'a');
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  auto a = isign_cmd("attest", {"--allow-http-registry", "--key", key + ".key"},
                     {"--type", "vuln", "--predicate", dir / "trivy.json", ref}, o);
  CHECK(a.exit_code == kNetwork);
  auto v = isign_cmd("verify-attestation", {"--allow-http-registry", "--key", key + ".pub"},
                     {"--type", "vuln", ref});
  CHECK(v.exit_code == kNetwork);
  CHECK(v.out.empty());
}

// Attestations over --max-predicate-size are never read: a limit (11), as verify's signatures
// over --max-payload-size, not "invalid".
TEST_CASE("attest: attestations over --max-predicate-size are refused by a limit (11)",
          "[e2e][attest][limits]") {
  AttestScene scene;
  REQUIRE(attest(scene.reg, scene.key, {"--type", "vuln", "--predicate", scene.clean, scene.ref})
              .exit_code == kOk);
  auto r = verify_attestation(scene.reg, {scene.key},
                              {"--type", "vuln", "--max-predicate-size", "100", scene.ref});
  CHECK(r.out.empty());
  CHECK(r.exit_code == kLimit);
}
