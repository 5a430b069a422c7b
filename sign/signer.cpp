#include "sign/signer.h"

#include "common/encoding.h"

namespace isign::sign {

using common::Result;

Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload) {
  auto signature = key.sign(payload);
  if (!signature)
    return std::move(signature).error().context("signing the payload");
  return common::base64_encode(*signature);
}

Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key, const cosign::Subject& subject,
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
