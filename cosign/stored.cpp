#include "cosign/stored.h"

#include "cosign/bundle.h"
#include "cosign/constants.h"

namespace isign::cosign {

using common::Result;

Result<std::string> kind_tag(Kind kind, std::string_view manifest_digest) {
  return kind == Kind::attestation ? attestation_tag(manifest_digest)
                                   : signature_tag(manifest_digest);
}

std::string_view legacy_layer_media_type(Kind kind) {
  return kind == Kind::attestation ? kDsseEnvelopeMediaType : kSimpleSigningMediaType;
}

std::string_view format_name(Format format) {
  return format == Format::bundle ? "bundle" : "legacy";
}

std::string_view kind_name(Kind kind) {
  return kind == Kind::attestation ? "attestation" : "signature";
}

bool StoredLayer::is_signature() const {
  if (format == Format::bundle)
    return is_object && media_type.rfind(kBundleMediaTypePrefix, 0) == 0;
  return is_object && media_type == legacy_layer_media_type(kind);
}

std::string StoredLayer::identity() const {
  if (format == Format::bundle)
    return digest.value_or(text); // a referrer (or its index entry) is its manifest digest
  return digest.value_or("") + "|" + (signature && !signature->empty() ? *signature : text);
}

} // namespace isign::cosign
