// The process exit code for each kind of error, shared by every front end (the CLI, reports).
#pragma once

#include "common/result.h"

namespace isign::common {

// Exit codes, documented in README.md ("Exit codes"). Stable: scripts depend on them.
enum ExitCode : int {
  kOk = 0,
  kVerificationFailed = 1, // signatures present, none valid for the given keys/policy
  kUsage = 2,
  kIo = 3,
  kKey = 4,
  kPassword = 5,
  kNetwork = 6,
  kRegistry = 7,
  kNotFound = 8,
  kThrottled = 9,
  kNoSignature = 10,
  kLimit = 11,
  kInternal = 70,
};

// The exit code for an error of this kind.
constexpr int exit_code_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return kUsage;
  case ErrorKind::io:
    return kIo;
  case ErrorKind::key:
    return kKey;
  case ErrorKind::password:
    return kPassword;
  case ErrorKind::network:
    return kNetwork;
  case ErrorKind::registry:
    return kRegistry;
  case ErrorKind::not_found:
    return kNotFound;
  case ErrorKind::throttled:
    return kThrottled;
  case ErrorKind::verification:
    return kVerificationFailed;
  case ErrorKind::no_signature:
    return kNoSignature;
  case ErrorKind::limit:
    return kLimit;
  case ErrorKind::internal:
    return kInternal;
  }
  return kInternal;
}

} // namespace isign::common
