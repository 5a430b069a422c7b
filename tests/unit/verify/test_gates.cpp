// Gates, layer (a): severities, the checks over plain facts, JSON pointers, and parsing one
// "attestations" entry.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json.h"
#include "tests/unit/verify/sig_fixture.h"
#include "verify/gates.h"
#include "verify/policy.h"

using namespace isign;
using common::ErrorKind;
using common::TimePoint;
using nlohmann::json;
using verify::Allowance;
using verify::GateOutcome;
using verify::PointerCheck;
using verify::Severity;

namespace {

TimePoint at(const std::string& rfc3339) {
  auto t = common::parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

Allowance allow_until(const std::string& id, const std::string& date) {
  auto until = common::parse_expiry(date);
  REQUIRE(until);
  return Allowance{id, *until, date};
}

cosign::Finding finding(std::string id, std::string severity, std::string package,
                        std::string version, std::vector<std::string> aliases = {}) {
  return cosign::Finding{std::move(id), std::move(aliases), std::move(severity), std::move(package),
                         std::move(version)};
}

// A Trivy report's facts, findings out of severity order (the message sorts them).
cosign::VulnFacts trivy_facts() {
  cosign::VulnFacts facts;
  facts.scanner = "trivy";
  facts.scanner_version = "0.57.0";
  facts.scan_finished = at("2026-11-30T10:00:00Z");
  facts.report_format = "trivy";
  facts.findings = {
      finding("CVE-2023-0001", "LOW", "curl", "7.88.1"),
      finding("CVE-2023-5678", "HIGH", "zlib1g", "1.2.13"),
      finding("CVE-2023-1234", "CRITICAL", "libssl3", "3.0.9"),
      finding("GHSA-abcd-efgh-ijkl", "MEDIUM", "left-pad", "1.0.0"),
      finding("CVE-2023-0002", "NEGLIGIBLE", "bash", "5.2"),
  };
  return facts;
}

const std::string kScanned = " (scanned 2026-11-30T10:00:00Z by trivy 0.57.0)";

} // namespace

TEST_CASE("gates: severities are case-blind and ranked", "[gates]") {
  const std::vector<std::pair<std::string, Severity>> cases = {
      {"CRITICAL", Severity::critical}, {"critical", Severity::critical},
      {"High", Severity::high},         {"MEDIUM", Severity::medium},
      {"low", Severity::low},           {"Negligible", Severity::negligible},
      {"UNKNOWN", Severity::unknown},   {"Unknown", Severity::unknown},
      {"severe", Severity::unknown},    {"", Severity::unknown},
  };
  for (const auto& [text, severity] : cases) {
    INFO(text);
    CHECK(verify::severity_of(text) == severity);
  }
  CHECK(verify::severity_name(Severity::negligible) == "NEGLIGIBLE");
  CHECK(verify::severity_name(Severity::critical) == "CRITICAL");
  CHECK(Severity::unknown < Severity::negligible);
  CHECK(Severity::negligible < Severity::low);
  CHECK(Severity::high < Severity::critical);
}

TEST_CASE("gates: a severity threshold is LOW, MEDIUM, HIGH or CRITICAL", "[gates]") {
  for (const auto& [text, severity] :
       std::vector<std::pair<std::string, Severity>>{{"LOW", Severity::low},
                                                     {"medium", Severity::medium},
                                                     {"High", Severity::high},
                                                     {"CRITICAL", Severity::critical}}) {
    auto s = verify::parse_severity_threshold(text);
    REQUIRE(s);
    CHECK(*s == severity);
  }
  for (const std::string text : {"NEGLIGIBLE", "unknown", "severe", "", "HIGH "}) {
    INFO(text);
    auto s = verify::parse_severity_threshold(text);
    REQUIRE_FALSE(s);
    CHECK(s.error().kind() == ErrorKind::usage);
    CHECK(s.error().message() == common::quote_for_message(text) +
                                     " is not a severity threshold: give LOW, MEDIUM, HIGH or "
                                     "CRITICAL");
  }
}

TEST_CASE("gates: failOnSeverity, with an allow list that expires", "[gates]") {
  const TimePoint now = at("2027-01-15T12:00:00Z");
  struct Case {
    std::string name;
    Severity threshold;
    std::vector<Allowance> allow;
    bool passed;
    std::string message; // when failed; found when passed
  };
  const std::vector<Case> cases = {
      {"one critical",
       Severity::critical,
       {},
       false,
       "CVE-2023-1234 CRITICAL in libssl3 3.0.9" + kScanned},
      {"critical excused",
       Severity::critical,
       {allow_until("CVE-2023-1234", "2027-01-31")},
       true,
       "5 findings, none at or above CRITICAL but 1 excused by the allow list"},
      {"a CVE id is case-blind",
       Severity::critical,
       {allow_until("cve-2023-1234", "2027-01-31")},
       true,
       "5 findings, none at or above CRITICAL but 1 excused by the allow list"},
      {"other ids are exact",
       Severity::medium,
       {allow_until("CVE-2023-1234", "2027-01-31"), allow_until("CVE-2023-5678", "2027-01-31"),
        allow_until("ghsa-abcd-efgh-ijkl", "2027-01-31")},
       false,
       "GHSA-abcd-efgh-ijkl MEDIUM in left-pad 1.0.0" + kScanned},
      {"high: the worst first",
       Severity::high,
       {},
       false,
       "CVE-2023-1234 CRITICAL in libssl3 3.0.9, CVE-2023-5678 HIGH in zlib1g 1.2.13" + kScanned},
      {"low: three named, then a count",
       Severity::low,
       {},
       false,
       "CVE-2023-1234 CRITICAL in libssl3 3.0.9, CVE-2023-5678 HIGH in zlib1g 1.2.13, "
       "GHSA-abcd-efgh-ijkl MEDIUM in left-pad 1.0.0 and 1 more" +
           kScanned},
      {"an expired entry no longer excuses",
       Severity::high,
       {allow_until("CVE-2023-1234", "2027-01-10"), allow_until("CVE-2023-5678", "2027-02-01")},
       false,
       "CVE-2023-1234 CRITICAL in libssl3 3.0.9 (allow entry for CVE-2023-1234 expired "
       "2027-01-10)" +
           kScanned},
      {"an entry still excuses on its last day",
       Severity::critical,
       {allow_until("CVE-2023-1234", "2027-01-15")},
       true,
       "5 findings, none at or above CRITICAL but 1 excused by the allow list"},
      {"an unexpired entry wins over an expired one",
       Severity::critical,
       {allow_until("CVE-2023-1234", "2027-01-01"), allow_until("CVE-2023-1234", "2027-03-01")},
       true,
       "5 findings, none at or above CRITICAL but 1 excused by the allow list"},
      {"an entry without end",
       Severity::critical,
       {Allowance{"CVE-2023-1234", std::nullopt, ""}},
       true,
       "5 findings, none at or above CRITICAL but 1 excused by the allow list"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const GateOutcome o = verify::check_fail_on_severity(c.threshold, c.allow, trivy_facts(),
                                                         cosign::kVulnPredicateType, now);
    CHECK(o.check == "failOnSeverity");
    CHECK(o.field == "scanner.result");
    CHECK(o.passed == c.passed);
    CHECK((c.passed ? o.found : o.message) == c.message);
    if (c.passed)
      CHECK(o.message.empty());
  }

  SECTION("the day after until, the entry has expired") {
    const auto o = verify::check_fail_on_severity(
        Severity::critical, {allow_until("CVE-2023-1234", "2027-01-15")}, trivy_facts(),
        cosign::kVulnPredicateType, at("2027-01-16T00:00:00Z"));
    CHECK_FALSE(o.passed);
    CHECK(o.message == "CVE-2023-1234 CRITICAL in libssl3 3.0.9 (allow entry for CVE-2023-1234 "
                       "expired 2027-01-15)" +
                           kScanned);
  }
  SECTION("an entry may name a finding's alias (Grype's related vulnerabilities)") {
    cosign::VulnFacts facts;
    facts.scanner = "grype";
    facts.scanner_version = "0.80.0";
    facts.report_format = "grype";
    facts.findings = {
        finding("GHSA-2222-3333-4444", "High", "lodash", "4.17.20", {"CVE-2021-23337"}),
        finding("CVE-2020-8203", "High", "lodash", "4.17.20")};
    auto o = verify::check_fail_on_severity(Severity::high,
                                            {allow_until("CVE-2021-23337", "2027-06-30")}, facts,
                                            cosign::kVulnPredicateType, now);
    CHECK_FALSE(o.passed);
    // No scan time: the message says so.
    CHECK(o.message == "CVE-2020-8203 HIGH in lodash 4.17.20 (scanned at an unknown time by grype "
                       "0.80.0)");
    o = verify::check_fail_on_severity(
        Severity::high,
        {allow_until("CVE-2021-23337", "2027-06-30"), allow_until("CVE-2020-8203", "2027-06-30")},
        facts, cosign::kVulnPredicateType, now);
    CHECK(o.passed);
  }
  SECTION("a report of an unknown shape cannot pass") {
    cosign::VulnFacts facts;
    facts.scanner = "https://example.com/scanner";
    facts.report_format = "unknown";
    const auto o = verify::check_fail_on_severity(Severity::critical, {}, facts,
                                                  cosign::kVulnPredicateType, now);
    CHECK_FALSE(o.passed);
    CHECK(o.message == "the vuln predicate's scanner.result is neither a Trivy nor a Grype "
                       "report: findings cannot be read");
  }
  SECTION("no findings pass; unknown severities rank below LOW") {
    cosign::VulnFacts facts;
    facts.report_format = "in-toto vulns v0.2";
    auto o = verify::check_fail_on_severity(Severity::low, {}, facts,
                                            cosign::kInTotoVulnsPredicateType, now);
    CHECK(o.passed);
    CHECK(o.found == "0 findings, none at or above LOW");
    facts.findings = {finding("CVE-2024-1", "unrated", "x", "1"),
                      finding("CVE-2024-2", "", "y", "")};
    o = verify::check_fail_on_severity(Severity::low, {}, facts, cosign::kInTotoVulnsPredicateType,
                                       now);
    CHECK(o.passed);
  }
  SECTION("text from the report cannot break the line") {
    cosign::VulnFacts facts = trivy_facts();
    facts.findings = {finding("CVE-2023-1234", "CRITICAL", "lib\nssl", "")};
    facts.scanner_version = "";
    const auto o = verify::check_fail_on_severity(Severity::critical, {}, facts,
                                                  cosign::kVulnPredicateType, now);
    CHECK(o.message == "CVE-2023-1234 CRITICAL in lib?ssl (scanned 2026-11-30T10:00:00Z by trivy)");
  }
}

TEST_CASE("gates: maxScanAge", "[gates]") {
  const TimePoint now = at("2026-12-07T10:00:00Z");
  const std::chrono::seconds week = std::chrono::hours(24 * 7);
  struct Case {
    std::optional<std::string> scanned;
    bool passed;
    std::string text; // message when failed, found when passed
  };
  const std::vector<Case> cases = {
      {"2026-11-20T10:00:00Z", false,
       "scanned 2026-11-20T10:00:00Z, 17d ago, more than maxScanAge 7d"},
      {"2026-11-20T07:30:15Z", false,
       "scanned 2026-11-20T07:30:15Z, 17d2h ago, more than maxScanAge 7d"},
      {"2026-11-30T10:00:00Z", true, "scanned 2026-11-30T10:00:00Z, 7d ago"},
      {"2026-11-30T09:59:59Z", false,
       "scanned 2026-11-30T09:59:59Z, 7d1s ago, more than maxScanAge 7d"},
      {"2026-12-07T08:29:00Z", true, "scanned 2026-12-07T08:29:00Z, 1h31m ago"},
      {"2026-12-07T10:00:00Z", true, "scanned 2026-12-07T10:00:00Z, just now"},
      {"2026-12-07T10:05:00Z", true, "scanned 2026-12-07T10:05:00Z, just now"},
      {"2026-12-07T10:05:01Z", false,
       "scanned 2026-12-07T10:05:01Z, 5m1s in the future: a wrong clock or a forged date (more "
       "than 5m ahead is refused)"},
      {"2027-12-07T10:00:00Z", false,
       "scanned 2027-12-07T10:00:00Z, 365d in the future: a wrong clock or a forged date (more "
       "than 5m ahead is refused)"},
      {std::nullopt, false,
       "the vuln predicate has no scan time (metadata.scanFinishedOn): its age cannot be checked "
       "against maxScanAge 7d"},
  };
  for (const auto& c : cases) {
    INFO(c.scanned.value_or("(none)"));
    cosign::VulnFacts facts = trivy_facts();
    facts.scan_finished = c.scanned ? std::optional<TimePoint>(at(*c.scanned)) : std::nullopt;
    const auto o = verify::check_max_scan_age(week, facts, cosign::kInTotoVulnsPredicateType, now);
    CHECK(o.check == "maxScanAge");
    CHECK(o.field == "metadata.scanFinishedOn");
    CHECK(o.passed == c.passed);
    CHECK((c.passed ? o.found : o.message) == c.text);
  }
}

TEST_CASE("gates: maxAge of an SBOM", "[gates]") {
  const TimePoint now = at("2026-12-31T00:00:00Z");
  const std::chrono::seconds month = std::chrono::hours(24 * 30);
  auto o = verify::check_max_age(month, at("2026-11-21T00:00:00Z"), cosign::kCycloneDxPredicateType,
                                 now);
  CHECK_FALSE(o.passed);
  CHECK(o.field == "metadata.timestamp");
  CHECK(o.message == "created 2026-11-21T00:00:00Z, 40d ago, more than maxAge 30d");
  o = verify::check_max_age(month, at("2026-12-01T00:00:00Z"), cosign::kSpdxPredicateType, now);
  CHECK(o.passed);
  CHECK(o.field == "creationInfo.created");
  CHECK(o.found == "created 2026-12-01T00:00:00Z, 30d ago");
  o = verify::check_max_age(month, at("2027-01-01T00:00:00Z"), cosign::kSpdxPredicateType, now);
  CHECK_FALSE(o.passed);
  CHECK(o.message == "created 2027-01-01T00:00:00Z, 1d in the future: a wrong clock or a forged "
                     "date (more than 5m ahead is refused)");
  o = verify::check_max_age(month, std::nullopt, cosign::kSpdxPredicateType, now);
  CHECK_FALSE(o.passed);
  CHECK(o.message == "the SBOM has no creation time (creationInfo.created): its age cannot be "
                     "checked against maxAge 30d");
}

TEST_CASE("gates: builder and source prefixes stop at a path or version boundary", "[gates]") {
  const std::string builder = "https://github.com/example/builder";
  struct Case {
    std::string value;
    std::string prefix;
    bool matches;
  };
  const std::vector<Case> cases = {
      {builder, builder, true},
      {builder + "-evil", builder, false},
      {builder + "x", builder, false},
      {builder + "/.github/workflows/build.yml@refs/tags/v1", builder, true},
      {builder + "@v2.1.0", builder, true},
      {"https://github.com/example/builde", builder, false},
      {"HTTPS://github.com/example/builder", builder, false},
      {"git+https://github.com/example/app@refs/heads/main", "git+https://github.com/example/",
       true},
      {"git+https://github.com/example-evil/app", "git+https://github.com/example/", false},
      {"git+https://github.com/example", "git+https://github.com/example/", false},
      {"git+https://github.com/example/", "git+https://github.com/example/", true},
      {"anything", "", false},
      {"", builder, false},
  };
  for (const auto& c : cases) {
    INFO(c.value << " under " << c.prefix);
    CHECK(verify::uri_matches(c.value, c.prefix) == c.matches);
  }
}

TEST_CASE("gates: builderId and sourceUri", "[gates]") {
  const cosign::SlsaFacts facts{
      "https://github.com/example/builder-evil/.github/workflows/b.yml@refs/heads/main",
      {"git+https://github.com/other/lib@v1",
       "git+https://github.com/example/app@refs/heads/main"}};
  auto o = verify::check_builder_id("https://github.com/example/builder", facts,
                                    cosign::kSlsa1PredicateType);
  CHECK_FALSE(o.passed);
  CHECK(o.field == "runDetails.builder.id");
  CHECK(o.message == "built by \"https://github.com/example/builder-evil/.github/workflows/"
                     "b.yml@refs/heads/main\", which is not \"https://github.com/example/builder\" "
                     "or under it");
  o = verify::check_builder_id("https://github.com/example/builder-evil", facts,
                               cosign::kSlsa02PredicateType);
  CHECK(o.passed);
  CHECK(o.field == "builder.id");

  o = verify::check_source_uri("git+https://github.com/example/", facts,
                               cosign::kSlsa1PredicateType);
  CHECK(o.passed);
  CHECK(o.found == "git+https://github.com/example/app@refs/heads/main");
  o = verify::check_source_uri("git+https://github.com/example/app", facts,
                               cosign::kSlsa02PredicateType);
  CHECK(o.passed);
  o = verify::check_source_uri("git+https://github.com/example/ap", facts,
                               cosign::kSlsa02PredicateType);
  CHECK_FALSE(o.passed);
  CHECK(o.field == "invocation.configSource.uri, materials[].uri");
  CHECK(o.message == "no source is \"git+https://github.com/example/ap\" or under it "
                     "(\"git+https://github.com/other/lib@v1\", "
                     "\"git+https://github.com/example/app@refs/heads/main\")");
  o = verify::check_source_uri("git+https://github.com/example/", cosign::SlsaFacts{"b", {}},
                               cosign::kSlsa1PredicateType);
  CHECK_FALSE(o.passed);
  CHECK(o.message == "the provenance names no source (buildDefinition.resolvedDependencies[].uri)");
}

TEST_CASE("gates: JSON pointers (RFC 6901)", "[gates]") {
  const json doc = json::parse(R"({"approved": true, "reviewers": ["alice", "bob"], "a/b": 1,
      "m~n": 2, "": 3, "nested": {"level": "high", "n": null}, "count": 2})");
  const std::vector<std::pair<std::string, std::optional<json>>> found = {
      {"/approved", json(true)},
      {"/reviewers/1", json("bob")},
      {"/reviewers/0", json("alice")},
      {"/reviewers/01", std::nullopt},
      {"/reviewers/2", std::nullopt},
      {"/reviewers/-", std::nullopt},
      {"/reviewers/x", std::nullopt},
      {"/reviewers/", std::nullopt},
      {"/reviewers/99999999999999999999999", std::nullopt},
      {"/a~1b", json(1)},
      {"/m~0n", json(2)},
      {"/", json(3)},
      {"/nested/n", json(nullptr)},
      {"/nested/level/x", std::nullopt},
      {"/approved/x", std::nullopt},
      {"/missing", std::nullopt},
      {"", doc},
  };
  for (const auto& [pointer, value] : found) {
    INFO(pointer);
    auto r = verify::resolve_pointer(doc, pointer);
    REQUIRE(r);
    REQUIRE((*r != nullptr) == value.has_value());
    if (value)
      CHECK(**r == *value);
  }
  for (const std::string bad : {"approved", "/a~2b", "/a~", "/missing/~x"}) {
    INFO(bad);
    auto r = verify::resolve_pointer(doc, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::usage);
    CHECK_THAT(r.error().message(),
               Catch::StartsWith(common::quote_for_message(bad) + " is not a JSON pointer: "));
  }

  using Op = PointerCheck::Op;
  struct Case {
    PointerCheck check;
    bool passed;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"/approved", Op::equals, true}, true, ""},
      {{"/approved", Op::equals, "true"}, false, "\"/approved\" is true, not \"true\""},
      {{"/count", Op::equals, 2.0}, true, ""},
      {{"/missing", Op::equals, true}, false, "nothing at \"/missing\", which must be true"},
      {{"/nested/level", Op::one_of, json::array({"high", "critical"})}, true, ""},
      {{"/nested/level", Op::one_of, json::array({"low"})},
       false,
       "\"/nested/level\" is \"high\", not one of [\"low\"]"},
      {{"/missing", Op::one_of, json::array({"low"})},
       false,
       "nothing at \"/missing\", which must be one of [\"low\"]"},
      {{"/nested/n", Op::exists, true}, true, ""},
      {{"/missing", Op::exists, false}, true, ""},
      {{"/approved", Op::exists, false}, false, "\"/approved\" is true, which must be absent"},
      {{"/missing", Op::exists, true}, false, "nothing at \"/missing\", which must exist"},
      {{"/a~2", Op::exists, true},
       false,
       "\"/a~2\" is not a JSON pointer: '~' is followed by 0 ('~') or 1 ('/')"},
  };
  for (const auto& c : cases) {
    INFO(c.check.pointer << " " << c.check.value.dump());
    const auto o = verify::check_pointer(c.check, doc);
    CHECK(o.check == "pointer");
    CHECK(o.field == c.check.pointer);
    CHECK(o.passed == c.passed);
    CHECK(o.message == c.message);
  }
}

namespace {

// Keys by file name, for parse_attestation_rule's loader; records what it was asked for.
struct Keys {
  verify::testing::Signer scope = verify::testing::new_signer();
  verify::testing::Signer scanner = verify::testing::new_signer();
  verify::testing::Signer other = verify::testing::new_signer();
  std::vector<std::string> loaded;

  verify::AttestationKeyLoader loader() {
    return [this](const std::string& name) -> common::Result<keys::PublicKey> {
      loaded.push_back(name);
      if (name == "keys/scanner.pub")
        return scanner.pub;
      if (name == "keys/other.pub")
        return other.pub;
      if (name == "keys/scope.pub")
        return scope.pub;
      return common::make_error(ErrorKind::io,
                                "reading key '" + name + "': No such file or directory");
    };
  }
  common::Result<verify::AttestationRule> parse(const std::string& entry) {
    auto j = common::parse_strict_json(entry);
    REQUIRE(j);
    return verify::parse_attestation_rule(*j, "attestations[0]", {scope.pub}, {"keys/scope.pub"},
                                          loader());
  }
};

} // namespace

TEST_CASE("gates: parsing an attestations entry", "[gates]") {
  Keys k;
  SECTION("a vuln gate with its own keys") {
    auto r = k.parse(R"({"type": "vuln", "keys": ["keys/scanner.pub", "keys/other.pub"],
        "threshold": 2, "failOnSeverity": "high", "maxScanAge": "7d",
        "allow": [{"id": "CVE-2023-1234", "until": "2027-01-31"},
                  {"id": "GHSA-abcd-efgh-ijkl", "until": "2027-02-01T12:00:00Z"}]})");
    REQUIRE(r);
    CHECK(r->type == "vuln");
    CHECK(r->predicate_types == std::vector<std::string>{std::string(cosign::kVulnPredicateType)});
    CHECK(k.loaded == std::vector<std::string>{"keys/scanner.pub", "keys/other.pub"});
    CHECK(r->key_files == k.loaded);
    REQUIRE(r->keys.size() == 2);
    CHECK(verify::key_id(r->keys[0]) == verify::key_id(k.scanner.pub));
    CHECK(r->threshold == 2);
    CHECK(r->fail_on_severity == Severity::high);
    CHECK(r->max_scan_age == std::chrono::hours(24 * 7));
    REQUIRE(r->allow.size() == 2);
    CHECK(r->allow[0].id == "CVE-2023-1234");
    CHECK(r->allow[0].until == at("2027-02-01T00:00:00Z"));
    CHECK(r->allow[0].until_text == "2027-01-31");
    CHECK(r->allow[1].until == at("2027-02-01T12:00:00Z"));
    CHECK(r->has_checks());
  }
  SECTION("keys default to the scope's") {
    auto r = k.parse(R"({"type": "https://in-toto.io/attestation/vulns/v0.2"})");
    REQUIRE(r);
    CHECK(r->predicate_types ==
          std::vector<std::string>{std::string(cosign::kInTotoVulnsPredicateType)});
    CHECK(k.loaded.empty());
    CHECK(r->key_files == std::vector<std::string>{"keys/scope.pub"});
    REQUIRE(r->keys.size() == 1);
    CHECK(verify::key_id(r->keys[0]) == verify::key_id(k.scope.pub));
    CHECK(r->threshold == 1);
    CHECK_FALSE(r->has_checks());
  }
  SECTION("sbom stands for both SBOM types") {
    auto r = k.parse(R"({"type": "sbom", "maxAge": "30d"})");
    REQUIRE(r);
    CHECK(r->predicate_types ==
          std::vector<std::string>{std::string(cosign::kSpdxPredicateType),
                                   std::string(cosign::kCycloneDxPredicateType)});
    CHECK(r->max_age == std::chrono::hours(24 * 30));
    CHECK(r->has_checks());
    for (const std::string type : {"spdx", "spdxjson", "cyclonedx", "https://cyclonedx.org/bom"}) {
      INFO(type);
      CHECK(k.parse(R"({"type": ")" + type + R"(", "maxAge": "1d12h"})"));
    }
  }
  SECTION("SLSA provenance") {
    for (const std::string type : {"slsaprovenance", "slsaprovenance02", "slsaprovenance1",
                                   "https://slsa.dev/provenance/v1"}) {
      INFO(type);
      auto r = k.parse(R"({"type": ")" + type +
                       R"(", "builderId": "https://github.com/example/builder",
                           "sourceUri": "git+https://github.com/example/"})");
      REQUIRE(r);
      CHECK(r->builder_id == "https://github.com/example/builder");
      CHECK(r->source_uri == "git+https://github.com/example/");
      CHECK(r->predicate_types.size() == 1);
    }
  }
  SECTION("pointers on any type") {
    auto r = k.parse(R"({"type": "https://example.com/review/v1", "pointer": "/approved",
                         "equals": true})");
    REQUIRE(r);
    REQUIRE(r->pointers.size() == 1);
    CHECK(r->pointers[0].pointer == "/approved");
    CHECK(r->pointers[0].op == PointerCheck::Op::equals);
    CHECK(r->pointers[0].value == json(true));
    CHECK(r->has_checks());
    r = k.parse(R"({"type": "vuln", "pointer": "/scanner/uri", "oneOf": ["a", 1, null]})");
    REQUIRE(r);
    CHECK(r->pointers[0].op == PointerCheck::Op::one_of);
    r = k.parse(R"({"type": "cyclonedx", "pointer": "/metadata/component", "exists": false})");
    REQUIRE(r);
    CHECK(r->pointers[0].op == PointerCheck::Op::exists);
    CHECK(r->pointers[0].value == json(false));
    r = k.parse(R"({"type": "custom", "pointer": "/Data", "equals": null})");
    REQUIRE(r);
    CHECK(r->pointers[0].value.is_null());
  }
}

TEST_CASE("gates: a bad attestations entry is refused, naming the field", "[gates]") {
  struct Case {
    std::string entry;
    std::string message;
    ErrorKind kind = ErrorKind::usage;
  };
  const std::vector<Case> cases = {
      {R"(["vuln"])", "attestations[0]: must be an object, not an array"},
      {R"({})", "attestations[0]: missing field \"type\" (a --type such as vuln, cyclonedx or "
                "slsaprovenance1, \"sbom\" for any SBOM, or a predicate type URI)"},
      {R"({"type": "vuln", "failOnSeverty": "HIGH"})",
       "attestations[0]: unknown field \"failOnSeverty\" (allowed: type, keys, threshold, "
       "failOnSeverity, maxScanAge, allow, maxAge, builderId, sourceUri, pointer, equals, oneOf, "
       "exists)"},
      {R"({"type": 1})", "attestations[0].type: must be a string, not a number"},
      {R"({"type": "sboms"})",
       "attestations[0].type: unknown attestation type \"sboms\": give one of custom, "
       "slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, link, "
       "vuln, openvex, or a predicate type URI"},
      {R"({"type": "cyclonedx", "failOnSeverity": "HIGH"})",
       "attestations[0].failOnSeverity: applies to vulnerability reports (vuln, "
       "https://in-toto.io/attestation/vulns/v0.2) only, not to \"cyclonedx\""},
      {R"({"type": "sbom", "maxScanAge": "7d"})",
       "attestations[0].maxScanAge: applies to vulnerability reports (vuln, "
       "https://in-toto.io/attestation/vulns/v0.2) only, not to \"sbom\""},
      {R"({"type": "slsaprovenance1", "allow": []})",
       "attestations[0].allow: applies to vulnerability reports (vuln, "
       "https://in-toto.io/attestation/vulns/v0.2) only, not to \"slsaprovenance1\""},
      {R"({"type": "vuln", "maxAge": "7d"})",
       "attestations[0].maxAge: applies to SBOMs (sbom, spdx, spdxjson, cyclonedx) only, not to "
       "\"vuln\""},
      {R"({"type": "cyclonedx", "builderId": "https://b"})",
       "attestations[0].builderId: applies to SLSA provenance (slsaprovenance, "
       "slsaprovenance02, slsaprovenance1) only, not to \"cyclonedx\""},
      {R"({"type": "https://example.com/x", "sourceUri": "git+https://a/"})",
       "attestations[0].sourceUri: applies to SLSA provenance (slsaprovenance, "
       "slsaprovenance02, slsaprovenance1) only, not to \"https://example.com/x\""},
      {R"({"type": "vuln", "keys": "keys/scanner.pub"})",
       "attestations[0].keys: must be a list of strings, not a string"},
      {R"({"type": "vuln", "keys": []})", "attestations[0].keys: must not be empty"},
      {R"({"type": "vuln", "keys": ["keys/nope.pub"]})",
       "attestations[0].keys[0]: reading key 'keys/nope.pub': No such file or directory",
       ErrorKind::io},
      {R"({"type": "vuln", "threshold": 2})",
       "attestations[0].threshold: 2 is more than the 1 distinct key"},
      {R"({"type": "vuln", "keys": ["keys/scanner.pub", "keys/scanner.pub"], "threshold": 2})",
       "attestations[0].threshold: 2 is more than the 1 distinct key"},
      {R"({"type": "vuln", "threshold": 0})",
       "attestations[0].threshold: must be a whole number of at least 1"},
      {R"({"type": "vuln", "threshold": -1})",
       "attestations[0].threshold: must be a whole number of at least 1"},
      {R"({"type": "vuln", "threshold": 1.0})",
       "attestations[0].threshold: must be a whole number of at least 1"},
      {R"({"type": "vuln", "threshold": true})",
       "attestations[0].threshold: must be a whole number of at least 1"},
      {R"({"type": "vuln", "failOnSeverity": "NEGLIGIBLE"})",
       "attestations[0].failOnSeverity: \"NEGLIGIBLE\" is not a severity threshold: give LOW, "
       "MEDIUM, HIGH or CRITICAL"},
      {R"({"type": "vuln", "failOnSeverity": 4})",
       "attestations[0].failOnSeverity: must be a string, not a number"},
      {R"({"type": "vuln", "maxScanAge": "7 days"})", "attestations[0].maxScanAge: "},
      {R"({"type": "vuln", "maxScanAge": 7})",
       "attestations[0].maxScanAge: must be a string, not a number"},
      {R"({"type": "cyclonedx", "maxAge": "-1d"})", "attestations[0].maxAge: "},
      {R"({"type": "vuln", "allow": [{"id": "CVE-1", "until": "2027-01-31"}]})",
       "attestations[0].allow: excuses findings from failOnSeverity only: add "
       "\"failOnSeverity\""},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": {"id": "CVE-1"}})",
       "attestations[0].allow: must be a list of {\"id\": .., \"until\": ..} objects, not an "
       "object"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": ["CVE-1"]})",
       "attestations[0].allow[0]: must be an object, not a string"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"id": "CVE-1"}]})",
       "attestations[0].allow[0]: missing field \"until\" (the date the exception ends, e.g. "
       "\"2027-01-31\": every allow entry expires)"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"until": "2027-01-31"}]})",
       "attestations[0].allow[0]: missing field \"id\" (the finding's ID, e.g. "
       "\"CVE-2023-1234\")"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH",
           "allow": [{"id": "CVE-1", "until": "2027-01-31", "reason": "x"}]})",
       "attestations[0].allow[0]: unknown field \"reason\" (allowed: id, until)"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"id": "", "until": "2027-01-31"}]})",
       "attestations[0].allow[0].id: must not be empty"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"id": "CVE-1", "until": "soon"}]})",
       "attestations[0].allow[0].until: "},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"id": "CVE-1", "until": 2027}]})",
       "attestations[0].allow[0].until: must be a string, not a number"},
      {R"({"type": "vuln", "failOnSeverity": "HIGH", "allow": [
           {"id": "CVE-2023-1", "until": "2027-01-31"}, {"id": "cve-2023-1", "until": "2028-01-31"}]})",
       "attestations[0].allow[1].id: \"cve-2023-1\" is allowed by attestations[0].allow[0] "
       "already"},
      {R"({"type": "slsaprovenance1", "builderId": ""})",
       "attestations[0].builderId: must not be empty"},
      {R"({"type": "slsaprovenance1", "sourceUri": ["a"]})",
       "attestations[0].sourceUri: must be a string, not an array"},
      {R"({"type": "vuln", "pointer": "/a"})",
       "attestations[0]: \"pointer\" needs exactly one of \"equals\", \"oneOf\" or \"exists\", "
       "not 0"},
      {R"({"type": "vuln", "pointer": "/a", "equals": 1, "exists": true})",
       "attestations[0]: \"pointer\" needs exactly one of \"equals\", \"oneOf\" or \"exists\", "
       "not 2"},
      {R"({"type": "vuln", "equals": 1})",
       "attestations[0].equals: only with \"pointer\" (the JSON pointer it checks)"},
      {R"({"type": "vuln", "exists": true})",
       "attestations[0].exists: only with \"pointer\" (the JSON pointer it checks)"},
      {R"({"type": "vuln", "pointer": "approved", "exists": true})",
       "attestations[0].pointer: \"approved\" is not a JSON pointer: it starts with '/' "
       "(\"/approved\")"},
      {R"({"type": "vuln", "pointer": "", "exists": true})",
       "attestations[0].pointer: must not be empty"},
      {R"({"type": "vuln", "pointer": "/a~", "exists": true})",
       "attestations[0].pointer: \"/a~\" is not a JSON pointer: '~' is followed by 0 ('~') or 1 "
       "('/')"},
      {R"({"type": "vuln", "pointer": 1, "exists": true})",
       "attestations[0].pointer: must be a string, not a number"},
      {R"({"type": "vuln", "pointer": "/a", "exists": "yes"})",
       "attestations[0].exists: must be true or false, not a string"},
      {R"({"type": "vuln", "pointer": "/a", "oneOf": []})",
       "attestations[0].oneOf: must be a non-empty list of values, not an empty one"},
      {R"({"type": "vuln", "pointer": "/a", "oneOf": "a"})",
       "attestations[0].oneOf: must be a non-empty list of values, not a string"},
  };
  for (const auto& c : cases) {
    Keys k;
    INFO(c.entry);
    auto r = k.parse(c.entry);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == c.kind);
    if (c.message.back() == ' ')
      CHECK_THAT(r.error().message(), Catch::StartsWith(c.message));
    else
      CHECK(r.error().message() == c.message);
  }

  SECTION("without keys of its own or the scope's") {
    Keys k;
    auto r = verify::parse_attestation_rule(json::parse(R"({"type": "vuln"})"), "attestations[2]",
                                            {}, {}, k.loader());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::usage);
    CHECK(r.error().message() ==
          "attestations[2]: no keys: give \"keys\" (the key files whose attestations count)");
  }
}
