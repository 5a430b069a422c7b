// verify_attestations and judge_attestation_rule over blobs in a map: both formats verified the
// same way, only the asked types counted (skipped unread when their descriptor says so), an
// attestation of another image or by another key refused, none of the type told apart from a bad
// one, and a vuln rule judged on each key's newest scan.
#include <catch2/catch.hpp>

#include <map>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/predicate.h"
#include "keys/keys.h"
#include "verify/attestation.h"

using namespace isign;
using common::ErrorKind;

namespace {

const std::string kHex(64, 'b');
const std::string kDigest = "sha256:" + kHex;
const std::string kVuln(cosign::kVulnPredicateType);
const std::string kSbom(cosign::kCycloneDxPredicateType);

keys::PrivateKey new_key() {
  auto k = keys::generate_ecdsa_p256();
  REQUIRE(k);
  return std::move(*k);
}

registry::Reference image() {
  auto r = registry::Reference::parse("reg.example/app@" + kDigest);
  REQUIRE(r);
  return *r;
}

// A Trivy-in-cosign-vuln predicate: one finding of severity, scanned at when.
std::string vuln_predicate(const std::string& severity, const std::string& when) {
  return R"({"invocation":{"parameters":null,"uri":"","event_id":"","builder.id":""},)"
         R"("scanner":{"uri":"pkg:github/aquasecurity/trivy@0.57.0","version":"0.57.0",)"
         R"("db":{"uri":"","version":""},"result":{"SchemaVersion":2,"Results":[{"Target":"x",)"
         R"("Vulnerabilities":[{"VulnerabilityID":"CVE-2023-1234","PkgName":"libssl3",)"
         R"("InstalledVersion":"3.0.9","Severity":")" +
         severity + R"("}]}]}},"metadata":{"scanStartedOn":")" + when + R"(","scanFinishedOn":")" +
         when + R"("}})";
}

struct Blobs {
  std::map<std::string, std::string> blobs;
  int fetches = 0;
  std::vector<cosign::StoredLayer> layers;

  verify::BlobFetcher fetcher() {
    return [this](std::string_view digest, std::size_t) -> common::Result<std::string> {
      ++fetches;
      auto it = blobs.find(std::string(digest));
      if (it == blobs.end())
        return common::make_error(ErrorKind::not_found, "no blob");
      return it->second;
    };
  }

  // Stores an attestation of type over predicate about digest, signed by key, in format;
  // annotated: the descriptor names its predicateType.
  void add(const keys::PrivateKey& key, const std::string& type, const std::string& predicate,
           cosign::Format format, bool annotated = true, const std::string& digest = kDigest) {
    auto statement = cosign::make_attestation_statement("reg.example/app", digest, type, predicate);
    REQUIRE(statement);
    const std::string head = cosign::dsse_pae_head(cosign::kInTotoPayloadType, statement->size());
    auto der = key.sign(head + *statement, keys::Hash::sha256);
    REQUIRE(der);
    std::string blob =
        format == cosign::Format::legacy
            ? cosign::make_envelope(cosign::kInTotoPayloadType, *statement, *der)
            : cosign::make_dsse_bundle(keys::public_key_hint(key.public_key()), *statement, *der);
    cosign::StoredLayer l;
    l.index = layers.size();
    l.format = format;
    l.kind = cosign::Kind::attestation;
    l.media_type = format == cosign::Format::legacy ? "application/vnd.dsse.envelope.v1+json"
                                                    : std::string(cosign::kBundleMediaType);
    l.digest = common::sha256_digest(blob);
    l.size = blob.size();
    l.predicate_type = annotated ? type : "";
    l.where = "layer " + std::to_string(layers.size());
    blobs[*l.digest] = blob;
    layers.push_back(l);
  }

  common::Result<verify::AttestationReport> check(const std::vector<keys::PublicKey>& keys,
                                                  const std::vector<std::string>& wanted) {
    verify::VerifyOptions options;
    options.limits.max_payload_size = cosign::kMaxAttestationSize;
    options.keep_envelopes = true;
    return verify::verify_attestations(layers, fetcher(), kDigest, image(), keys, options, wanted);
  }
};

verify::AttestationRule vuln_rule(std::vector<keys::PublicKey> keys,
                                  const char* threshold = "HIGH") {
  verify::AttestationRule rule;
  rule.type = "vuln";
  rule.predicate_types = {kVuln};
  rule.keys = std::move(keys);
  rule.fail_on_severity = *verify::parse_severity_threshold(threshold);
  return rule;
}

const common::TimePoint kNow = *common::parse_rfc3339("2026-12-07T00:00:00Z");

} // namespace

TEST_CASE("verify_attestations: both formats verify, other types are skipped (unread when "
          "their descriptor says so)",
          "[attestation]") {
  Blobs b;
  const auto key = new_key();
  b.add(key, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::legacy);
  b.add(key, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::bundle);
  b.add(key, kSbom, "{}", cosign::Format::legacy);                      // annotated: unread
  b.add(key, kSbom, "{}", cosign::Format::bundle, /*annotated=*/false); // read, then set aside
  auto report = b.check({key.public_key()}, {kVuln});
  REQUIRE(report);
  CHECK(b.fetches == 3);
  REQUIRE(report->attestations.size() == 4);
  CHECK(report->valid() == std::vector<std::size_t>{0, 1});
  CHECK(report->attestations[2].other_type);
  CHECK(report->attestations[3].other_type);
  CHECK(report->found_types == std::set<std::string>{kVuln, kSbom});
  for (auto i : report->valid()) {
    const auto& a = report->attestations[i];
    CHECK(a.predicate_type == kVuln);
    REQUIRE(a.predicate);
    CHECK((*a.predicate)["scanner"]["version"] == "0.57.0");
    auto e = cosign::parse_envelope_document(a.envelope);
    REQUIRE(e);
    CHECK(e->payload.find(kHex) != std::string::npos);
  }
  auto judged = verify::judge_attestation_rule(vuln_rule({key.public_key()}), *report, kNow);
  CHECK_FALSE(judged.error);
}

TEST_CASE("verify_attestations: another key, another image, a signature statement",
          "[attestation]") {
  const auto key = new_key();
  const auto other = new_key();
  SECTION("another key: invalid, and the rule says no valid attestation (exit 1)") {
    Blobs b;
    b.add(other, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::legacy);
    auto report = b.check({key.public_key()}, {kVuln});
    REQUIRE(report);
    CHECK(report->attestations[0].layer.failure == verify::Failure::bad_signature);
    auto judged = verify::judge_attestation_rule(vuln_rule({key.public_key()}), *report, kNow);
    REQUIRE(judged.error);
    CHECK(judged.error->kind() == ErrorKind::verification);
  }
  SECTION("another image's attestation: digest mismatch") {
    Blobs b;
    b.add(key, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::bundle, true,
          "sha256:" + std::string(64, 'c'));
    auto report = b.check({key.public_key()}, {kVuln});
    REQUIRE(report);
    CHECK(report->attestations[0].layer.failure == verify::Failure::digest_mismatch);
  }
  SECTION("cosign's sign statement in a bundle is never an attestation") {
    Blobs b;
    b.add(key, std::string(cosign::kSignPredicateType), "{}", cosign::Format::bundle, false);
    auto report = b.check({key.public_key()}, {});
    REQUIRE(report);
    CHECK(report->valid().empty());
    CHECK(report->attestations[0].other_type);
  }
  SECTION("none of the type: no_signature naming what was found (exit 10)") {
    Blobs b;
    b.add(key, kSbom, "{}", cosign::Format::legacy);
    auto report = b.check({key.public_key()}, {kVuln});
    REQUIRE(report);
    auto judged = verify::judge_attestation_rule(vuln_rule({key.public_key()}), *report, kNow);
    REQUIRE(judged.error);
    CHECK(judged.error->kind() == ErrorKind::no_signature);
    CHECK_THAT(judged.error->message(), Catch::Contains("found: " + kSbom));
  }
}

TEST_CASE("judge_attestation_rule: a vuln rule judges each key's newest scan", "[attestation]") {
  const auto key = new_key();
  SECTION("a newer failing scan is not outvoted by an older clean one") {
    Blobs b;
    b.add(key, kVuln, vuln_predicate("LOW", "2026-11-01T00:00:00Z"), cosign::Format::legacy);
    b.add(key, kVuln, vuln_predicate("CRITICAL", "2026-12-01T00:00:00Z"), cosign::Format::legacy);
    auto report = b.check({key.public_key()}, {kVuln});
    REQUIRE(report);
    auto judged = verify::judge_attestation_rule(vuln_rule({key.public_key()}), *report, kNow);
    REQUIRE(judged.error);
    CHECK(judged.error->kind() == ErrorKind::verification);
    CHECK_THAT(judged.error->message(),
               Catch::Contains("CVE-2023-1234 CRITICAL in libssl3 3.0.9") &&
                   Catch::Contains("trivy 0.57.0"));
    CHECK(judged.judged == std::vector<std::size_t>{1});
  }
  SECTION("a newer clean scan passes over an older failing one") {
    Blobs b;
    b.add(key, kVuln, vuln_predicate("CRITICAL", "2026-11-01T00:00:00Z"), cosign::Format::legacy);
    b.add(key, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::bundle);
    auto report = b.check({key.public_key()}, {kVuln});
    REQUIRE(report);
    auto judged = verify::judge_attestation_rule(vuln_rule({key.public_key()}), *report, kNow);
    CHECK_FALSE(judged.error);
  }
  SECTION("threshold 2: one key's scan fails, so only one key passes") {
    const auto second = new_key();
    Blobs b;
    b.add(key, kVuln, vuln_predicate("LOW", "2026-12-01T00:00:00Z"), cosign::Format::legacy);
    b.add(second, kVuln, vuln_predicate("HIGH", "2026-12-01T00:00:00Z"), cosign::Format::legacy);
    auto rule = vuln_rule({key.public_key(), second.public_key()});
    rule.threshold = 2;
    auto report = b.check(rule.keys, {kVuln});
    REQUIRE(report);
    report->threshold = 2;
    auto judged = verify::judge_attestation_rule(rule, *report, kNow);
    REQUIRE(judged.error);
    CHECK(judged.error->kind() == ErrorKind::verification);
  }
}
