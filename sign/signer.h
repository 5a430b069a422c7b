// Signing images: resolve what the user named to the manifests to sign, and make the signature
// of one (the simple-signing payload and its ECDSA signature). Where the signature is stored is
// a cosign::SignatureStore's business.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/payload.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::sign {

// An image manifest digest to sign, resolved from what the user typed.
struct Target {
  registry::Repository repository;
  std::string digest; // "sha256:<hex>"
  bool named_by_tag = false;
};

// Resolves ref to its manifest digest (HEAD by tag or digest; not_found if the image does not
// exist). With recursive, one GET: for an index (by its Content-Type and body together), the
// index is followed by each child manifest.
common::Result<std::vector<Target>> resolve_targets(registry::Client& client,
                                                    const registry::Reference& ref, bool recursive);

// The signature annotation value for payload: standard base64 (padded) of key.sign(payload), i.e.
// ASN.1 DER ECDSA over SHA-256 for a P-256 key. Fails as keys::PrivateKey::sign fails.
common::Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload);

// The signature of subject as cosign makes it: the payload naming subject's repository and
// digest with annotations, signed with key. Usage error for a digest that is not sha256.
common::Result<cosign::NewSignature> sign_image(const keys::PrivateKey& key,
                                                const cosign::Subject& subject,
                                                const cosign::Annotations& annotations = {});

} // namespace isign::sign
