// The steps of checking one stored signature, shared by the two formats' checks
// (verifier_legacy.cpp, verifier_bundle.cpp) and called by verify_signatures (verifier.cpp).
// Internal to verify/.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cosign/payload.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/reference.h"
#include "verify/verifier.h"

namespace isign::verify::verifier_layer {

// What every layer of one verify_signatures call is checked against. Borrows everything.
struct Check {
  const BlobFetcher& fetch;
  std::string_view image_digest;
  const registry::Reference& named; // the image as the user named it
  const std::vector<keys::PublicKey>& keys;
  const std::vector<std::string>& key_ids; // key_id() of each of keys
  const VerifyOptions& options;
};

// Marks r failed with failure and a one-line reason.
void fail(LayerResult& r, Failure failure, std::string reason);

// The descriptor checks every format shares, then the blob fetched and checked against it into
// r.payload_bytes. False (with r failed) when the layer cannot be judged further. before_fetch
// (when set) runs once the descriptor passed: false stops there, without a request (legacy layers
// check their annotation first, so that a layer without one costs no request).
bool fetch_layer(LayerResult& r, const cosign::StoredLayer& layer, const Check& check,
                 const std::function<bool()>& before_fetch);

// Which key verifies (verifies(key) true): sets r.key_index and r.key_id, or fails r.
bool find_key(LayerResult& r, const Check& check,
              const std::function<bool(const keys::PublicKey&)>& verifies);

// The claims of a verified signature (r.payload) against the image and the rules: digest,
// identity, then annotations. what: "the payload" or "the statement", for the reasons.
void check_claims(LayerResult& r, const Check& check, const std::string& what);

// The checks of each format, filling r (docs/formats.md section 5; sections 8-10 and 12).
void verify_legacy(LayerResult& r, const cosign::StoredLayer& layer, const Check& check);
void verify_bundle(LayerResult& r, const cosign::StoredLayer& layer, const Check& check);

} // namespace isign::verify::verifier_layer
