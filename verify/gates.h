// Gates: the rules an image's attestations must pass, beyond "signed by this key" (README.md,
// "Attestation gates"). Each rule names a predicate type and the checks its verified predicate
// must pass: no finding at or above a severity (an allow list excusing IDs until a date), a
// maximum scan or SBOM age, an SLSA builder and source, a JSON pointer's value. Parsed strictly
// from a policy's "attestations" list or from verify-attestation's flags; judged on a predicate
// that already verified.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/time.h"
#include "keys/keys.h"

namespace isign::verify {

// Severities in order; a finding fails failOnSeverity when at or above it. NEGLIGIBLE (Grype) and
// UNKNOWN rank below LOW.
enum class Severity { unknown, negligible, low, medium, high, critical };

// "LOW" -> low, case-blind; usage error listing LOW|MEDIUM|HIGH|CRITICAL otherwise (as a
// threshold only those four are accepted; reading findings, every name above is).
common::Result<Severity> parse_severity_threshold(std::string_view text);
// The rank of a finding's severity (case-blind); unknown for anything else.
Severity severity_of(std::string_view text);
std::string_view severity_name(Severity severity); // "CRITICAL"

// One ID excused until a time (an allow list entry); it no longer excuses anything after it.
struct Allowance {
  std::string id;
  std::optional<common::TimePoint> until; // none: for ever (the policy requires "until")
};

// A JSON Pointer (RFC 6901) into the predicate and what must hold there.
struct PointerCheck {
  enum class Op { equals, one_of, exists };
  std::string pointer; // "/approved"
  Op op = Op::exists;
  nlohmann::json value; // equals: the value; one_of: an array of values; exists: true or false
};

// One entry of a scope's "attestations" list (or verify-attestation's flags).
struct AttestationRule {
  std::string type; // as written: a --type shorthand, "sbom" (any SBOM type) or a URI
  std::vector<std::string> predicate_types; // what it matches (sbom: SPDX and CycloneDX)
  std::vector<keys::PublicKey> keys;        // whose attestations count
  std::vector<std::string> key_files;       // where they came from, for messages
  std::size_t threshold = 1;                // distinct keys with a passing attestation
  // vuln
  std::optional<Severity> fail_on_severity;
  std::optional<std::chrono::seconds> max_scan_age;
  std::vector<Allowance> allow;
  // SBOMs (and any type whose predicate says when it was made)
  std::optional<std::chrono::seconds> max_age;
  // SLSA provenance: equal to, or under (the prefix ends with '/', or is followed by '/' or
  // '@'), these
  std::optional<std::string> builder_id;
  std::optional<std::string> source_uri;
  // generic
  std::vector<PointerCheck> pointers;

  // Whether any check beyond "a valid attestation of the type exists" is asked for.
  bool has_checks() const;
};

// One check's outcome on one attestation.
struct GateOutcome {
  std::string check; // "failOnSeverity", "maxScanAge", "maxAge", "builderId", "sourceUri",
                     // "pointer"
  bool passed = false;
  std::string field;   // where in the predicate ("scanner.result", "metadata.scanFinishedOn")
  std::string found;   // the value found, one line ("CVE-2023-1234 CRITICAL in libssl3 3.0.9")
  std::string message; // one line for the user, when it failed: "CVE-2023-1234 CRITICAL in
                       // libssl3 3.0.9 (scanned 2026-11-30T10:00:00Z by trivy 0.57.0)"
};

// Judges one verified predicate of type predicate_type against rule's checks at time now:
// one outcome per check asked for, in the order above (every failing finding in one message,
// the first few named, with a count). A predicate the checks cannot read (a vuln gate on a
// report of an unknown shape, an SBOM without a creation time under maxAge) fails that check
// with a message saying what was missing.
std::vector<GateOutcome> evaluate_gates(const AttestationRule& rule,
                                        std::string_view predicate_type,
                                        const nlohmann::json& predicate, common::TimePoint now);

// Loads a key file named by a policy (a path relative to the policy's directory resolved by the
// caller).
using KeyLoader = std::function<common::Result<keys::PublicKey>(const std::string& path)>;

// Parses one entry of a scope's "attestations" list, strictly: "type" (required), "keys" (a
// list of key files; absent: scope_keys, the scope's), "threshold", "failOnSeverity",
// "maxScanAge", "allow" ([{"id":..,"until":"2027-01-31"}], until required), "maxAge",
// "builderId", "sourceUri", "pointer" with exactly one of "equals", "oneOf" (an array) or
// "exists" (a boolean). A check that does not apply to the type (failOnSeverity on cyclonedx)
// is refused. Usage error naming where ("<where>.failOnSeverity: ...") for anything unknown,
// duplicate or ill-typed; key errors keep their kind.
common::Result<AttestationRule>
parse_attestation_rule(const nlohmann::json& entry, const std::string& where,
                       const std::vector<keys::PublicKey>& scope_keys,
                       const std::vector<std::string>& scope_key_files, const KeyLoader& load_key);

} // namespace isign::verify
