// Predicates: the bytes make_predicate writes for each --type, its refusals, and the readers over
// real scanner reports, SBOMs and provenance (testdata/attestations, testdata/PROVENANCE.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/time.h"
#include "cosign/predicate.h"
#include "tests/unit/testdata.h"

using namespace isign;
using common::ErrorKind;
using cosign::make_predicate;
using cosign::PredicateFile;
using cosign::PredicateKind;

namespace {

common::TimePoint at(std::string_view rfc3339) {
  return common::parse_rfc3339(rfc3339).value();
}

PredicateKind kind(std::string_view type) {
  return cosign::predicate_kind(type).value();
}

PredicateFile file(std::string_view bytes, std::string name = "f.json") {
  return PredicateFile{bytes, std::move(name), at("2026-11-29T08:00:00Z"),
                       at("2026-11-30T10:00:00Z")};
}

std::string attestation(const std::string& name) {
  return unit::testdata_file("attestations/" + name);
}

// The wrapped vuln predicate around an already compact report.
std::string wrapped(std::string_view uri, std::string_view version, std::string_view report,
                    std::string_view time) {
  return R"({"invocation":{"parameters":null,"uri":"","event_id":"","builder.id":""},)"
         R"("scanner":{"uri":")" +
         std::string(uri) + R"(","version":")" + std::string(version) +
         R"(","db":{"uri":"","version":""},"result":)" + std::string(report) +
         R"(},"metadata":{"scanStartedOn":")" + std::string(time) + R"(","scanFinishedOn":")" +
         std::string(time) + R"("}})";
}

nlohmann::json parsed(const std::string& text) {
  return common::parse_strict_json(text).value();
}

} // namespace

TEST_CASE("custom wraps the file's text with the time, as cosign's CosignPredicate",
          "[predicate]") {
  auto made = make_predicate(kind("custom"), file("line \"one\"\n<b>&\xff"));
  REQUIRE(made.ok());
  // Dated by the file's modification time: the same file attested again is the same attestation.
  CHECK(made->json ==
        R"({"Data":"line \"one\"\n\u003cb\u003e\u0026\ufffd","Timestamp":"2026-11-29T08:00:00Z"})");
  CHECK(made->notes.empty());
  // cosign attests an empty file as it is; a file without a modification time (a pipe) is dated
  // now, as cosign dates every one.
  PredicateFile piped = file("");
  piped.modified.reset();
  CHECK(make_predicate(kind("custom"), piped)->json ==
        R"({"Data":"","Timestamp":"2026-11-30T10:00:00Z"})");
}

TEST_CASE("spdx stores the document's text as a JSON string", "[predicate]") {
  auto made = make_predicate(kind("spdx"), file("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"));
  REQUIRE(made.ok());
  CHECK(made->json == R"("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n")");
  auto json_doc = make_predicate(kind("spdx"), file("{\"spdxVersion\": \"SPDX-2.3\"}\n"));
  REQUIRE(json_doc.ok());
  CHECK(json_doc->json == R"("{\"spdxVersion\": \"SPDX-2.3\"}\n")");
}

TEST_CASE("JSON predicates are the file's object compacted, every other byte kept", "[predicate]") {
  const std::string bom =
      "{\n  \"bomFormat\" : \"CycloneDX\",\r\n\t\"specVersion\": \"1.5\",\n"
      "  \"metadata\": { \"timestamp\": \"2026-01-02T03:04:05Z\" },\n"
      "  \"note\": \"a  b\\t\\\" }\\\\\", \"n\": [ 1.50, -0, 1e3, true, null ]\n"
      "}\n";
  const std::string compact = R"({"bomFormat":"CycloneDX","specVersion":"1.5",)"
                              R"("metadata":{"timestamp":"2026-01-02T03:04:05Z"},)"
                              R"("note":"a  b\t\" }\\","n":[1.50,-0,1e3,true,null]})";
  auto made = make_predicate(kind("cyclonedx"), file(bom));
  REQUIRE(made.ok());
  CHECK(made->json == compact);
  // A predicate type URI takes any JSON object the same way.
  CHECK(make_predicate(kind("https://example.com/mine/v1"), file(bom))->json == compact);
}

TEST_CASE("vuln wraps a Trivy report in cosign's vuln predicate", "[predicate]") {
  const std::string report = R"({ "SchemaVersion": 2, "Trivy": { "Version": "0.58.1+x" },)"
                             R"( "CreatedAt": "2026-11-30T12:00:00.123456+02:00",)"
                             R"( "ArtifactName": "alpine:3.20", "Results": [] })";
  auto made = make_predicate(kind("vuln"), file(report));
  REQUIRE(made.ok());
  CHECK(made->json ==
        wrapped("pkg:github/aquasecurity/trivy@0.58.1%2Bx", "0.58.1+x",
                R"({"SchemaVersion":2,"Trivy":{"Version":"0.58.1+x"},)"
                R"("CreatedAt":"2026-11-30T12:00:00.123456+02:00","ArtifactName":"alpine:3.20",)"
                R"("Results":[]})",
                "2026-11-30T10:00:00Z"));
  CHECK(made->notes.empty());
}

TEST_CASE("vuln dates a report without a scan time by the file and says so", "[predicate]") {
  auto made =
      make_predicate(kind("vuln"), file(R"({"SchemaVersion":2,"ArtifactName":"a"})", "old.json"));
  REQUIRE(made.ok());
  CHECK(made->json == wrapped("pkg:github/aquasecurity/trivy", "",
                              R"({"SchemaVersion":2,"ArtifactName":"a"})", "2026-11-29T08:00:00Z"));
  CHECK(made->notes == std::vector<std::string>{
                           "'old.json' has no scan time (CreatedAt); dated by the file's "
                           "modification time 2026-11-29T08:00:00Z",
                           "'old.json' does not say which Trivy version wrote it (Trivy.Version); "
                           "scanner.version is left empty"});
  // Without a modification time (standard input) nothing can date it.
  PredicateFile piped = file(R"({"SchemaVersion":2,"ArtifactName":"a"})", "-");
  piped.modified.reset();
  auto refused = make_predicate(kind("vuln"), piped);
  REQUIRE(!refused.ok());
  CHECK(refused.error().message() ==
        "--type vuln: '-' has no scan time (CreatedAt) and no modification time to date it by");
}

TEST_CASE("vuln wraps a Grype report, its version and time from the descriptor", "[predicate]") {
  const std::string report =
      R"({"matches":[],"source":{},"descriptor":{"name":"grype","version":"0.80.0",)"
      R"("timestamp":"2026-11-30T05:00:00.5-05:00"}})";
  auto made = make_predicate(kind("vuln"), file(report));
  REQUIRE(made.ok());
  CHECK(made->json ==
        wrapped("pkg:github/anchore/grype@0.80.0", "0.80.0", report, "2026-11-30T10:00:00Z"));
  CHECK(made->notes.empty());
}

TEST_CASE("vuln takes a cosign-vuln predicate as it is, compacted", "[predicate]") {
  const std::string predicate =
      "{\n \"invocation\": {\"parameters\": null, \"uri\": \"\", \"event_id\": \"\", "
      "\"builder.id\": \"\"},\n \"scanner\": {\"uri\": \"pkg:github/aquasecurity/trivy@0.1\", "
      "\"version\": \"0.1\", \"db\": {\"uri\": \"\", \"version\": \"\"}, \"result\": {}},\n "
      "\"metadata\": {\"scanStartedOn\": \"2026-11-30T10:00:00+01:00\", \"scanFinishedOn\": "
      "\"2026-11-30T10:00:01.5+01:00\"}\n}\n";
  auto made = make_predicate(kind("vuln"), file(predicate));
  REQUIRE(made.ok());
  CHECK(
      made->json ==
      R"({"invocation":{"parameters":null,"uri":"","event_id":"","builder.id":""},)"
      R"("scanner":{"uri":"pkg:github/aquasecurity/trivy@0.1","version":"0.1",)"
      R"("db":{"uri":"","version":""},"result":{}},"metadata":)"
      R"({"scanStartedOn":"2026-11-30T10:00:00+01:00","scanFinishedOn":"2026-11-30T10:00:01.5+01:00"}})");
  CHECK(made->notes.empty());
}

TEST_CASE("make_predicate refuses a file that is not what its type says", "[predicate]") {
  struct Case {
    std::string type;
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"vuln", R"({"bomFormat":"CycloneDX","specVersion":"1.5"})",
       "--type vuln: 'f.json' is a CycloneDX SBOM, not a vulnerability report (give a Trivy or "
       "Grype JSON report, or trivy --format cosign-vuln output)"},
      {"spdxjson", R"({"SchemaVersion":2,"Results":[]})",
       "--type spdxjson: 'f.json' is a Trivy JSON report, not an SPDX JSON document"},
      {"cyclonedx", "<bom/>",
       "--type cyclonedx: 'f.json' is not JSON: parse error at line 1, column 1: syntax error "
       "while parsing value - invalid literal; last read: '<'"},
      {"openvex", "[]", "--type openvex: 'f.json' is a JSON array, not an OpenVEX document"},
      {"link", "", "--type link: 'f.json' is empty"},
      {"slsaprovenance", R"({"buildDefinition":{},"runDetails":{}})",
       "--type slsaprovenance: 'f.json' is SLSA provenance v1, not SLSA provenance v0.2 (use "
       "--type slsaprovenance1)"},
      {"slsaprovenance1",
       R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":"x","predicate":{}})",
       "--type slsaprovenance1: 'f.json' is an in-toto statement, not SLSA provenance v1 (give "
       "its predicate: jq .predicate)"},
      {"spdx", "just some text",
       "--type spdx: 'f.json' is not an SPDX document (no SPDXVersion: "
       "line, and not JSON)"},
      {"spdx", R"({"matches":[],"descriptor":{}})",
       "--type spdx: 'f.json' is a Grype JSON report, not an SPDX document"},
      {"https://example.com/p", "\"text\"",
       "--type https://example.com/p: 'f.json' is a JSON string, not a JSON object"},
      {"vuln", R"({"scanner":{},"metadata":{"scanStartedOn":"2026-11-30T10:00:00Z"}})",
       "--type vuln: 'f.json' is a cosign-vuln predicate without metadata.scanFinishedOn (cosign "
       "requires both scan times)"},
      {"vuln", R"({"scanner":{},"metadata":{"scanStartedOn":"","scanFinishedOn":""}})",
       "--type vuln: 'f.json' is a cosign-vuln predicate without metadata.scanStartedOn (cosign "
       "requires both scan times)"},
      {"vuln", R"({"scanner":{},"metadata":{"scanStartedOn":"yesterday","scanFinishedOn":""}})",
       "--type vuln: 'f.json': metadata.scanStartedOn: \"yesterday\" is not an RFC 3339 time "
       "such as 2026-11-30T10:00:00Z"},
      {"vuln", R"({"SchemaVersion":2,"CreatedAt":1629894030})",
       "--type vuln: 'f.json': CreatedAt is a number, not an RFC 3339 time"},
      {"vuln", R"({"a":1,"a":2})", "--type vuln: 'f.json' is not JSON: duplicate key \"a\""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.type, c.bytes);
    auto made = make_predicate(kind(c.type), file(c.bytes));
    REQUIRE(!made.ok());
    CHECK(made.error().kind() == ErrorKind::usage);
    CHECK(made.error().message() == c.message);
  }
}

TEST_CASE("each type takes its kind of document and refuses every other", "[predicate]") {
  // Each real file and the types that take it.
  struct Doc {
    std::string file;
    std::vector<std::string> types;
  };
  const std::vector<Doc> docs = {
      {"trivy-alpine-310.json", {"vuln"}},
      {"trivy-cosign-vuln-alpine-310.json", {"vuln"}},
      {"grype-ghsa-test.json", {"vuln"}},
      {"grype-snapshot-no-timestamp.json", {"vuln"}},
      {"trivy-conda-cyclonedx.json", {"cyclonedx"}},
      {"syft-cyclonedx-image.json", {"cyclonedx"}},
      {"trivy-conda-spdx.json", {"spdxjson", "spdx"}},
      {"syft-spdx-image.json", {"spdxjson", "spdx"}},
      {"slsa-v0.2-generic-generator.json", {"slsaprovenance", "slsaprovenance02"}},
      {"slsa-v1-delegator.json", {"slsaprovenance1"}},
      {"openvex-v0.0.1.json", {"openvex"}},
      {"in-toto-write-code.link-signed.json", {"link"}},
      {"in-toto-write-code.776a00e2.link", {}},
  };
  const std::vector<std::string> types = {
      "spdx",           "spdxjson",         "cyclonedx",       "openvex", "link",
      "slsaprovenance", "slsaprovenance02", "slsaprovenance1", "vuln"};
  for (const auto& doc : docs) {
    const std::string bytes = attestation(doc.file);
    for (const auto& type : types) {
      CAPTURE(doc.file, type);
      const bool takes = std::find(doc.types.begin(), doc.types.end(), type) != doc.types.end();
      auto made = make_predicate(kind(type), file(bytes, doc.file));
      REQUIRE(made.ok() == takes);
      if (!takes) {
        CHECK(made.error().kind() == ErrorKind::usage);
        CHECK(made.error().message().rfind("--type " + type + ": '" + doc.file + "' is ", 0) == 0);
        continue;
      }
      auto predicate = common::parse_strict_json(made->json);
      REQUIRE(predicate.ok());
      // What is not wrapped is the document itself.
      if (type != "vuln" && type != "spdx")
        CHECK(*predicate == parsed(bytes));
      if (type == "spdx")
        CHECK(*predicate == nlohmann::json(bytes));
    }
    // A URI type takes any object.
    CHECK(make_predicate(kind("https://example.com/any/v1"), file(bytes)).ok());
  }
  CHECK(make_predicate(kind("link"), file(attestation("in-toto-write-code.776a00e2.link")))
            .error()
            .message() == "--type link: 'f.json' is a signed in-toto link file, not an in-toto "
                          "link (give its \"signed\" object: jq .signed)");
}

TEST_CASE("describe_document names what a file is", "[predicate]") {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"trivy-alpine-310.json", "a Trivy JSON report"},
      {"trivy-cosign-vuln-alpine-310.json", "a cosign-vuln predicate"},
      {"grype-ghsa-test.json", "a Grype JSON report"},
      {"trivy-conda-cyclonedx.json", "a CycloneDX SBOM"},
      {"syft-spdx-image.json", "an SPDX JSON document"},
      {"slsa-v0.2-generic-generator.json", "SLSA provenance v0.2"},
      {"slsa-v1-delegator.json", "SLSA provenance v1"},
      {"openvex-v0.0.1.json", "an OpenVEX document"},
      {"in-toto-write-code.link-signed.json", "an in-toto link"},
  };
  for (const auto& [name, what] : files) {
    CAPTURE(name);
    CHECK(cosign::describe_document(attestation(name)) == what);
  }
  CHECK(cosign::describe_document("") == "an empty file");
  CHECK(cosign::describe_document("nope") == "not JSON");
  CHECK(cosign::describe_document("\xEF\xBB\xBF{}") == "not JSON");
  CHECK(cosign::describe_document("[1]") == "a JSON array");
  CHECK(cosign::describe_document("3") == "a JSON number");
  CHECK(cosign::describe_document(R"({"a":1})") == "a JSON object");
  CHECK(cosign::describe_document(R"({"payloadType":"x","payload":"","signatures":[]})") ==
        "a DSSE envelope");
}

TEST_CASE("read_vuln_predicate reads a wrapped Trivy report", "[predicate]") {
  auto made = make_predicate(kind("vuln"), file(attestation("trivy-alpine-310.json")));
  REQUIRE(made.ok());
  CHECK(made->notes.empty());
  auto facts = cosign::read_vuln_predicate(cosign::kVulnPredicateType, parsed(made->json));
  REQUIRE(facts.ok());
  CHECK(facts->scanner == "trivy");
  CHECK(facts->scanner_version == "dev");
  CHECK(facts->report_format == "trivy");
  // CreatedAt 2021-08-25T12:20:30.000000005Z, to the second.
  CHECK(facts->scan_finished == at("2021-08-25T12:20:30Z"));
  REQUIRE(facts->findings.size() == 4);
  const auto& f = facts->findings[2];
  CHECK(f.id == "CVE-2019-1549");
  CHECK(f.package == "libssl1.1");
  CHECK(f.version == "1.1.1c-r0");
  CHECK(f.severity == "MEDIUM");
  CHECK(f.aliases.empty());
}

TEST_CASE("read_vuln_predicate reads trivy --format cosign-vuln output", "[predicate]") {
  auto made = make_predicate(kind("vuln"), file(attestation("trivy-cosign-vuln-alpine-310.json")));
  REQUIRE(made.ok());
  auto facts = cosign::read_vuln_predicate(cosign::kVulnPredicateType, parsed(made->json));
  REQUIRE(facts.ok());
  CHECK(facts->scanner == "trivy");
  CHECK(facts->scanner_version == "v0.30.1-8-gf9cb8a28");
  CHECK(facts->scan_finished == at("2022-07-24T08:14:04Z")); // 17:14:04.864682+09:00
  REQUIRE(facts->findings.size() == 1);
  CHECK(facts->findings[0].id == "CVE-2021-36159");
  CHECK(facts->findings[0].package == "apk-tools");
  CHECK(facts->findings[0].version == "2.10.6-r0");
  CHECK(facts->findings[0].severity == "CRITICAL");
}

TEST_CASE("read_vuln_predicate reads a wrapped Grype report", "[predicate]") {
  auto made = make_predicate(kind("vuln"), file(attestation("grype-ghsa-test.json")));
  REQUIRE(made.ok());
  CHECK(made->notes.empty());
  CHECK(made->json.rfind(R"({"invocation":{"parameters":null,"uri":"","event_id":"",)"
                         R"("builder.id":""},"scanner":{"uri":"pkg:github/anchore/grype@0.65.1",)"
                         R"("version":"0.65.1","db":{"uri":"","version":""},"result":{"matches":)",
                         0) == 0);
  auto facts = cosign::read_vuln_predicate(cosign::kVulnPredicateType, parsed(made->json));
  REQUIRE(facts.ok());
  CHECK(facts->scanner == "grype");
  CHECK(facts->scanner_version == "0.65.1");
  CHECK(facts->report_format == "grype");
  CHECK(facts->scan_finished == at("2023-08-31T19:13:32Z")); // 15:13:32.377177-04:00
  REQUIRE(facts->findings.size() == 2);
  CHECK(facts->findings[0].id == "GHSA-cfh5-3ghh-wfjx");
  CHECK(facts->findings[0].aliases == std::vector<std::string>{"CVE-2014-3577"});
  CHECK(facts->findings[0].severity == "MEDIUM");
  CHECK(facts->findings[0].package == "httpclient");
  CHECK(facts->findings[0].version == "4.1.1");
  CHECK(facts->findings[1].id == "CVE-2014-3577");
}

TEST_CASE("a Grype report without time or version is dated by the file", "[predicate]") {
  auto made = make_predicate(kind("vuln"),
                             file(attestation("grype-snapshot-no-timestamp.json"), "grype.json"));
  REQUIRE(made.ok());
  CHECK(made->notes ==
        std::vector<std::string>{
            "'grype.json' has no scan time (descriptor.timestamp); dated by the file's "
            "modification time 2026-11-29T08:00:00Z",
            "'grype.json' does not say which Grype version wrote it (descriptor.version); "
            "scanner.version is left empty"});
  auto facts = cosign::read_vuln_predicate(cosign::kVulnPredicateType, parsed(made->json));
  REQUIRE(facts.ok());
  CHECK(facts->scanner == "grype");
  CHECK(facts->scanner_version.empty());
  CHECK(facts->scan_finished == at("2026-11-29T08:00:00Z"));
  REQUIRE(facts->findings.size() == 2);
  CHECK(facts->findings[1].id == "CVE-1999-0002");
  CHECK(facts->findings[1].severity == "CRITICAL");
  CHECK(facts->findings[1].package == "package-2");
}

TEST_CASE("read_vuln_predicate reads in-toto vulns v0.2 and unknown reports", "[predicate]") {
  auto facts = cosign::read_vuln_predicate(
      cosign::kInTotoVulnsPredicateType,
      parsed(R"({"scanner":{"uri":"pkg:github/aquasecurity/trivy@1","version":"0.19.2",)"
             R"("result":[{"id":"CVE-123","severity":[{"method":"cvss_score","score":"5.2"},)"
             R"({"method":"nvd","score":"medium"}]},{"id":"CVE-124"}]},)"
             R"("metadata":{"scanFinishedOn":"2021-08-06T17:45:50.52Z"}})"));
  REQUIRE(facts.ok());
  CHECK(facts->report_format == "in-toto vulns v0.2");
  CHECK(facts->scanner == "trivy");
  REQUIRE(facts->findings.size() == 2);
  CHECK(facts->findings[0].severity == "MEDIUM");
  CHECK(facts->findings[1].severity == "UNKNOWN");

  auto unknown = cosign::read_vuln_predicate(
      cosign::kVulnPredicateType, parsed(R"({"scanner":{"uri":"osv.dev","result":[{"id":"x"}]}})"));
  REQUIRE(unknown.ok());
  CHECK(unknown->report_format == "unknown");
  CHECK(unknown->scanner == "osv.dev");
  CHECK(unknown->findings.empty());
  CHECK(!unknown->scan_finished);
}

TEST_CASE("read_vuln_predicate refuses fields of the wrong type, naming them", "[predicate]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([])", "the predicate is an array, not an object"},
      {R"({"scanner":[]})", "predicate.scanner is an array, not an object"},
      {R"({"metadata":{"scanFinishedOn":"soon"}})",
       "metadata.scanFinishedOn: \"soon\" is not an RFC 3339 time such as 2026-11-30T10:00:00Z"},
      {R"({"scanner":{"result":{"SchemaVersion":2,"Results":[{"Vulnerabilities":[)"
       R"({"VulnerabilityID":"CVE-1","Severity":3}]}]}}})",
       "scanner.result.Results[0].Vulnerabilities[0].Severity is a number, not a string"},
      {R"({"scanner":{"result":{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{}]}]}}})",
       "scanner.result.Results[0].Vulnerabilities[0] has no VulnerabilityID"},
      {R"({"scanner":{"result":{"matches":[{"vulnerability":{"id":"x"},)"
       R"("relatedVulnerabilities":[{"id":7}]}]}}})",
       "scanner.result.matches[0].relatedVulnerabilities[0].id is a number, not a string"},
  };
  for (const auto& [predicate, message] : cases) {
    CAPTURE(predicate);
    auto facts = cosign::read_vuln_predicate(cosign::kVulnPredicateType, parsed(predicate));
    REQUIRE(!facts.ok());
    CHECK(facts.error().kind() == ErrorKind::verification);
    CHECK(facts.error().message() == message);
  }
}

TEST_CASE("sbom_created reads CycloneDX and SPDX creation times", "[predicate]") {
  auto cdx = cosign::sbom_created(cosign::kCycloneDxPredicateType,
                                  parsed(attestation("trivy-conda-cyclonedx.json")));
  REQUIRE(cdx.ok());
  CHECK(*cdx == at("2021-08-25T12:20:30Z"));
  const std::string spdx = attestation("trivy-conda-spdx.json");
  auto spdx_object = cosign::sbom_created(cosign::kSpdxPredicateType, parsed(spdx));
  REQUIRE(spdx_object.ok());
  CHECK(*spdx_object == at("2021-08-25T12:20:30Z"));
  // The spdx shorthand's predicate: the same document as a string.
  auto made = make_predicate(kind("spdx"), file(spdx));
  REQUIRE(made.ok());
  auto spdx_string = cosign::sbom_created(cosign::kSpdxPredicateType, parsed(made->json));
  REQUIRE(spdx_string.ok());
  CHECK(*spdx_string == at("2021-08-25T12:20:30Z"));
  auto tag_value = cosign::sbom_created(
      cosign::kSpdxPredicateType,
      nlohmann::json(
          "SPDXVersion: SPDX-2.3\r\nCreator: Tool: x\r\nCreated: 2024-01-02T03:04:05Z\r\n"));
  REQUIRE(tag_value.ok());
  CHECK(*tag_value == at("2024-01-02T03:04:05Z"));
  // Saying nothing is not an error; saying something that is not a time is.
  CHECK(!cosign::sbom_created(cosign::kCycloneDxPredicateType, parsed(R"({"bomFormat":"x"})"))
             .value());
  auto syft = cosign::sbom_created(cosign::kCycloneDxPredicateType,
                                   parsed(attestation("syft-cyclonedx-image.json")));
  REQUIRE(!syft.ok());
  CHECK(syft.error().kind() == ErrorKind::verification);
  CHECK(syft.error().message() == "metadata.timestamp: \"timestamp:redacted\" is not an RFC 3339 "
                                  "time such as 2026-11-30T10:00:00Z");
}

TEST_CASE("read_slsa reads the builder and sources of SLSA v0.2 and v1", "[predicate]") {
  auto v02 = cosign::read_slsa(cosign::kSlsa02PredicateType,
                               parsed(attestation("slsa-v0.2-generic-generator.json")));
  REQUIRE(v02.ok());
  CHECK(v02->builder_id == "https://github.com/slsa-framework/slsa-github-generator/.github/"
                           "workflows/generator_generic_slsa3.yml@refs/tags/v1.2.0");
  CHECK(v02->source_uris ==
        std::vector<std::string>{"git+https://github.com/slsa-framework/example-package@refs/tags/"
                                 "v13.0.30"});
  auto v1 =
      cosign::read_slsa(cosign::kSlsa1PredicateType, parsed(attestation("slsa-v1-delegator.json")));
  REQUIRE(v1.ok());
  CHECK(v1->builder_id == "https://github.com/slsa-framework/example-trw/.github/workflows/"
                          "builder_high-perms_slsa3.yml@refs/tags/v2.1.0");
  CHECK(v1->source_uris ==
        std::vector<std::string>{"git+https://github.com/slsa-framework/example-package@refs/"
                                 "heads/main"});

  auto missing = cosign::read_slsa(cosign::kSlsa1PredicateType, parsed(R"({"runDetails":{}})"));
  REQUIRE(!missing.ok());
  CHECK(missing.error().message() == "runDetails.builder is missing");
  auto wrong = cosign::read_slsa(cosign::kSlsa02PredicateType, parsed(R"({"builder":{"id":1}})"));
  REQUIRE(!wrong.ok());
  CHECK(wrong.error().message() == "builder.id is a number, not a string");
}

TEST_CASE("a 20 MB Trivy report is wrapped whole", "[predicate]") {
  std::string report = "{\n  \"SchemaVersion\": 2,\n  \"Trivy\": {\n    \"Version\": \"0.58.1\"\n"
                       "  },\n  \"CreatedAt\": \"2026-11-30T10:00:00Z\",\n  \"Results\": [\n"
                       "    {\n      \"Target\": \"big\",\n      \"Vulnerabilities\": [\n";
  std::string compact = R"({"SchemaVersion":2,"Trivy":{"Version":"0.58.1"},)"
                        R"("CreatedAt":"2026-11-30T10:00:00Z","Results":[{"Target":"big",)"
                        R"("Vulnerabilities":[)";
  for (int i = 0; report.size() < 20'000'000; ++i) {
    const std::string id = "CVE-2026-" + std::to_string(i);
    const std::string sep = i == 0 ? "" : ",";
    report += sep + "\n        {\n          \"VulnerabilityID\": \"" + id +
              "\",\n          \"PkgName\": \"lib pkg\",\n          \"Title\": \"a \\\"quoted\\\" "
              "title\",\n          \"Severity\": \"HIGH\"\n        }";
    compact += sep + R"({"VulnerabilityID":")" + id +
               R"(","PkgName":"lib pkg","Title":"a \"quoted\" title","Severity":"HIGH"})";
  }
  report += "\n      ]\n    }\n  ]\n}\n";
  compact += "]}]}";
  auto made = make_predicate(kind("vuln"), file(report));
  REQUIRE(made.ok());
  CHECK(made->notes.empty());
  CHECK(made->json ==
        wrapped("pkg:github/aquasecurity/trivy@0.58.1", "0.58.1", compact, "2026-11-30T10:00:00Z"));
}
