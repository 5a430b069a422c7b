#include "server/reviewer.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/json.h"
#include "cosign/store.h"
#include "registry/deadline.h"
#include "registry/reference.h"
#include "registry/resolve.h"
#include "verify/batch.h"

namespace isign::server {

namespace {

// A status message longer than this is cut: the API server shows it to kubectl's user whole.
constexpr std::size_t kMaxMessage = 4096;

// Failures that say nothing about the image: the registry could not be asked.
bool is_transient(const common::Error& e) {
  if (e.kind() == common::ErrorKind::network)
    return true;
  const long status = e.http_status();
  return e.kind() == common::ErrorKind::registry && (status == 0 || status == 429 || status >= 500);
}

Verdict to_verdict(const verify::RefOutcome& o) {
  Verdict v;
  if (o.resolution)
    v.digest = o.resolution->digest;
  bool rejected = false;
  if (const common::Error* e = o.failure(&rejected)) {
    v.reason = e->message();
    v.transient = !rejected && is_transient(*e);
    return v;
  }
  v.allowed = true;
  for (const auto& r : o.results)
    if (r.accepted_unsigned)
      v.reason = "admitted by the policy without a signature (insecureAcceptAnything)";
  return v;
}

Verdict refused(std::string reason) {
  return Verdict{false, false, "", std::move(reason)};
}

} // namespace

struct Reviewer::Plan {
  bool namespace_exempt = false;
  std::vector<ImageResult> images; // one per site
  std::vector<bool> decided;       // images[i] needs no verdict (exempt, or not an image)
  std::vector<std::size_t> key_of; // images[i]'s index in keys, when not decided
  std::vector<std::string> keys;   // distinct cache keys, in first-seen order
  // By key: the reference and the key's index in keys. A map, not a search of keys: a review
  // may name tens of thousands of images, and plan() runs on an I/O thread.
  std::map<std::string, std::pair<registry::Reference, std::size_t>> refs;
};

Reviewer::Reviewer(ReviewOptions options, Verdicts& verdicts, Metrics& metrics)
    : options_(std::move(options)), verdicts_(verdicts), metrics_(metrics) {}

Reviewer::Plan Reviewer::plan(const AdmissionRequest& request, const Snapshot& snapshot) const {
  Plan p;
  const auto& exemptions = snapshot.policy.admission;
  p.namespace_exempt = !request.namespace_name.empty() &&
                       exemptions.exempts_namespace(request.namespace_name);
  p.images.resize(request.images.size());
  p.decided.assign(request.images.size(), false);
  p.key_of.assign(request.images.size(), 0);
  if (p.namespace_exempt)
    return p;
  for (std::size_t i = 0; i < request.images.size(); ++i) {
    ImageResult& r = p.images[i];
    r.site = request.images[i];
    if (r.site.unchanged) {
      r.admitted = r.verdict.allowed = true;
      p.decided[i] = true;
      continue;
    }
    auto ref = registry::Reference::parse(r.site.image);
    if (!ref) {
      r.verdict = refused(ref.error().message());
      p.decided[i] = true;
      continue;
    }
    // A node pulls from registries only: an "oci:DIR" image names a directory of this server.
    if (ref->repository.is_layout()) {
      r.verdict = refused("an OCI layout is not an image a node can pull");
      p.decided[i] = true;
      continue;
    }
    // A host name is matched against the policy's scopes as written, but a node resolves it in
    // any case: "REG.example.com/app" would take the default rule, not reg.example.com's.
    if (const auto& host = ref->repository.registry;
        std::any_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      r.verdict = refused("the registry host " + common::quote_for_message(host) +
                          " has upper-case letters; write it in lower case, as the policy does");
      p.decided[i] = true;
      continue;
    }
    if (exemptions.exempts_image(*ref)) {
      r.exempt = r.admitted = true;
      r.verdict.allowed = true;
      p.decided[i] = true;
      continue;
    }
    std::string key = snapshot.generation + " " + ref->str();
    auto [at, added] = p.refs.try_emplace(key, *ref, p.keys.size());
    if (added)
      p.keys.push_back(key);
    p.key_of[i] = at->second.second;
  }
  return p;
}

Verdicts::VerifyBatch Reviewer::verifier(const std::shared_ptr<const Snapshot>& snapshot,
                                         std::shared_ptr<const Plan> plan,
                                         Clock::time_point deadline) {
  return [this, snapshot, plan = std::move(plan), deadline](const std::vector<std::string>& keys) {
    const auto start = Clock::now();
    // A background refresh starts after its review's deadline: it gets a review's time.
    const auto until = deadline > start ? deadline : start + options_.deadline;
    std::vector<registry::Reference> refs;
    refs.reserve(keys.size());
    for (const auto& key : keys)
      refs.push_back(plan->refs.at(key).first);
    // The shared client's connections and tokens, under this verification's own deadline: no
    // request runs past it (it then fails as a network error: transient, never cached).
    auto view = registry::with_deadline(*snapshot->client, until);
    registry::Client& client = *view;
    auto store = cosign::make_store(client, cosign::kBothFormats);
    auto attestations = cosign::make_store(client, cosign::kBothFormats, cosign::Kind::attestation);
    std::vector<Verdict> verdicts;
    if (!store || !attestations) {
      const auto& e = !store ? store.error() : attestations.error();
      verdicts.assign(keys.size(), Verdict{false, true, "", e.message()});
      return verdicts;
    }
    auto outcomes = verify::verify_all(client, **store, refs, snapshot->policy,
                                       registry::Selection{}, options_.limits, options_.workers,
                                       verify::Discovery::until_met, attestations->get());
    for (const auto& o : outcomes) {
      verdicts.push_back(to_verdict(o));
      const Verdict& v = verdicts.back();
      metrics_.verification(v.allowed ? Outcome::verified
                                      : v.transient ? Outcome::error : Outcome::refused);
      if (v.transient)
        metrics_.registry_error();
    }
    return verdicts;
  };
}

std::optional<ReviewResult> Reviewer::try_cached(const AdmissionRequest& request, bool mutate,
                                                 const std::shared_ptr<const Snapshot>& snapshot) {
  auto p = std::make_shared<Plan>(plan(request, *snapshot));
  auto answers = verdicts_.cached(p->keys, verifier(snapshot, p, Clock::time_point{}));
  if (!answers)
    return std::nullopt;
  return finish(mutate, *p, *answers);
}

ReviewResult Reviewer::review(const AdmissionRequest& request, bool mutate,
                              const std::shared_ptr<const Snapshot>& snapshot,
                              Clock::time_point deadline) {
  auto p = std::make_shared<Plan>(plan(request, *snapshot));
  if (Clock::now() >= deadline) {
    // Queued behind other reviews for all of its time: say so rather than start late.
    std::vector<Verdicts::Answer> late(
        p->keys.size(), {Verdict{false, true, "", "the server was too busy to verify it within "
                                                  "the review's deadline"},
                         false});
    return finish(mutate, *p, late);
  }
  auto answers = verdicts_.get(p->keys, verifier(snapshot, p, deadline), deadline);
  return finish(mutate, *p, answers);
}

ReviewResult Reviewer::finish(bool mutate, const Plan& p,
                              const std::vector<Verdicts::Answer>& answers) {
  ReviewResult result;
  result.namespace_exempt = p.namespace_exempt;
  result.images = p.images;
  if (p.namespace_exempt)
    return result;
  std::vector<std::string> refusals;
  for (std::size_t i = 0; i < result.images.size(); ++i) {
    ImageResult& r = result.images[i];
    if (!p.decided[i]) {
      const auto& a = answers[p.key_of[i]];
      r.verdict = a.verdict;
      r.cached = a.cached;
      metrics_.cache(a.cached);
    }
    if (r.exempt || r.site.unchanged)
      continue;
    const std::string what = r.site.container + " image " + common::quote_for_message(r.site.image);
    if (r.verdict.allowed) {
      r.admitted = true;
      const bool by_tag = r.site.image.find('@') == std::string::npos;
      if (by_tag && !r.verdict.digest.empty()) {
        if (mutate)
          result.answer.patches.push_back({r.site.pointer, r.site.image + "@" + r.verdict.digest});
        else
          result.answer.warnings.push_back(what + " is named by tag, and a tag can be moved: "
                                            "verified " + r.verdict.digest +
                                            "; name it by digest");
      }
      if (!r.verdict.reason.empty())
        result.answer.warnings.push_back(what + ": " + r.verdict.reason);
      continue;
    }
    if (r.verdict.transient && options_.fail_open) {
      r.admitted = true;
      result.answer.warnings.push_back(what + " admitted unverified (--fail-open): " +
                                       r.verdict.reason);
      continue;
    }
    refusals.push_back(what + ": " + r.verdict.reason);
  }
  if (!refusals.empty()) {
    result.answer.allowed = false;
    result.answer.patches.clear();
    std::string message = "isign: " + std::to_string(refusals.size()) + " of " +
                          std::to_string(result.images.size()) + " image" +
                          (result.images.size() == 1 ? "" : "s") + " refused: ";
    for (std::size_t i = 0; i < refusals.size(); ++i)
      message += (i ? "; " : "") + refusals[i];
    if (message.size() > kMaxMessage)
      message = message.substr(0, kMaxMessage - 3) + "...";
    result.answer.message = std::move(message);
  }
  return result;
}

} // namespace isign::server
