// Where a --key value points: a file path, or env://NAME for PEM text in an environment variable
// (cosign's form for CI secrets, e.g. --key env://COSIGN_PRIVATE_KEY).
#pragma once

#include <string>

#include "common/result.h"

namespace isign::cli {

// The key text. Errors: usage (an empty ref), io (unreadable file, unset or empty variable),
// limit (over 1 MiB).
common::Result<std::string> read_key_source(const std::string& ref);

} // namespace isign::cli
