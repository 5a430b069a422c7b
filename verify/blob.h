// Verifying a signed blob (a file), as cosign v3's verify-blob does: against a messageSignature
// bundle (sign-blob --bundle) or a bare base64 signature (--output-signature).
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"

namespace isign::verify {

// Checks bundle_bytes against blob: a key-signed bundle v0.3 holding a messageSignature whose
// digest is the blob's (under the algorithm it names, which must be the key's hash) and whose
// signature over the blob verifies under one of keys. Verification error saying which rule broke
// (a DSSE bundle is refused: it signs a statement, not the blob); usage error when keys is empty.
// Returns the index of the key that verified.
common::Result<std::size_t> verify_blob_bundle(std::string_view bundle_bytes, std::string_view blob,
                                               const std::vector<keys::PublicKey>& keys);

// Checks a base64 signature (surrounding blanks ignored) over blob under one of keys, with the
// key's hash (what isign and cosign v3 write) or SHA-256 (cosign v2's sign-blob). Returns the
// index of the key that verified.
common::Result<std::size_t> verify_blob_signature(std::string_view signature_b64,
                                                  std::string_view blob,
                                                  const std::vector<keys::PublicKey>& keys);

} // namespace isign::verify
