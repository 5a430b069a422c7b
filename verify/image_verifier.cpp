#include "verify/image_verifier.h"

namespace isign::verify {

using common::ErrorKind;
using common::make_error;
using common::Result;

Result<ImageVerification> verify_image(registry::Client& client, const registry::Reference& ref,
                                       const std::vector<keys::PublicKey>& keys,
                                       const VerifyOptions& options) {
  ImageVerification out;
  out.reference = ref;
  out.named_by_tag = !ref.by_digest();
  auto head = client.head_manifest(ref.repository, ref.identifier());
  if (!head)
    return std::move(head).error();
  if (ref.by_digest() && head->digest != ref.digest)
    return make_error(ErrorKind::registry,
                      "the registry answered digest " + head->digest + " for " + ref.digest);
  out.digest = head->digest;

  std::string tag = "sha256-" + out.digest.substr(7) + ".sig";
  auto sig = client.get_manifest(ref.repository, tag);
  if (!sig) {
    if (sig.error().kind() == ErrorKind::not_found)
      return make_error(ErrorKind::no_signature, "no signatures found for " + ref.repository.str() +
                                                     "@" + out.digest + " (no " + tag +
                                                     " in the repository)");
    return std::move(sig).error().context("fetching " + tag);
  }
  const auto& repo = ref.repository;
  BlobFetcher fetch = [&client, &repo](std::string_view digest, std::size_t max_size) {
    return client.get_blob(repo, digest, max_size);
  };
  auto report = verify_signatures(sig->bytes, fetch, out.digest, ref.repository, keys, options);
  if (!report)
    return std::move(report).error().context(tag);
  out.report = std::move(*report);
  return out;
}

} // namespace isign::verify
