// The simple-signing payload: the exact bytes a signature covers (docs/formats.md section 3), made
// as cosign makes them and parsed at least as strictly as containers/image v5.23 parses them
// (signature/internal/sigstore_payload.go and json.go; docs/formats.md section 5).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::cosign {

// Annotations given with -a key=value; an ordered map so they serialise with sorted keys.
using Annotations = std::map<std::string, std::string>;

// s as a JSON string literal (with the quotes), escaped exactly as Go's encoding/json does it
// (HTML-safe, as json.Marshal): \" \\ \b \f \n \r \t; other control bytes and < > & as \u00xx;
// U+2028/U+2029 as \u2028/\u2029; each byte of invalid UTF-8 as \ufffd; everything else verbatim.
std::string go_json_string(std::string_view s);

// The payload cosign writes for an image: compact JSON with keys sorted at every level,
//   {"critical":{"identity":{"docker-reference":REF},"image":{"docker-manifest-digest":DIGEST},
//    "type":"cosign container image signature"},"optional":null}
// with "optional" an object of the annotations when there are any. docker_reference is the
// repository as cosign names it (registry::Repository::str()). Usage error when manifest_digest
// is not "sha256:<64 hex>" or docker_reference is empty.
common::Result<std::string> make_payload(std::string_view docker_reference,
                                         std::string_view manifest_digest,
                                         const Annotations& annotations = {});

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

} // namespace isign::cosign
