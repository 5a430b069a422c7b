// Internal to registry/: running docker-credential-<name> helpers (get, store, erase) and
// reporting their failures without showing what they print on stdout (it may be a secret).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/subprocess.h"
#include "registry/env.h"

namespace isign::registry::detail {

// A finished helper run. out may hold a secret: only ever parsed, never shown; callers wipe it.
using HelperRun = common::SubprocessResult;

// Runs program (found in env's PATH, no shell) with the single argument action and input on
// stdin, killed after timeout. Errors: io when it is not found, cannot run or times out; limit
// when it prints more than 1 MiB. A non-zero exit status is not an error here (helper_failed).
common::Result<HelperRun> run_helper(const std::string& program, const std::string& action,
                                     std::string_view input, const GetEnv& env,
                                     std::chrono::milliseconds timeout);

// Whether the helper answered docker-credential-helpers' "credentials not found".
bool says_not_found(const HelperRun& run);

// The io error for a helper that exited non-zero: its status and the first line it printed on
// stderr (or stdout, unless that looks like JSON), cut short and made printable.
common::Error helper_failed(const std::string& program, const std::string& action,
                            const HelperRun& run);

} // namespace isign::registry::detail
