// Answering one admission review: every image of the object checked against the policy through
// the library's batch verify (verify::verify_all), verdicts shared through the cache, the answer
// built (refusals named, tags pinned to the digests verified).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "registry/client.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/verdicts.h"
#include "verify/policy.h"
#include "verify/verifier.h"

namespace isign::server {

// What a review is judged against; replaced whole when a file changes (server/reload.h), while
// reviews under way keep the one they started with.
struct Snapshot {
  verify::Policy policy;
  // sha256 of the policy's text and of every key file it loaded: part of every cache key.
  std::string generation;
  // Shared by every review (connections, tokens); each verification uses it through a view
  // with its own deadline (registry::with_deadline). Replaced when the credentials change.
  std::shared_ptr<registry::Client> client;
};

struct ReviewOptions {
  // Each review is answered within this of its arrival, the registry's answers or not: below
  // the API server's webhook timeout (10 s by default), so a dead registry is a denial that
  // says so rather than a timeout.
  std::chrono::milliseconds deadline{8000};
  // Admit images whose verification failed for the registry's sake (unreachable, 5xx,
  // deadline). Never images that are unsigned or signed by other keys.
  bool fail_open = false;
  std::size_t workers = 8; // images of one batch verified at once
  verify::Limits limits{};
};

// What one image of the review came to.
struct ImageResult {
  ImageSite site;
  Verdict verdict;
  bool cached = false;
  bool exempt = false;   // the policy's exemptImages
  bool admitted = false; // counted as passing (exempt, verified, or --fail-open)
};

struct ReviewResult {
  AdmissionAnswer answer;
  std::vector<ImageResult> images;
  bool namespace_exempt = false;
};

class Reviewer {
public:
  Reviewer(ReviewOptions options, Verdicts& verdicts, Metrics& metrics);

  // The result when every image's verdict is cached and fresh (nothing blocks: for the I/O
  // thread); nullopt otherwise.
  std::optional<ReviewResult> try_cached(const AdmissionRequest& request, bool mutate,
                                         const std::shared_ptr<const Snapshot>& snapshot);
  // The result, verifying what the cache lacks; returns by deadline. Blocks on the registry.
  ReviewResult review(const AdmissionRequest& request, bool mutate,
                      const std::shared_ptr<const Snapshot>& snapshot,
                      Clock::time_point deadline);

private:
  struct Plan;
  Plan plan(const AdmissionRequest& request, const Snapshot& snapshot) const;
  Verdicts::VerifyBatch verifier(const std::shared_ptr<const Snapshot>& snapshot,
                                 std::shared_ptr<const Plan> plan,
                                 Clock::time_point deadline);
  ReviewResult finish(bool mutate, const Plan& plan,
                      const std::vector<Verdicts::Answer>& answers);

  ReviewOptions options_;
  Verdicts& verdicts_;
  Metrics& metrics_;
};

} // namespace isign::server
