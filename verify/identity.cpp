// The identity rules: how a signature's docker-reference must relate to the image as the user
// named it (VerifyOptions::identity; containers/image's signedIdentity rules of the same names).
#include "registry/reference.h"
#include "verify/verifier.h"

namespace isign::verify {

std::string_view identity_rule_name(IdentityRule rule) {
  switch (rule) {
  case IdentityRule::none:
    return "none";
  case IdentityRule::same_repository:
    return "matchRepository";
  case IdentityRule::exact:
    return "matchExact";
  case IdentityRule::repo_digest_or_exact:
    return "matchRepoDigestOrExact";
  case IdentityRule::remap:
    return "remapIdentity";
  }
  return "unknown";
}

namespace {

// A signature's docker-reference, parsed. An OCI layout's ("oci:DIR") only when DIR is absolute,
// as sign writes it: a relative one would be read against the verifier's working directory.
common::Result<registry::Reference> signed_reference(std::string_view docker_reference) {
  auto ref = registry::Reference::parse(docker_reference);
  if (ref && ref->repository.is_layout() &&
      docker_reference.substr(registry::kLayoutScheme.size(), 1) != "/")
    return common::make_error(common::ErrorKind::verification, "a relative layout directory");
  return ref;
}

} // namespace

bool reference_matches(std::string_view docker_reference, const registry::Repository& repo,
                       std::string_view image_digest) {
  auto ref = signed_reference(docker_reference);
  if (!ref)
    return false;
  if (!(ref->repository == repo))
    return false;
  return ref->digest.empty() || ref->digest == image_digest;
}

namespace {

// A reference without tag and digest means "latest", as docker and containers/image read it.
registry::Reference with_default_tag(registry::Reference ref) {
  if (ref.tag.empty() && ref.digest.empty())
    ref.tag = "latest";
  return ref;
}

bool same_reference(const registry::Reference& a, const registry::Reference& b) {
  return a.repository == b.repository && a.tag == b.tag && a.digest == b.digest;
}

// containers/image's matchRepoDigestOrExact over parsed values: a signature must name a tag or
// digest; an image named by tag needs the same reference, one named by digest only the same
// repository (the payload's manifest digest is checked against the image separately).
bool repo_digest_or_exact(const registry::Reference& intended, const registry::Reference& sig) {
  if (sig.tag.empty() && sig.digest.empty())
    return false;
  if (!intended.tag.empty())
    return same_reference(sig, intended);
  return sig.repository == intended.repository;
}

} // namespace

bool remap_prefix_matches(std::string_view name, std::string_view prefix) {
  if (name.size() < prefix.size() || name.substr(0, prefix.size()) != prefix)
    return false;
  return name.size() == prefix.size() || name[prefix.size()] == '/';
}

bool identity_matches(std::string_view docker_reference, const registry::Reference& as_named,
                      std::string_view image_digest, const VerifyOptions& options) {
  if (options.identity == IdentityRule::none)
    return true;
  registry::Reference named = as_named;
  if (options.checked_as)
    named.repository = *options.checked_as;
  if (options.identity == IdentityRule::same_repository)
    return reference_matches(docker_reference, named.repository, image_digest);
  auto sig = signed_reference(docker_reference);
  if (!sig)
    return false;
  registry::Reference intended = with_default_tag(named);
  switch (options.identity) {
  case IdentityRule::exact:
    return !(sig->tag.empty() && sig->digest.empty()) && same_reference(*sig, intended);
  case IdentityRule::repo_digest_or_exact:
    return repo_digest_or_exact(intended, *sig);
  case IdentityRule::remap: {
    const std::string name = intended.repository.registry + "/" + intended.repository.name;
    if (!options.remap_prefix.empty() && remap_prefix_matches(name, options.remap_prefix)) {
      std::string rewritten =
          options.remap_signed_prefix + name.substr(options.remap_prefix.size());
      if (!intended.tag.empty())
        rewritten += ":" + intended.tag;
      if (!intended.digest.empty())
        rewritten += "@" + intended.digest;
      auto remapped = registry::Reference::parse(rewritten);
      if (!remapped)
        return false;
      intended = std::move(*remapped);
    }
    if (options.remap_then == IdentityRule::same_repository)
      return reference_matches(docker_reference, intended.repository, image_digest);
    return repo_digest_or_exact(intended, *sig);
  }
  default:
    return false;
  }
}

} // namespace isign::verify
