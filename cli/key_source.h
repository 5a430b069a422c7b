// Where a --key value points: a file path, or env://NAME for PEM text in an environment variable
// (cosign's form for CI secrets, e.g. --key env://COSIGN_PRIVATE_KEY).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"

namespace isign::cli {

// The key text. Errors: usage (an empty ref), io (unreadable file, unset or empty variable),
// limit (over 1 MiB).
common::Result<std::string> read_key_source(const std::string& ref);

// The public keys (PEM) at each ref, in order; the first that fails is the error, with the ref.
common::Result<std::vector<keys::PublicKey>> load_public_keys(const std::vector<std::string>& refs);

} // namespace isign::cli
