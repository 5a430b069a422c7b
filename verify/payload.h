// Strict parsing of a simple-signing payload (FORMATS.md section 5): at least as strict as
// containers/image v5.23 (signature/internal/sigstore_payload.go and json.go).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::verify {

inline constexpr std::string_view kSignatureType = "cosign container image signature";

// A payload that passed every rule. Nothing in it is trusted until its signature verified.
struct Payload {
  std::string docker_reference; // as written: "reg/repo" (cosign), "reg/repo:tag" or "@digest"
  std::string manifest_digest;  // "sha256:<hex>" (or sha384/sha512, as go-digest accepts)
  bool optional_null = true;    // "optional": null (cosign without annotations)
  std::string optional_json;    // "optional" re-serialised compactly with sorted keys ("null")
  std::map<std::string, std::string> annotations; // the string-valued members of optional
  std::optional<std::string> creator;             // optional.creator (containers/image)
  std::optional<std::int64_t> timestamp;          // optional.timestamp, seconds (containers/image)
};

// Parses bytes, enforcing: JSON without duplicate keys (at any depth), trailing data or a
// byte-order mark; top level exactly {critical, optional}; critical exactly {type, image,
// identity}; image exactly {docker-manifest-digest} holding a valid digest; identity exactly
// {docker-reference} holding a non-empty string; type exactly "cosign container image signature";
// optional null or an object whose creator (if present) is a string and whose timestamp (if
// present) is an integral number within int64 (containers/image accepts e.g. 1.7e9, rejects 1.5).
// Other members of optional may hold any JSON. Verification error naming the broken rule.
common::Result<Payload> parse_payload(std::string_view bytes);

} // namespace isign::verify
