// The simple-signing payload: the exact bytes a signature covers (FORMATS.md section 3), and
// signing them.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "keys/keys.h"

namespace isign::sign {

inline constexpr std::string_view kSignatureType = "cosign container image signature";

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

// The signature annotation value for payload: standard base64 (padded) of key.sign(payload), i.e.
// ASN.1 DER ECDSA over SHA-256 for a P-256 key. Fails as keys::PrivateKey::sign fails.
common::Result<std::string> sign_payload(const keys::PrivateKey& key, std::string_view payload);

} // namespace isign::sign
