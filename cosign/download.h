// What isign download prints: an image's signatures or attestations as cosign download prints
// them, one JSON object per line (cmd/cosign/cli/download/signature.go and attestation.go).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "cosign/stored.h"
#include "registry/client.h"

namespace isign::cosign {

struct DownloadQuery {
  Kind kind = Kind::signature;
  Formats formats = kBothFormats;
  std::string predicate_type{}; // attestations of this predicateType only ("": all)
};

// The lines to print, bundles first (cosign v3 prints its bundles; here the stored bundle JSON,
// compacted to one line), then legacy entries: a .sig layer as cosign's SignedPayload,
// {"Base64Signature":..,"Payload":<base64 payload>,"Cert":null,"Chain":null,"Bundle":null,
// "RFC3161Timestamp":null}; an attestation (an .att layer, or a bundle's DSSE envelope with
// attestation) as cosign's AttestationPayload, {"payloadType":..,"payload":..,"signatures":
// [{"keyid":"","sig":..}]}. no_signature error when there is none (of the predicate type);
// a place that cannot be read is the error.
common::Result<std::vector<std::string>>
download_lines(registry::Client& client, const Subject& subject, const DownloadQuery& query);

} // namespace isign::cosign
