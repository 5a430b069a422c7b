#include "verify/image_verifier.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "cosign/store.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using registry::Target;

namespace {

// Blobs fetched once per target, whatever the number of requirements checking them. Failures are
// kept too: a digest that failed is not asked for again, and after a network failure (a stall, a
// timeout, a dropped connection) no further payload of the target is fetched: the registry is not
// answering, and each further stalled fetch would cost the whole timeout and its retries again.
class CachingFetcher {
public:
  CachingFetcher(cosign::SignatureStore& store, const cosign::Subject& subject)
      : store_(store), subject_(subject) {}

  Result<std::string> operator()(std::string_view digest, std::size_t max_size) {
    std::string key(digest);
    if (auto it = failed_.find(key); it != failed_.end())
      return it->second;
    if (auto it = cache_.find(key); it != cache_.end() && it->second.first <= max_size)
      return it->second.second;
    if (network_failure_)
      return Error(network_failure_->kind(), "not fetched after an earlier payload fetch failed: " +
                                                 network_failure_->message());
    auto blob = store_.fetch_payload(subject_, digest, max_size);
    if (blob) {
      // Signature payloads are small and read by every requirement; an attestation of tens of
      // MB is not copied (a second rule reading it fetches it again).
      if (blob->size() <= cosign::kMaxPayloadSize)
        cache_[key] = {blob->size(), *blob};
    } else if (blob.error().kind() != ErrorKind::limit) {
      failed_.emplace(key, blob.error());
      if (blob.error().kind() == ErrorKind::network)
        network_failure_ = blob.error();
    }
    return blob;
  }

private:
  cosign::SignatureStore& store_;
  const cosign::Subject& subject_;
  std::map<std::string, std::pair<std::size_t, std::string>> cache_;
  std::map<std::string, Error> failed_;
  std::optional<Error> network_failure_;
};

} // namespace

bool rule_needs_registry(const Rule& rule) {
  bool any_signed = false;
  for (const auto& r : rule.requirements) {
    if (r.type == Requirement::Type::reject || r.type == Requirement::Type::unsupported)
      return false;
    any_signed = any_signed || r.type == Requirement::Type::signed_by;
  }
  return any_signed || !rule.attestations.empty();
}

namespace {

// The attestation rules of rule for target: the attestations found once (the places in order,
// stopping once every rule passes), each payload fetched once whatever the number of rules.
void check_attestations(TargetResult& out, cosign::SignatureStore& store,
                        const registry::Reference& named, const Rule& rule, const Limits& limits,
                        Discovery discovery, common::TimePoint now) {
  const cosign::Subject subject{named.repository, out.target.digest, out.target.media_type,
                                out.target.size};
  CachingFetcher cache(store, subject);
  BlobFetcher fetch = [&cache](std::string_view digest, std::size_t max_size) {
    return cache(digest, max_size);
  };
  VerifyOptions options;
  if (rule.attestation_options) {
    options = *rule.attestation_options;
  } else {
    for (const auto& r : rule.requirements)
      if (r.type == Requirement::Type::signed_by) {
        options = r.options; // the scope's identity rule applies to attestations' subjects too
        break;
      }
    options.required_annotations.clear(); // a signature payload's, not a statement's
  }
  options.limits = limits;
  options.limits.max_payload_size = limits.max_attestation_size;
  auto judge = [&](const cosign::StoredSignatures& found) {
    std::vector<AttestationRuleResult> results;
    for (const auto& a : rule.attestations) {
      VerifyOptions o = options;
      o.threshold = a.threshold;
      auto report = verify_attestations(found.layers, fetch, out.target.digest, named, a.keys, o,
                                        a.predicate_types);
      if (!report) {
        AttestationRuleResult failed;
        failed.rule = &a;
        failed.error = std::move(report).error().context(found.where);
        results.push_back(std::move(failed));
        continue;
      }
      results.push_back(judge_attestation_rule(a, std::move(*report), now));
    }
    return results;
  };
  std::vector<AttestationRuleResult> last;
  std::size_t last_layers = 0;
  auto enough = [&](const cosign::StoredSignatures& so_far) {
    last = judge(so_far);
    last_layers = so_far.layers.size();
    return std::all_of(last.begin(), last.end(), [](const auto& r) { return !r.error; });
  };
  // A vuln rule judges each key's newest scan: a clean scan in the .att must not settle it while
  // a newer failing one waits among the referrers (written by cosign v3, or attest --format
  // bundle), so every place is read.
  const bool newest =
      std::any_of(rule.attestations.begin(), rule.attestations.end(), judges_newest);
  if (newest)
    discovery = Discovery::every;
  auto found =
      discovery == Discovery::every ? store.find(subject) : store.find_until(subject, enough);
  if (!found) {
    if (!out.error)
      out.error = std::move(found).error().context("reading the attestations");
    return;
  }
  if (discovery == Discovery::until_met && last_layers == found->layers.size() && !last.empty())
    out.attestations = std::move(last);
  else
    out.attestations = judge(*found);
  for (const auto& r : out.attestations)
    if (r.error && !out.error) {
      common::Error e = *r.error;
      out.error = std::move(e);
    }
  if (out.error && !found->unread.empty() &&
      (out.error->kind() == ErrorKind::verification || out.error->kind() == ErrorKind::limit ||
       out.error->kind() == ErrorKind::no_signature)) {
    const Error& unread = found->unread.front();
    out.error = Error(unread.kind(), unread.message() + " (and " + found->where +
                                         " did not pass: " + out.error->message() + ")");
  } else if (!out.error && newest && !found->unread.empty()) {
    // A place that could not be read may hold the newest scan: a vuln rule cannot pass without it.
    const Error& unread = found->unread.front();
    out.error = Error(unread.kind(), unread.message() +
                                         " (a vuln rule judges the newest scan, which may be "
                                         "there: not passed on " +
                                         found->where + " alone)");
  }
  for (auto& e : found->unread)
    out.unread.push_back(e);
}

} // namespace

TargetResult verify_target(cosign::SignatureStore& store, const registry::Reference& named,
                           const Target& target, const Rule& rule, const Limits& limits,
                           Discovery discovery, cosign::SignatureStore* attestation_store,
                           common::TimePoint now) {
  TargetResult out;
  out.target = target;
  out.reports.resize(rule.requirements.size());
  const std::string scope =
      rule.scope == "default" ? "the policy's default" : "the policy's scope '" + rule.scope + "'";
  bool any_signed = false;
  for (const auto& r : rule.requirements) {
    if (r.type == Requirement::Type::reject) {
      out.rejected_by_policy = true;
      out.error = make_error(ErrorKind::verification, scope + " rejects this image");
      return out;
    }
    if (r.type == Requirement::Type::unsupported) {
      out.error =
          make_error(ErrorKind::usage, scope + " cannot be checked: " + r.unsupported_reason);
      return out;
    }
    any_signed = any_signed || r.type == Requirement::Type::signed_by;
  }
  if (!rule.attestations.empty() && !attestation_store) {
    out.error = make_error(ErrorKind::internal, "attestation rules without an attestation store");
    return out;
  }
  if (!any_signed && rule.attestations.empty()) {
    out.accepted_unsigned = true;
    return out;
  }
  if (!any_signed) {
    check_attestations(out, *attestation_store, named, rule, limits, discovery, now);
    return out;
  }

  const cosign::Subject subject{named.repository, target.digest, target.media_type, target.size};
  CachingFetcher cache(store, subject);
  BlobFetcher fetch = [&cache](std::string_view digest, std::size_t max_size) {
    return cache(digest, max_size);
  };
  const std::size_t n = rule.requirements.size();
  auto options_of = [&](const Requirement& r) {
    VerifyOptions options = r.options;
    options.limits = limits;
    return options;
  };
  // The places are read in order, and the next only while what was found does not meet every
  // requirement: a .sig that verifies settles it without listing the referrers. Places only add
  // layers, so the reports of the last check are the final ones when no layer came after it.
  std::vector<std::optional<Result<Report>>> checked(n);
  std::size_t checked_layers = 0;
  auto enough = [&](const cosign::StoredSignatures& so_far) {
    bool met = true;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& r = rule.requirements[i];
      if (r.type != Requirement::Type::signed_by)
        continue;
      checked[i] =
          verify_signatures(so_far.layers, fetch, target.digest, named, r.keys, options_of(r));
      met = met && *checked[i] && (*checked[i])->verified();
    }
    checked_layers = so_far.layers.size();
    return met;
  };
  auto found =
      discovery == Discovery::every ? store.find(subject) : store.find_until(subject, enough);
  if (!found) {
    out.error = std::move(found).error();
    return out;
  }
  const bool reuse = discovery == Discovery::until_met && checked_layers == found->layers.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = rule.requirements[i];
    if (r.type != Requirement::Type::signed_by)
      continue;
    auto report = reuse && checked[i] ? std::move(*checked[i])
                                      : verify_signatures(found->layers, fetch, target.digest,
                                                          named, r.keys, options_of(r));
    if (!report) {
      // The manifest itself is refused (not JSON, too many layers): the same for every
      // requirement.
      out.error = std::move(report).error().context(found->where);
      return out;
    }
    out.reports[i] = std::move(*report);
    if (!out.error && !out.reports[i].verified()) {
      Error e = out.reports[i].failure_error();
      if (n > 1)
        e.context("requirement " + std::to_string(i + 1) + " of " + std::to_string(n));
      out.error = std::move(e);
    }
  }
  out.unread = found->unread;
  // A place that could not be read (a failed referrers listing) may hold the valid signature:
  // when what was read does not verify, its error is the outcome, not "invalid".
  if (out.error && !found->unread.empty() &&
      (out.error->kind() == ErrorKind::verification || out.error->kind() == ErrorKind::limit)) {
    const Error& unread = found->unread.front();
    out.error = Error(unread.kind(), unread.message() + " (and " + found->where +
                                         " did not verify: " + out.error->message() + ")");
  }
  if (!out.error && !rule.attestations.empty())
    check_attestations(out, *attestation_store, named, rule, limits, discovery, now);
  return out;
}

} // namespace isign::verify
