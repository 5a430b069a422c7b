// Verifying a list of references against a policy: every reference resolved concurrently, then
// every manifest they stand for checked concurrently, over one registry client.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "registry/resolve.h"
#include "verify/image_verifier.h"
#include "verify/policy.h"
#include "verify/verifier.h"

namespace isign::verify {

// What one reference came to.
struct RefOutcome {
  const Rule* rule = nullptr;                     // the policy's rule for it (owned by the policy)
  std::optional<common::Error> error;             // resolving failed (nothing verified)
  std::optional<registry::Resolution> resolution; // none when the rule alone decides
  std::vector<registry::Target> targets;
  std::vector<TargetResult> results; // one per target

  // The first failure: resolution, then the targets in order; null when the reference passed.
  // *rejected: that failure is the policy's reject.
  const common::Error* failure(bool* rejected) const;
};

// One outcome per reference, in order. A rule that needs no registry (rule_needs_registry) is
// judged alone, as one empty target. References are resolved through client and their
// signatures found in store, their attestations (when the policy has attestation rules) in
// attestation_store; up to `workers` threads share them. Never fails as a whole: errors land in
// each outcome. The outcomes point into policy, which must outlive them.
std::vector<RefOutcome> verify_all(registry::Client& client, cosign::SignatureStore& store,
                                   const std::vector<registry::Reference>& refs,
                                   const Policy& policy, const registry::Selection& selection,
                                   const Limits& limits, std::size_t workers,
                                   Discovery discovery = Discovery::until_met,
                                   cosign::SignatureStore* attestation_store = nullptr);

} // namespace isign::verify
