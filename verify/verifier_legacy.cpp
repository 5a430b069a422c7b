// The legacy format (cosign v2, docs/formats.md section 5): a simple-signing layer of the .sig
// manifest, its signature in an annotation over the payload blob's exact bytes.
#include <optional>

#include "common/encoding.h"
#include "cosign/constants.h"
#include "verify/verifier_layer.h"

namespace isign::verify::verifier_layer {

using cosign::StoredLayer;

void verify_legacy(LayerResult& r, const StoredLayer& layer, const Check& check) {
  std::optional<std::string> der;
  auto annotation_ok = [&] {
    if (!layer.signature) {
      fail(r, Failure::missing_signature,
           "no " + std::string(cosign::kSignatureAnnotation) + " annotation");
      return false;
    }
    der = common::base64_decode(*layer.signature);
    if (!der || der->empty()) {
      fail(r, Failure::bad_encoding, "the signature annotation is not valid base64");
      return false;
    }
    return true;
  };
  if (!fetch_layer(r, layer, check, annotation_ok))
    return;
  if (!find_key(r, check,
                [&](const keys::PublicKey& k) { return k.verify(r.payload_bytes, *der); }))
    return;
  auto payload = cosign::parse_payload(r.payload_bytes);
  if (!payload)
    return fail(r, Failure::payload_invalid, "payload rule broken: " + payload.error().message());
  r.payload = std::move(*payload);
  check_claims(r, check, "the payload");
}

} // namespace isign::verify::verifier_layer
