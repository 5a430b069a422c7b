#include "sign/signer.h"

#include "common/encoding.h"
#include "cosign/bundle.h"

namespace isign::sign {

using common::Result;

Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload) {
  auto signature = key.sign(payload);
  if (!signature)
    return std::move(signature).error().context("signing the payload");
  return common::base64_encode(*signature);
}

namespace {

Result<cosign::NewSignature> sign_bundle(const keys::PrivateKey& key,
                                         const cosign::Subject& subject,
                                         const cosign::Annotations& annotations) {
  auto statement =
      cosign::make_sign_statement(subject.repository.str(), subject.digest, annotations);
  if (!statement)
    return std::move(statement).error();
  const std::string pae = cosign::dsse_pae(cosign::kInTotoPayloadType, *statement);
  auto der = key.sign(pae, keys::default_hash(key.algorithm()));
  if (!der)
    return std::move(der).error().context("signing the statement");
  cosign::NewSignature out;
  out.format = cosign::SignatureFormat::bundle;
  out.bundle = cosign::make_dsse_bundle(keys::public_key_hint(key.public_key()), *statement, *der);
  out.signature = common::base64_encode(*der);
  out.payload = std::move(*statement);
  return out;
}

} // namespace

Result<BlobSignature> sign_blob(const keys::PrivateKey& key, std::string_view blob) {
  const keys::Hash hash = keys::default_hash(key.algorithm());
  auto der = key.sign(blob, hash);
  if (!der)
    return std::move(der).error().context("signing the blob");
  BlobSignature out;
  out.signature = common::base64_encode(*der);
  out.bundle = cosign::make_message_bundle(keys::public_key_hint(key.public_key()),
                                           keys::hash_name(hash), keys::digest(hash, blob), *der);
  return out;
}

Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key, const cosign::Subject& subject,
                                        const cosign::Annotations& annotations,
                                        cosign::SignatureFormat format) {
  if (format == cosign::SignatureFormat::bundle)
    return sign_bundle(key, subject, annotations);
  auto payload = cosign::make_payload(subject.repository.str(), subject.digest, annotations);
  if (!payload)
    return std::move(payload).error();
  auto signature = sign_payload(key, *payload);
  if (!signature)
    return std::move(signature).error();
  cosign::NewSignature out;
  out.payload = std::move(*payload);
  out.signature = std::move(*signature);
  return out;
}

} // namespace isign::sign
