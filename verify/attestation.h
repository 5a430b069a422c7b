// Checking an image's attestations: every attestation a store holds for it, in both formats (a
// DSSE envelope layer of the legacy `.att` manifest; a sigstore bundle referrer, docs/formats.md
// sections 8-13), verified against keys, only statements of the asked predicate types counted,
// then judged by the gate rules of verify/gates.h. No network here: layers come from a store and
// blobs through a BlobFetcher, as for signatures.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/time.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/reference.h"
#include "verify/gates.h"
#include "verify/verifier.h"

namespace isign::verify {

// One stored attestation (an .att layer or a bundle), judged.
struct Attestation {
  LayerResult layer; // format, where, digest, key, failure and reason (as for a signature)
  // The statement's predicateType once the envelope verified, else the descriptor's (unsigned)
  // claim ("" when none).
  std::string predicate_type;
  bool other_type = false; // verified, but of a type not asked for: not counted, not an error
  // valid ones, with VerifyOptions::keep_envelopes: the DSSE envelope as cosign
  // verify-attestation prints it
  std::string envelope;
  std::shared_ptr<const nlohmann::json> predicate; // valid ones of an asked type: for gates
  std::vector<GateOutcome> gates;                  // filled by check_attestation_rule
};

struct AttestationReport {
  std::vector<Attestation> attestations; // every attestation entry read, in stored order
  std::set<std::string> found_types;     // predicate types seen (verified or claimed)
  std::vector<std::string> wanted;       // the predicate types asked for
  std::size_t threshold = 1;

  // Indices of the valid attestations of an asked type.
  std::vector<std::size_t> valid() const;
};

// Verifies every attestation layer of layers for the image image_digest named `named`: the
// envelope's signature over its pre-authentication encoding by one of keys, the statement read
// strictly (v0.1 or v1), a subject whose sha256 is the image, annotations (options) among the
// subject's, the identity rule on the subject's name when it has one. Layers whose descriptor
// claims another type than wanted are skipped unread. Errors as verify_signatures'.
common::Result<AttestationReport>
verify_attestations(const std::vector<cosign::StoredLayer>& layers, const BlobFetcher& fetch,
                    std::string_view image_digest, const registry::Reference& named,
                    const std::vector<keys::PublicKey>& keys, const VerifyOptions& options,
                    const std::vector<std::string>& wanted);

// Whether rule judges each key's newest scan (a vuln rule with a check) rather than any of its
// attestations: then an attestation read later (in another place) can turn a pass into a
// failure, so every place is read.
bool judges_newest(const AttestationRule& rule);

// The outcome of one attestation rule on one image.
struct AttestationRuleResult {
  const AttestationRule* rule = nullptr; // owned by the policy
  AttestationReport report;
  std::optional<common::Error> error; // why the rule refused the image; none: it passed
  // The attestations whose checks decided (valid ones of the rule's types): each key's newest
  // scans for a vuln rule (with those whose scan time is unknown or in the future), every valid
  // one otherwise.
  std::vector<std::size_t> judged;
};

// Judges report (verify_attestations' for rule's keys and types) against rule at time now: a
// rule passes when attestations by at least rule.threshold distinct keys pass every check
// (vuln rules: each key's newest scan must pass, and so must its scans whose time is unknown or
// more than kMaxClockSkew ahead, which cannot be ordered; other rules: any of its attestations).
// Errors: no_signature when no valid attestation of the type exists ("none of the attestations
// matched the predicate type X, found: a, b"), verification when one exists but fails a check
// (the failing checks' messages, the first 10, naming the image's attestation) or only invalid
// ones exist; when none is valid, a fetch that failed keeps its kind (a lost blob: registry) and
// an attestation over the size limit makes it a limit error, as for signatures.
AttestationRuleResult judge_attestation_rule(const AttestationRule& rule, AttestationReport report,
                                             common::TimePoint now);

} // namespace isign::verify
