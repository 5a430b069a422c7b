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
                                   const Limits& limits, std::size_t workers) {
  // 1. Resolve every reference to its targets, concurrently over the one client (shared
  //    connections and tokens).
  std::vector<RefOutcome> outcomes(refs.size());
  common::parallel_for(refs.size(), workers, [&](std::size_t i) {
    auto& o = outcomes[i];
    o.rule = &policy.rule_for(refs[i]);
    if (!rule_needs_registry(*o.rule)) {
      o.targets.push_back(registry::Target{}); // judged by the rule alone
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
    o.results[t] = verify_target(store, refs[i], o.targets[t], *o.rule, limits);
  });
  return outcomes;
}

} // namespace isign::verify
