// Verifying one resolved manifest (registry/resolve.h) end to end: find its signatures in both
// formats (the legacy `.sig` layers and the sigstore bundle referrers) through a
// cosign::SignatureStore, fetch each payload once, and check them against a policy rule.
#pragma once

#include <optional>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "registry/resolve.h"
#include "verify/attestation.h"
#include "verify/policy.h"
#include "verify/verifier.h"

namespace isign::verify {

// The outcome of one target under a rule.
struct TargetResult {
  registry::Target target;
  // One per requirement of the rule, in order; empty reports for requirements that are not
  // signed_by, and when the stored signatures (.sig or bundles) could not be read.
  std::vector<Report> reports;
  std::optional<common::Error> error; // why the target failed; none: it passed
  bool rejected_by_policy = false;    // the rule's type is reject
  bool accepted_unsigned = false;     // passed through insecureAcceptAnything alone
  // Places that could not be read while others were (cosign::StoredSignatures::unread): a target
  // that passed did so without them.
  std::vector<common::Error> unread;
  // One per attestation rule of the rule, in order (empty when the signatures already failed).
  std::vector<AttestationRuleResult> attestations{};
};

// Whether checking rule needs the registry at all: false when a requirement rejects or cannot be
// checked (the image fails anyway), or when every requirement accepts anything and there are no
// attestation rules.
bool rule_needs_registry(const Rule& rule);

// Which stored signatures a check reads.
enum class Discovery {
  until_met, // the store's places in order, stopping once the rule is met: a .sig that verifies
             // costs no referrers listing
  every,     // every place: the report lists every signature stored, in both formats
};

// Checks target (of the image the user named `named`) against every requirement of rule: its
// signatures are found in store (per discovery) and their payload blobs fetched once, whatever
// the number of requirements.
// Never fails as a whole: errors land in TargetResult::error with their kinds (no_signature for
// a missing artifact, throttled, limit, verification, ...). limits override each requirement's.
// The rule's attestation rules are then checked the same way against attestation_store's
// attestations (a usage error when there are rules and no such store), at time now.
TargetResult verify_target(cosign::SignatureStore& store, const registry::Reference& named,
                           const registry::Target& target, const Rule& rule, const Limits& limits,
                           Discovery discovery = Discovery::until_met,
                           cosign::SignatureStore* attestation_store = nullptr,
                           common::TimePoint now = common::now_seconds());

} // namespace isign::verify
