#include "sign/signer.h"

#include "common/encoding.h"
#include "registry/index.h"

namespace isign::sign {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

bool is_index(std::string_view media_type) {
  return media_type == registry::kOciIndex || media_type == registry::kDockerManifestList;
}

} // namespace

Result<std::vector<Target>> resolve_targets(registry::Client& client,
                                            const registry::Reference& ref, bool recursive) {
  auto check = [&](const std::string& digest) -> Result<void> {
    if (ref.by_digest() && digest != ref.digest)
      return make_error(ErrorKind::registry,
                        "the registry answered digest " + digest + " for " + ref.digest);
    return {};
  };
  if (!recursive) {
    auto head = client.head_manifest(ref.repository, ref.identifier());
    if (!head)
      return std::move(head).error();
    if (auto ok = check(head->digest); !ok)
      return std::move(ok).error();
    return std::vector<Target>{{ref.repository, head->digest, !ref.by_digest()}};
  }
  // One GET: the media type is decided by the Content-Type and the body together, so an index
  // served with an image manifest's Content-Type cannot have its children skipped.
  auto top = client.get_manifest(ref.repository, ref.identifier());
  if (!top)
    return std::move(top).error();
  if (auto ok = check(top->digest); !ok)
    return std::move(ok).error();
  std::vector<Target> targets{{ref.repository, top->digest, !ref.by_digest()}};
  if (!is_index(top->media_type))
    return targets;
  auto children = registry::parse_index(top->bytes);
  if (!children)
    return std::move(children).error();
  for (auto& child : *children)
    targets.push_back({ref.repository, std::move(child.digest), false});
  return targets;
}

Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload) {
  auto signature = key.sign(payload);
  if (!signature)
    return std::move(signature).error().context("signing the payload");
  return common::base64_encode(*signature);
}

Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key,
                                        const cosign::Subject& subject,
                                        const cosign::Annotations& annotations) {
  auto payload = cosign::make_payload(subject.repository.str(), subject.digest, annotations);
  if (!payload)
    return std::move(payload).error();
  auto signature = sign_payload(key, *payload);
  if (!signature)
    return std::move(signature).error();
  return cosign::NewSignature{std::move(*payload), std::move(*signature)};
}

} // namespace isign::sign
