// Predicates: what an attestation says (docs/formats.md sections 13 and 14). Making one from a
// file as cosign attest --type does (the --type table, SBOMs, SLSA provenance, the vuln predicate
// wrapping a Trivy or Grype report), refusing a file that is not what its type says; and reading
// from a verified predicate the facts gates judge (findings and scan time, SBOM creation time,
// SLSA builder and source). Scanner output is taken as the scanner wrote it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "common/time.h"

namespace isign::cosign {

inline constexpr std::string_view kCustomPredicateType =
    "https://cosign.sigstore.dev/attestation/v1";
inline constexpr std::string_view kSlsa02PredicateType = "https://slsa.dev/provenance/v0.2";
inline constexpr std::string_view kSlsa1PredicateType = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kSpdxPredicateType = "https://spdx.dev/Document";
inline constexpr std::string_view kCycloneDxPredicateType = "https://cyclonedx.org/bom";
inline constexpr std::string_view kOpenVexPredicateType = "https://openvex.dev/ns";
inline constexpr std::string_view kLinkPredicateType = "https://in-toto.io/Link/v1";
inline constexpr std::string_view kVulnPredicateType =
    "https://cosign.sigstore.dev/attestation/vuln/v1";
inline constexpr std::string_view kInTotoVulnsPredicateType =
    "https://in-toto.io/attestation/vulns/v0.2";

// What a --type names: cosign's shorthand (custom, slsaprovenance, slsaprovenance02,
// slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex) or a URI, and the
// predicateType it stands for.
struct PredicateKind {
  std::string shorthand; // "" when the type was given as a URI
  std::string uri;       // the predicateType
};

// The kind --type names; a URI (scheme "http", "https" or any "<scheme>:" with "//" or a URN)
// stands for itself and its shorthand is the table's when it is one of the table's URIs. Usage
// error listing the shorthands otherwise.
common::Result<PredicateKind> predicate_kind(std::string_view type);

// The predicate types of SBOMs (SPDX, CycloneDX), of vulnerability reports (cosign's vuln,
// in-toto vulns v0.2), of SLSA provenance (v0.2, v1).
bool is_sbom_type(std::string_view predicate_type);
bool is_vuln_type(std::string_view predicate_type);
bool is_slsa_type(std::string_view predicate_type);

// What make_predicate reads: the file's bytes, its name for messages, its modification time
// (a report without a scan time is dated by it) and the time to write into a custom predicate.
struct PredicateFile {
  std::string_view bytes;
  std::string name;
  std::optional<common::TimePoint> modified;
  common::TimePoint now;
};

struct MadePredicate {
  std::string json;               // the predicate, compact JSON: what the statement embeds
  std::vector<std::string> notes; // what the user should know ("the report has no scan time:
                                  // dated by the file's modification time, ...")
};

// The predicate cosign attest --type makes from file: custom wraps the text as
// {"Data":..,"Timestamp":..} (the file's modification time, else now: cosign writes now); spdx
// stores the text as a JSON string; spdxjson, cyclonedx, openvex, link, slsaprovenance* and URIs
// take the file's JSON object; vuln takes a cosign-vuln predicate (trivy --format cosign-vuln) as
// it is and wraps a Trivy or Grype JSON report (scanner.uri/version from the report, scan times
// from it, else the file's modification time). JSON predicates are the file's bytes without the
// whitespace outside strings (cosign re-encodes the decoded document instead: same content, but it
// drops the keys its SLSA and link types do not know, which isign keeps). A wrapped report's times
// are UTC seconds; notes say when the file's modification time stood in for a missing scan time, or
// the scanner version is unknown. Usage error, naming the type and what the file is instead, before
// anything is made: empty, not JSON, not an object, or another kind of document (a CycloneDX BOM
// given as vuln, a Trivy report as spdxjson). Memory: the output and a few values (no DOM of a
// large report is built).
common::Result<MadePredicate> make_predicate(const PredicateKind& kind, const PredicateFile& file);

// What a document is, for messages: "a Trivy JSON report", "a Grype JSON report", "a cosign-vuln
// predicate", "a CycloneDX SBOM", "an SPDX JSON document", "SLSA provenance v0.2", "SLSA
// provenance v1", "an OpenVEX document", "an in-toto link", "a JSON object", "a JSON array",
// "not JSON"...
std::string describe_document(std::string_view bytes);

// One finding of a vulnerability report.
struct Finding {
  std::string id;                   // "CVE-2023-1234", "GHSA-..."
  std::vector<std::string> aliases; // Grype's relatedVulnerabilities ids, Trivy's none
  std::string severity;             // upper case: UNKNOWN, NEGLIGIBLE, LOW, MEDIUM, HIGH, CRITICAL
  std::string package;              // "libssl3"
  std::string version;              // installed version, "" when unknown
};

// What a vuln predicate says.
struct VulnFacts {
  std::string scanner;                            // "trivy", "grype", or scanner.uri when neither
  std::string scanner_version;                    // scanner.version ("" when absent)
  std::optional<common::TimePoint> scan_finished; // metadata.scanFinishedOn
  std::string report_format; // "trivy", "grype", "in-toto vulns v0.2" or "unknown"
  std::vector<Finding> findings;
};

// Reads a cosign vuln predicate (its scanner.result a Trivy or Grype report, compared by shape)
// or an in-toto vulns v0.2 predicate. Verification error naming the field when a field the gates
// need has the wrong type (a severity that is not a string, scanFinishedOn not RFC 3339); a
// report of an unknown shape reads as report_format "unknown" with no findings (the gate that
// needs findings says so).
common::Result<VulnFacts> read_vuln_predicate(std::string_view predicate_type,
                                              const nlohmann::json& predicate);

// When an SBOM was made: CycloneDX metadata.timestamp, SPDX creationInfo.created (either a JSON
// object, or the spdx shorthand's string holding one). nullopt when it says nothing;
// verification error when the field is there but not an RFC 3339 time.
common::Result<std::optional<common::TimePoint>> sbom_created(std::string_view predicate_type,
                                                              const nlohmann::json& predicate);

// Who built an image and from what, per SLSA provenance v0.2 (builder.id,
// invocation.configSource.uri and materials[].uri) or v1 (runDetails.builder.id,
// buildDefinition.resolvedDependencies[].uri). Verification error when the builder id is absent
// or not a string.
struct SlsaFacts {
  std::string builder_id;
  std::vector<std::string> source_uris;
};
common::Result<SlsaFacts> read_slsa(std::string_view predicate_type,
                                    const nlohmann::json& predicate);

} // namespace isign::cosign
