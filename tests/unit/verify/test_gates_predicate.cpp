// Gates, layer (b): evaluate_gates on real predicates, through cosign/predicate.h's readers
// (read_vuln_predicate, sbom_created, read_slsa). Pending: rename to test_gates_predicate.cpp once
// the readers are on the branch (they are declared, not yet defined, here).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cosign/predicate.h"
#include "verify/gates.h"

using namespace isign;
using nlohmann::json;
using verify::AttestationRule;
using verify::GateOutcome;
using verify::Severity;

namespace {

common::TimePoint at(const std::string& rfc3339) {
  auto t = common::parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

verify::Allowance allow_until(const std::string& id, const std::string& date) {
  auto until = common::parse_expiry(date);
  REQUIRE(until);
  return verify::Allowance{id, *until, date};
}

// A cosign vuln predicate (trivy --format cosign-vuln's shape) around report.
json cosign_vuln(const json& report, const std::string& scanner_uri, const std::string& version,
                 const std::string& finished = "2026-11-30T10:00:00Z") {
  json metadata = json::object();
  if (!finished.empty())
    metadata = {{"scanStartedOn", finished}, {"scanFinishedOn", finished}};
  return {
      {"invocation", {{"parameters", nullptr}, {"uri", ""}, {"event_id", ""}, {"builder.id", ""}}},
      {"scanner",
       {{"uri", scanner_uri},
        {"version", version},
        {"db", {{"uri", ""}, {"version", ""}}},
        {"result", report}}},
      {"metadata", metadata}};
}

json trivy_report() {
  return json::parse(R"({"SchemaVersion": 2, "CreatedAt": "2026-11-30T10:00:00Z",
    "ArtifactName": "registry.example.com/payments/api:v1", "ArtifactType": "container_image",
    "Results": [
      {"Target": "debian 12", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2023-1234", "PkgName": "libssl3", "InstalledVersion": "3.0.9",
         "Severity": "CRITICAL"},
        {"VulnerabilityID": "CVE-2023-5678", "PkgName": "zlib1g", "InstalledVersion": "1.2.13",
         "Severity": "HIGH"},
        {"VulnerabilityID": "CVE-2023-0001", "PkgName": "curl", "InstalledVersion": "7.88.1",
         "Severity": "LOW"}]},
      {"Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm"}]})");
}

json grype_report() {
  return json::parse(R"({"matches": [
      {"vulnerability": {"id": "GHSA-2222-3333-4444", "severity": "High"},
       "relatedVulnerabilities": [{"id": "CVE-2021-23337"}],
       "artifact": {"name": "lodash", "version": "4.17.20", "type": "npm"}},
      {"vulnerability": {"id": "CVE-2022-0001", "severity": "Negligible"},
       "relatedVulnerabilities": [],
       "artifact": {"name": "bash", "version": "5.2", "type": "deb"}}],
    "source": {"type": "image"}, "distro": {"name": "debian", "version": "12"},
    "descriptor": {"name": "grype", "version": "0.80.0", "timestamp": "2026-11-30T10:00:00Z"}})");
}

AttestationRule vuln_rule(Severity threshold) {
  AttestationRule rule;
  rule.type = "vuln";
  rule.predicate_types = {std::string(cosign::kVulnPredicateType)};
  rule.fail_on_severity = threshold;
  return rule;
}

} // namespace

TEST_CASE("gates on predicates: a Trivy report in a cosign vuln predicate", "[gates]") {
  const auto predicate =
      cosign_vuln(trivy_report(), "pkg:github/aquasecurity/trivy@0.57.0", "0.57.0");
  const auto now = at("2026-12-07T10:00:00Z");
  auto rule = vuln_rule(Severity::critical);
  rule.max_scan_age = std::chrono::hours(24 * 3);
  auto out = verify::evaluate_gates(rule, cosign::kVulnPredicateType, predicate, now);
  REQUIRE(out.size() == 2);
  CHECK(out[0].check == "failOnSeverity");
  CHECK_FALSE(out[0].passed);
  CHECK(out[0].message ==
        "CVE-2023-1234 CRITICAL in libssl3 3.0.9 (scanned 2026-11-30T10:00:00Z by trivy 0.57.0)");
  CHECK(out[1].check == "maxScanAge");
  CHECK_FALSE(out[1].passed);
  CHECK(out[1].message == "scanned 2026-11-30T10:00:00Z, 7d ago, more than maxScanAge 3d");

  rule.allow = {allow_until("CVE-2023-1234", "2027-01-31")};
  rule.max_scan_age = std::chrono::hours(24 * 7);
  out = verify::evaluate_gates(rule, cosign::kVulnPredicateType, predicate, now);
  REQUIRE(out.size() == 2);
  CHECK(out[0].passed);
  CHECK(out[1].passed);

  // No scan time: maxScanAge cannot pass.
  out = verify::evaluate_gates(
      rule, cosign::kVulnPredicateType,
      cosign_vuln(trivy_report(), "pkg:github/aquasecurity/trivy@0.57.0", "0.57.0", ""), now);
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[1].passed);
  CHECK(out[1].message == "the vuln predicate has no scan time (metadata.scanFinishedOn): its age "
                          "cannot be checked against maxScanAge 7d");
}

TEST_CASE("gates on predicates: a Grype report, aliases and Negligible", "[gates]") {
  const auto predicate = cosign_vuln(grype_report(), "pkg:github/anchore/grype@0.80.0", "0.80.0");
  const auto now = at("2026-12-01T10:00:00Z");
  auto rule = vuln_rule(Severity::high);
  auto out = verify::evaluate_gates(rule, cosign::kVulnPredicateType, predicate, now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK(
      out[0].message ==
      "GHSA-2222-3333-4444 HIGH in lodash 4.17.20 (scanned 2026-11-30T10:00:00Z by grype 0.80.0)");
  // The CVE it relates to excuses it; the Negligible finding never counts.
  rule.allow = {allow_until("cve-2021-23337", "2027-01-31")};
  out = verify::evaluate_gates(rule, cosign::kVulnPredicateType, predicate, now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].passed);
}

TEST_CASE("gates on predicates: a report of an unknown shape fails, a bad one too", "[gates]") {
  const auto now = at("2026-12-01T10:00:00Z");
  auto out = verify::evaluate_gates(
      vuln_rule(Severity::low), cosign::kVulnPredicateType,
      cosign_vuln(json{{"whatever", 1}}, "https://example.com/scanner", "1"), now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK(out[0].message == "the vuln predicate's scanner.result is neither a Trivy nor a Grype "
                          "report: findings cannot be read");

  // A severity that is not a string: the reader's error fails the check.
  auto report = trivy_report();
  report["Results"][0]["Vulnerabilities"][0]["Severity"] = 4;
  out = verify::evaluate_gates(
      vuln_rule(Severity::low), cosign::kVulnPredicateType,
      cosign_vuln(report, "pkg:github/aquasecurity/trivy@0.57.0", "0.57.0"), now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK_FALSE(out[0].message.empty());

  // A vuln gate on a predicate of another type cannot pass.
  out = verify::evaluate_gates(vuln_rule(Severity::low), cosign::kCycloneDxPredicateType,
                               json{{"bomFormat", "CycloneDX"}}, now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK(out[0].message == "a predicate of type \"https://cyclonedx.org/bom\" is no vulnerability "
                          "report");
}

TEST_CASE("gates on predicates: SBOM creation times", "[gates]") {
  const auto now = at("2026-12-31T00:00:00Z");
  AttestationRule rule;
  rule.type = "sbom";
  rule.predicate_types = {std::string(cosign::kSpdxPredicateType),
                          std::string(cosign::kCycloneDxPredicateType)};
  rule.max_age = std::chrono::hours(24 * 30);

  auto out = verify::evaluate_gates(rule, cosign::kCycloneDxPredicateType,
                                    json::parse(R"({"bomFormat": "CycloneDX", "specVersion": "1.5",
                      "metadata": {"timestamp": "2026-11-21T00:00:00Z"}})"),
                                    now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK(out[0].message == "created 2026-11-21T00:00:00Z, 40d ago, more than maxAge 30d");

  out = verify::evaluate_gates(
      rule, cosign::kSpdxPredicateType,
      json::parse(
          R"({"spdxVersion": "SPDX-2.3", "creationInfo": {"created": "2026-12-20T00:00:00Z"}})"),
      now);
  REQUIRE(out.size() == 1);
  CHECK(out[0].passed);

  out = verify::evaluate_gates(rule, cosign::kSpdxPredicateType,
                               json::parse(R"({"spdxVersion": "SPDX-2.3"})"), now);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].passed);
  CHECK(out[0].message == "the SBOM has no creation time (creationInfo.created): its age cannot "
                          "be checked against maxAge 30d");
}

TEST_CASE("gates on predicates: SLSA builder and source", "[gates]") {
  const auto now = at("2026-12-31T00:00:00Z");
  AttestationRule rule;
  rule.type = "slsaprovenance1";
  rule.predicate_types = {std::string(cosign::kSlsa1PredicateType)};
  rule.builder_id = "https://github.com/example/builder";
  rule.source_uri = "git+https://github.com/example/";

  const auto v1 = [](const std::string& builder, const std::string& source) {
    return json{{"buildDefinition",
                 {{"buildType", "https://example.com/build/v1"},
                  {"resolvedDependencies", json::array({{{"uri", source}}})}}},
                {"runDetails", {{"builder", {{"id", builder}}}}}};
  };
  auto out = verify::evaluate_gates(rule, cosign::kSlsa1PredicateType,
                                    v1("https://github.com/example/builder@v1",
                                       "git+https://github.com/example/app@refs/heads/main"),
                                    now);
  REQUIRE(out.size() == 2);
  CHECK(out[0].check == "builderId");
  CHECK(out[0].passed);
  CHECK(out[1].check == "sourceUri");
  CHECK(out[1].passed);

  out = verify::evaluate_gates(
      rule, cosign::kSlsa1PredicateType,
      v1("https://github.com/example/builder-evil", "git+https://github.com/example-evil/app"),
      now);
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[0].passed);
  CHECK_FALSE(out[1].passed);

  // v0.2: builder.id, invocation.configSource.uri and materials[].uri.
  rule.predicate_types = {std::string(cosign::kSlsa02PredicateType)};
  out = verify::evaluate_gates(
      rule, cosign::kSlsa02PredicateType,
      json::parse(R"({"builder": {"id": "https://github.com/example/builder"},
                      "buildType": "https://example.com/build/v1",
                      "invocation": {"configSource": {"uri": "git+https://github.com/example/app",
                                                      "digest": {"sha1": "abc"}}},
                      "materials": [{"uri": "pkg:deb/debian/libc6"}]})"),
      now);
  REQUIRE(out.size() == 2);
  CHECK(out[0].passed);
  CHECK(out[1].passed);
}

TEST_CASE("gates on predicates: pointers, in order after the other checks", "[gates]") {
  AttestationRule rule;
  rule.type = "https://example.com/review/v1";
  rule.predicate_types = {rule.type};
  rule.pointers = {{"/approved", verify::PointerCheck::Op::equals, true},
                   {"/reviewer", verify::PointerCheck::Op::exists, true}};
  const auto out =
      verify::evaluate_gates(rule, rule.type, json{{"approved", true}}, at("2026-12-31T00:00:00Z"));
  REQUIRE(out.size() == 2);
  CHECK(out[0].passed);
  CHECK_FALSE(out[1].passed);
  CHECK(out[1].message == "nothing at \"/reviewer\", which must exist");
}
