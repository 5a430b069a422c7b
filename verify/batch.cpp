#include "verify/batch.h"

#include <utility>

#include "common/parallel.h"

namespace isign::verify {

const common::Error* RefOutcome::failure(bool* rejected) const {
  *rejected = false;
  if (error)
    return &*error;
  for (const auto& r : results)
    if (r.error) {
      *rejected = r.rejected_by_policy;
      return &*r.error;
    }
  return nullptr;
}

std::vector<RefOutcome> verify_all(registry::Client& client, cosign::SignatureStore& store,
                                   const std::vector<registry::Reference>& refs,
                                   const Policy& policy, const registry::Selection& selection,
                                   const Limits& limits, std::size_t workers, Discovery discovery,
                                   cosign::SignatureStore* attestation_store) {
  const common::TimePoint now = common::now_seconds(); // one time for the whole batch
  // 1. Resolve every reference to its targets, concurrently over the one client (shared
  //    connections and tokens). A digest without --recursive or --platform names its one target
  //    already: its manifest is read only if verifying it fails (step 3).
  std::vector<RefOutcome> outcomes(refs.size());
  std::vector<char> deferred(refs.size(), 0);
  common::parallel_for(refs.size(), workers, [&](std::size_t i) {
    auto& o = outcomes[i];
    o.rule = &policy.rule_for(refs[i]);
    if (!rule_needs_registry(*o.rule)) {
      o.targets.push_back(registry::Target{}); // judged by the rule alone
      return;
    }
    if (refs[i].by_digest() && !selection.recursive && !selection.platform) {
      registry::Target t;
      t.digest = refs[i].digest;
      o.targets.push_back(t);
      o.resolution = registry::Resolution{t.digest, "", false, {t}};
      deferred[i] = 1;
      return;
    }
    auto resolved = registry::resolve_targets(client, refs[i], selection);
    if (!resolved) {
      o.error = std::move(resolved).error();
      return;
    }
    o.targets = resolved->targets;
    o.resolution = std::move(*resolved);
  });

  // 2. Verify every target of every reference, again concurrently: an index's children are
  //    checked side by side.
  std::vector<std::pair<std::size_t, std::size_t>> jobs;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].results.resize(outcomes[i].targets.size());
    for (std::size_t t = 0; t < outcomes[i].targets.size(); ++t)
      jobs.emplace_back(i, t);
  }
  common::parallel_for(jobs.size(), workers, [&](std::size_t j) {
    auto [i, t] = jobs[j];
    auto& o = outcomes[i];
    o.results[t] = verify_target(store, refs[i], o.targets[t], *o.rule, limits, discovery,
                                 attestation_store, now);
  });

  // 3. A digest whose verification failed is looked up after all, for the answer resolving it
  //    first would have given: a manifest that does not exist is not found, not unsigned; a
  //    failure to reach the registry needs no second request to say so.
  common::parallel_for(refs.size(), workers, [&](std::size_t i) {
    auto& o = outcomes[i];
    if (!deferred[i] || o.results.empty() || !o.results[0].error)
      return;
    const auto kind = o.results[0].error->kind();
    if (kind == common::ErrorKind::network || kind == common::ErrorKind::throttled)
      return;
    auto resolved = registry::resolve_targets(client, refs[i], selection);
    if (!resolved) {
      o.error = std::move(resolved).error();
      o.resolution.reset();
      o.targets.clear();
      o.results.clear();
      return;
    }
    const registry::Target& t = resolved->targets.front();
    o.targets[0] = t;
    o.results[0].target = t;
    o.resolution = std::move(*resolved);
  });
  return outcomes;
}

} // namespace isign::verify
