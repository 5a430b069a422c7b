#include "sign/signer.h"

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"

namespace isign::sign {

using common::Result;

Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload) {
  auto signature = key.sign(payload);
  ISIGN_TRY_CONTEXT(signature, "signing the payload");
  return common::base64_encode(*signature);
}

namespace {

Result<cosign::NewSignature> sign_bundle(const keys::PrivateKey& key,
                                         const cosign::Subject& subject,
                                         const cosign::Annotations& annotations) {
  auto statement =
      cosign::make_sign_statement(subject.repository.str(), subject.digest, annotations);
  ISIGN_TRY(statement);
  const std::string pae = cosign::dsse_pae(cosign::kInTotoPayloadType, *statement);
  auto der = key.sign(pae, keys::default_hash(key.algorithm()));
  ISIGN_TRY_CONTEXT(der, "signing the statement");
  cosign::NewSignature out;
  out.format = cosign::Format::bundle;
  out.bundle = cosign::make_dsse_bundle(keys::public_key_hint(key.public_key()), *statement, *der);
  out.signature = common::base64_encode(*der);
  out.payload = std::move(*statement);
  return out;
}

} // namespace

Result<cosign::NewSignature> sign_statement(const keys::PrivateKey& key, std::string_view statement,
                                            std::string_view predicate_type,
                                            cosign::Format format) {
  const std::string head = cosign::dsse_pae_head(cosign::kInTotoPayloadType, statement.size());
  auto der = key.sign_parts({head, statement}, keys::default_hash(key.algorithm()));
  ISIGN_TRY_CONTEXT(der, "signing the statement");
  cosign::NewSignature out;
  out.format = format;
  out.statement_digest = common::sha256_digest(statement);
  out.kind = cosign::Kind::attestation;
  out.predicate_type = std::string(predicate_type);
  if (format == cosign::Format::bundle) {
    out.bundle = cosign::make_dsse_bundle(keys::public_key_hint(key.public_key()), statement, *der);
    out.signature = common::base64_encode(*der);
    out.payload = std::string(statement);
  } else {
    // The signature is inside the envelope: the .att layer's signature annotation stays empty.
    out.payload = cosign::make_envelope(cosign::kInTotoPayloadType, statement, *der);
  }
  return out;
}

Result<BlobSignature> sign_blob(const keys::PrivateKey& key, std::string_view blob) {
  const keys::Hash hash = keys::default_hash(key.algorithm());
  auto der = key.sign(blob, hash);
  ISIGN_TRY_CONTEXT(der, "signing the blob");
  BlobSignature out;
  out.signature = common::base64_encode(*der);
  out.bundle = cosign::make_message_bundle(keys::public_key_hint(key.public_key()),
                                           keys::hash_name(hash), keys::digest(hash, blob), *der);
  return out;
}

Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key, const cosign::Subject& subject,
                                        const cosign::Annotations& annotations,
                                        cosign::Format format) {
  if (format == cosign::Format::bundle)
    return sign_bundle(key, subject, annotations);
  auto payload = cosign::make_payload(subject.repository.str(), subject.digest, annotations);
  ISIGN_TRY(payload);
  auto signature = sign_payload(key, *payload);
  ISIGN_TRY(signature);
  cosign::NewSignature out;
  out.payload = std::move(*payload);
  out.signature = std::move(*signature);
  return out;
}

} // namespace isign::sign
