// Signing an image: the simple-signing payload and its ECDSA signature. What to sign comes from
// registry/resolve.h; where the signature is stored is a cosign::SignatureStore's business.
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

// The signature of subject as cosign makes it: the payload naming subject's repository and
// digest with annotations, signed with key. Usage error for a digest that is not sha256.
common::Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key,
                                                const cosign::Subject& subject,
                                                const cosign::Annotations& annotations = {});

} // namespace isign::sign
