// Gates: the rules an image's attestations must pass, beyond "signed by this key" (README.md,
// "Policies", attestations). Each rule names a predicate type and the checks its verified
// predicate must pass: no finding at or above a severity (an allow list excusing IDs until a
// date), a maximum scan or SBOM age, an SLSA builder and source, a JSON pointer's value. Parsed
// strictly from a policy's "attestations" list or from verify-attestation's flags; judged on a
// predicate that already verified. Two layers: the check_* functions judge plain facts (what
// cosign/predicate.h's readers return) and are pure; evaluate_gates (gates_predicate.cpp) reads
// the facts from the predicate and calls them.
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
#include "cosign/predicate.h"
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

// One ID excused until a time (an allow list entry); it no longer excuses anything from `until`
// on. IDs compare exactly, except CVE IDs ("CVE-2023-1234"), which compare case-blind.
struct Allowance {
  std::string id;
  std::optional<common::TimePoint> until; // none: for ever (the policy requires "until")
  std::string until_text;                 // as written ("2027-01-31"), for messages; "": until's
};

// A JSON Pointer (RFC 6901) into the predicate (not the statement) and what must hold there.
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
  // vuln (cosign's vuln predicate and in-toto vulns v0.2)
  std::optional<Severity> fail_on_severity;
  std::optional<std::chrono::seconds> max_scan_age;
  std::vector<Allowance> allow;
  // SBOMs only (SPDX, CycloneDX): the other predicates say when they were made in no common way
  std::optional<std::chrono::seconds> max_age;
  // SLSA provenance v0.2 and v1: equal to, or under (the prefix ends with '/', or is followed by
  // '/' or '@'), these
  std::optional<std::string> builder_id;
  std::optional<std::string> source_uri;
  // any type
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

// A scan or creation time may be this far ahead of now (clocks differ); further ahead fails an
// age check: a wrong clock or a forged date must not make a report look fresh.
inline constexpr std::chrono::seconds kMaxClockSkew{300};

// Layer (a): the checks over the facts cosign/predicate.h's readers return. predicate_type only
// names the field in the outcome. Each returns one outcome; none throws or fails otherwise.

// failOnSeverity: every finding at or above threshold fails unless an allowance unexpired at now
// names its id or one of its aliases. The message names the failing findings, most severe first
// (report order among equals), the first 3 then "and N more", each with the allowance that
// expired for it if any, then the scan ("(scanned <time> by <scanner> <version>)"). A report
// whose format is "unknown" fails: its findings cannot be read.
GateOutcome check_fail_on_severity(Severity threshold, const std::vector<Allowance>& allow,
                                   const cosign::VulnFacts& facts, std::string_view predicate_type,
                                   common::TimePoint now);

// maxScanAge: fails when the report has no scan time (metadata.scanFinishedOn), when it is older
// than max_age at now, or when it is more than kMaxClockSkew in the future.
GateOutcome check_max_scan_age(std::chrono::seconds max_age, const cosign::VulnFacts& facts,
                               std::string_view predicate_type, common::TimePoint now);

// maxAge: as check_max_scan_age, on an SBOM's creation time (sbom_created); none fails.
GateOutcome check_max_age(std::chrono::seconds max_age,
                          const std::optional<common::TimePoint>& created,
                          std::string_view predicate_type, common::TimePoint now);

// Whether value is prefix or under it: equal, or starting with prefix where prefix ends with '/'
// or value's next character is '/' or '@' ("https://github.com/example/builder-evil" is not
// under "https://github.com/example/builder"). Case-sensitive; an empty prefix matches nothing.
bool uri_matches(std::string_view value, std::string_view prefix);

// builderId: the builder id matches prefix (uri_matches).
GateOutcome check_builder_id(std::string_view prefix, const cosign::SlsaFacts& facts,
                             std::string_view predicate_type);
// sourceUri: at least one of the source URIs matches prefix (uri_matches).
GateOutcome check_source_uri(std::string_view prefix, const cosign::SlsaFacts& facts,
                             std::string_view predicate_type);

// The value at pointer (RFC 6901: "~1" is '/', "~0" is '~', array indices are decimal without
// leading zeros) in doc; nullptr when nothing is there (a missing member, an index out of range
// or "-", a token that is not an index into an array, a step into a string or number). Usage
// error for text that is not a pointer (not starting with '/', a '~' not followed by 0 or 1).
common::Result<const nlohmann::json*> resolve_pointer(const nlohmann::json& doc,
                                                      std::string_view pointer);

// pointer: equals (JSON equality, numbers by value), oneOf (equal to one of the values), exists
// (true: something is there, null included; false: nothing is).
GateOutcome check_pointer(const PointerCheck& check, const nlohmann::json& predicate);

// Layer (b): judges one verified predicate of type predicate_type against rule's checks at time
// now: one outcome per check asked for, in the order of AttestationRule's members (pointers in
// their order), reading the facts with cosign/predicate.h's readers. A predicate the checks
// cannot read (a reader's error, a vuln gate on a report of an unknown shape, an SBOM without a
// creation time under maxAge) fails that check with a message saying what was missing; a check
// that does not apply to predicate_type fails too.
std::vector<GateOutcome> evaluate_gates(const AttestationRule& rule,
                                        std::string_view predicate_type,
                                        const nlohmann::json& predicate, common::TimePoint now);

// Whether an allow entry's ID names a finding's ID (or alias): CVE IDs are case-blind by
// definition (scanners and people write "cve-"); GHSA and distribution IDs have case-sensitive
// parts, so everything else compares exactly.
bool same_id(std::string_view allowed, std::string_view id);

} // namespace isign::verify
