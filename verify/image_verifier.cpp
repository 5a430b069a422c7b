#include "verify/image_verifier.h"

#include <map>
#include <mutex>

#include "cosign/store.h"
#include "registry/index.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

bool is_index(std::string_view media_type) {
  return media_type == registry::kOciIndex || media_type == registry::kDockerManifestList;
}

// The children of an index, in order.
Result<std::vector<Target>> index_children(std::string_view bytes) {
  auto entries = registry::parse_index(bytes);
  if (!entries)
    return std::move(entries).error();
  std::vector<Target> out;
  for (auto& e : *entries) {
    Target t;
    t.role = Target::Role::child;
    t.digest = std::move(e.digest);
    t.media_type = std::move(e.media_type);
    if (e.has_platform)
      t.platform = Platform{std::move(e.os), std::move(e.architecture), std::move(e.variant)};
    out.push_back(std::move(t));
  }
  return out;
}

std::string normalized_variant(const Platform& p) {
  return p.architecture == "arm64" && p.variant == "v8" ? std::string() : p.variant;
}

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
      return Error(network_failure_->kind(),
                   "not fetched after an earlier payload fetch failed: " +
                       network_failure_->message());
    auto blob = store_.fetch_payload(subject_, digest, max_size);
    if (blob) {
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

Result<Platform> Platform::parse(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? text.npos : slash - start));
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const auto& p : parts)
    ok = ok && !p.empty();
  if (!ok)
    return make_error(ErrorKind::usage, "invalid platform '" + std::string(text) +
                                            "': expected os/architecture[/variant], e.g. "
                                            "linux/amd64 or linux/arm64/v8");
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

std::optional<std::size_t> select_platform(const std::vector<Target>& children,
                                           const Platform& want) {
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < children.size(); ++i) {
    const auto& p = children[i].platform;
    if (!p || p->os != want.os || p->architecture != want.architecture)
      continue;
    if (!want.variant.empty()) {
      if (normalized_variant(*p) == normalized_variant(want))
        return i;
      continue;
    }
    if (normalized_variant(*p).empty())
      return i;
    if (!first)
      first = i;
  }
  return first;
}

Result<Resolution> resolve_targets(registry::Client& client, const registry::Reference& ref,
                                   const Selection& selection) {
  auto check_digest = [&](const std::string& got) -> Result<void> {
    if (ref.by_digest() && got != ref.digest)
      return make_error(ErrorKind::registry,
                        "the registry answered digest " + got + " for " + ref.digest);
    return {};
  };
  Resolution out;
  if (!selection.recursive && !selection.platform) {
    auto head = client.head_manifest(ref.repository, ref.identifier());
    if (!head)
      return std::move(head).error();
    if (auto ok = check_digest(head->digest); !ok)
      return std::move(ok).error();
    out.digest = head->digest;
    out.media_type = head->media_type;
    out.is_index = is_index(head->media_type);
    Target t;
    t.role = out.is_index ? Target::Role::index : Target::Role::image;
    t.digest = head->digest;
    t.media_type = head->media_type;
    out.targets.push_back(std::move(t));
    return out;
  }

  // One GET gives the digest, the media type and, for an index, its children.
  auto manifest = client.get_manifest(ref.repository, ref.identifier());
  if (!manifest)
    return std::move(manifest).error();
  if (auto ok = check_digest(manifest->digest); !ok)
    return std::move(ok).error();
  out.digest = manifest->digest;
  out.media_type = manifest->media_type;
  out.is_index = is_index(manifest->media_type);
  Target top;
  top.digest = manifest->digest;
  top.media_type = manifest->media_type;
  if (!out.is_index) {
    out.targets.push_back(std::move(top));
    return out;
  }
  top.role = Target::Role::index;
  auto children = index_children(manifest->bytes);
  if (!children)
    return std::move(children).error().context("index " + top.digest);
  if (selection.platform) {
    auto pick = select_platform(*children, *selection.platform);
    if (!pick) {
      constexpr std::size_t kMaxListed = 20;
      std::string have;
      std::size_t listed = 0, platforms = 0;
      for (const auto& c : *children)
        if (c.platform && ++platforms <= kMaxListed)
          have += (listed++ ? ", " : "") + c.platform->str();
      if (platforms > kMaxListed)
        have += " and " + std::to_string(platforms - kMaxListed) + " more";
      return make_error(ErrorKind::not_found,
                        "the index " + ref.repository.str() + "@" + top.digest +
                            " has no manifest for platform " + selection.platform->str() +
                            " (it has: " + (have.empty() ? "no platforms" : have) + ")");
    }
    out.targets.push_back((*children)[*pick]);
    return out;
  }
  out.targets.push_back(std::move(top));
  for (auto& c : *children)
    out.targets.push_back(std::move(c));
  return out;
}

bool rule_needs_registry(const Rule& rule) {
  bool any_signed = false;
  for (const auto& r : rule.requirements) {
    if (r.type == Requirement::Type::reject || r.type == Requirement::Type::unsupported)
      return false;
    any_signed = any_signed || r.type == Requirement::Type::signed_by;
  }
  return any_signed;
}

TargetResult verify_target(registry::Client& client, const registry::Reference& named,
                           const Target& target, const Rule& rule, const Limits& limits) {
  TargetResult out;
  out.target = target;
  out.reports.resize(rule.requirements.size());
  const std::string scope = rule.scope == "default" ? "the policy's default"
                                                    : "the policy's scope '" + rule.scope + "'";
  bool any_signed = false;
  for (const auto& r : rule.requirements) {
    if (r.type == Requirement::Type::reject) {
      out.rejected_by_policy = true;
      out.error = make_error(ErrorKind::verification, scope + " rejects this image");
      return out;
    }
    if (r.type == Requirement::Type::unsupported) {
      out.error = make_error(ErrorKind::usage,
                             scope + " cannot be checked: " + r.unsupported_reason);
      return out;
    }
    any_signed = any_signed || r.type == Requirement::Type::signed_by;
  }
  if (!any_signed) {
    out.accepted_unsigned = true;
    return out;
  }

  auto store = cosign::make_tag_store(client);
  const cosign::Subject subject{named.repository, target.digest};
  auto found = store->find(subject);
  if (!found) {
    out.error = std::move(found).error();
    return out;
  }
  CachingFetcher cache(*store, subject);
  BlobFetcher fetch = [&cache](std::string_view digest, std::size_t max_size) {
    return cache(digest, max_size);
  };
  const std::size_t n = rule.requirements.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = rule.requirements[i];
    if (r.type != Requirement::Type::signed_by)
      continue;
    VerifyOptions options = r.options;
    options.limits = limits;
    auto report =
        verify_signatures(found->layers, fetch, target.digest, named, r.keys, options);
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
  return out;
}

} // namespace isign::verify
