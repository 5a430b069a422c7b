// Internal to cosign/: whose an entry is. One rule for every removal by key (attest --replace,
// revoke): an entry is the signer's when its signature verifies under the signer's key over what
// it signs (a .sig layer: the simple-signing payload blob under its signature annotation; an .att
// layer or a bundle: the DSSE envelope's signature over the pre-authentication encoding).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "cosign/stored.h"
#include "keys/keys.h"
#include "registry/client.h"

namespace isign::cosign::detail {

// What a signer's entry says: the predicateType it signed (cosign sign's for a .sig layer) and
// "sha256:<hex>" of the signed statement (of the payload for a .sig layer).
struct SignedEntry {
  std::string predicate_type;
  std::string statement_digest;
};

// The legacy layer of kind (a layer of the .sig or .att) when its blob verifies under key;
// nullopt when it does not, when it is no entry of its kind, when its blob is larger than
// max_size or gone. Errors: reading the blob failed (never "not the signer's").
common::Result<std::optional<SignedEntry>> legacy_signed_by(registry::Client& client,
                                                            const registry::Repository& repo,
                                                            const StoredLayer& layer, Kind kind,
                                                            const keys::PublicKey& key,
                                                            std::size_t max_size);

// The bundle (a referrer's layer blob) when its DSSE envelope verifies under key; nullopt
// otherwise (unparsable, a message signature, another key).
std::optional<SignedEntry> bundle_signed_by(std::string_view bundle_bytes,
                                            const keys::PublicKey& key);

} // namespace isign::cosign::detail
