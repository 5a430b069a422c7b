// Signing an image in either of cosign's formats (the simple-signing payload and its signature;
// the in-toto statement in a DSSE envelope in a bundle), and signing a blob as cosign v3's
// sign-blob does. What to sign comes from registry/resolve.h; where the signature is stored is a
// cosign::SignatureStore's business.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "cosign/payload.h"
#include "cosign/store.h"
#include "keys/keys.h"

namespace isign::sign {

// The signature annotation value for payload: standard base64 (padded) of key.sign(payload), i.e.
// ASN.1 DER ECDSA over SHA-256 for a P-256 key. Fails as keys::PrivateKey::sign fails.
common::Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload);

// The signature of subject as cosign makes it in format. legacy (cosign v2): the payload naming
// subject's repository and digest with annotations, signed with key (SHA-256). bundle (cosign
// v3): the sign statement (subject's repository as its name, the digest, the annotations) signed
// over its DSSE pre-authentication encoding with the curve's hash, in a bundle with the key's
// hint. Usage error for a digest that is not sha256.
common::Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key,
                                                const cosign::Subject& subject,
                                                const cosign::Annotations& annotations = {},
                                                cosign::Format format = cosign::Format::legacy);

// An attestation as cosign attest stores it in format: statement (an in-toto statement of
// predicate_type, see cosign/attestation.h) signed over its DSSE pre-authentication encoding
// with the curve's hash; legacy: the envelope, an .att layer's blob; bundle: the envelope in a
// bundle with the key's hint. The entry's kind is attestation and its predicate_type set.
common::Result<cosign::NewSignature> sign_statement(const keys::PrivateKey& key,
                                                    std::string_view statement,
                                                    std::string_view predicate_type,
                                                    cosign::Format format);

// A blob signed as cosign v3's sign-blob signs it: the signature over the blob's bytes with the
// key's hash, and the messageSignature bundle holding it with the blob's digest.
struct BlobSignature {
  std::string signature; // standard base64 (--output-signature)
  std::string bundle;    // the bundle JSON (--bundle)
};
common::Result<BlobSignature> sign_blob(const keys::PrivateKey& key, std::string_view blob);

} // namespace isign::sign
