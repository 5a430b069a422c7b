// The names cosign's legacy format is made of (docs/formats.md sections 3, 4 and 13). Only
// cosign/ spells them out; every other folder asks cosign/ (scripts/check-layers.sh checks it).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::cosign {

// The media type of a signature layer, whose blob is the simple-signing payload.
inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
// The layer annotation holding the base64 signature over the payload.
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
// The config media type of cosign's signature manifest.
inline constexpr std::string_view kOciConfigMediaType = "application/vnd.oci.image.config.v1+json";
// The media type of an attestation layer of the .att manifest, whose blob is a DSSE envelope.
inline constexpr std::string_view kDsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";
// The .att layer annotation naming the statement's predicateType.
inline constexpr std::string_view kLayerPredicateTypeAnnotation = "predicateType";
// The index.json annotation cosign save writes on each entry of an OCI layout, and its values:
// the image (a manifest, an index), its .sig and its .att (cosign's pkg/oci/layout).
inline constexpr std::string_view kLayoutKindAnnotation = "kind";
inline constexpr std::string_view kLayoutKindImage = "dev.cosignproject.cosign/image";
inline constexpr std::string_view kLayoutKindImageIndex = "dev.cosignproject.cosign/imageIndex";
inline constexpr std::string_view kLayoutKindSigs = "dev.cosignproject.cosign/sigs";
inline constexpr std::string_view kLayoutKindAtts = "dev.cosignproject.cosign/atts";
// critical.type of a simple-signing payload.
inline constexpr std::string_view kSignatureType = "cosign container image signature";

// The tag holding the signatures of manifest_digest: "sha256-<hex>.sig". Usage error when the
// digest is not "sha256:<64 hex>".
common::Result<std::string> signature_tag(std::string_view manifest_digest);

// The tag holding cosign v2's attestations of manifest_digest: "sha256-<hex>.att".
common::Result<std::string> attestation_tag(std::string_view manifest_digest);

} // namespace isign::cosign
