// Verifying images end to end: resolve the reference, fetch the .sig artifact through the
// registry client, and check every signature layer (verifier.h).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "verify/verifier.h"

namespace isign::verify {

struct ImageVerification {
  registry::Reference reference; // as the user named it
  std::string digest;            // the manifest digest that was verified
  bool named_by_tag = false;
  Report report;
};

// Resolves ref (not_found when the image does not exist), fetches sha256-<hex>.sig (its absence
// is ErrorKind::no_signature) and verifies it. The result holds the report whether or not a
// signature verified; errors are for everything that prevented checking.
common::Result<ImageVerification> verify_image(registry::Client& client,
                                               const registry::Reference& ref,
                                               const std::vector<keys::PublicKey>& keys,
                                               const VerifyOptions& options);

} // namespace isign::verify
