#include "cosign/signer_match.h"

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/bundle.h"

namespace isign::cosign::detail {

using common::ErrorKind;
using common::Result;

namespace {

std::optional<SignedEntry> envelope_signed_by(const Envelope& envelope,
                                              const keys::PublicKey& key) {
  const std::string head = dsse_pae_head(envelope.payload_type, envelope.payload.size());
  if (!key.verify_parts({head, envelope.payload}, envelope.signature,
                        keys::default_hash(key.algorithm())))
    return std::nullopt;
  auto statement = parse_statement(envelope.payload);
  if (!statement)
    return std::nullopt;
  return SignedEntry{statement->predicate_type, common::sha256_digest(envelope.payload)};
}

} // namespace

Result<std::optional<SignedEntry>> legacy_signed_by(registry::Client& client,
                                                    const registry::Repository& repo,
                                                    const StoredLayer& layer, Kind kind,
                                                    const keys::PublicKey& key,
                                                    std::size_t max_size) {
  std::optional<SignedEntry> none;
  if (!layer.is_signature() || !layer.digest || !layer.size || *layer.size > max_size)
    return none;
  std::optional<std::string> raw;
  if (kind == Kind::signature) {
    if (!layer.signature)
      return none;
    auto decoded = common::base64_decode(*layer.signature);
    if (!decoded || decoded->empty())
      return none;
    raw = std::move(*decoded);
  }
  auto blob = client.get_blob(repo, *layer.digest, static_cast<std::size_t>(*layer.size));
  if (!blob) {
    if (blob.error().kind() == ErrorKind::not_found)
      return none; // a lost blob: nothing of it to match
    return std::move(blob).error().context("reading " + std::string(kind_name(kind)) + " " +
                                           *layer.digest);
  }
  if (kind == Kind::signature) {
    if (!key.verify(*blob, *raw))
      return none;
    return std::optional(
        SignedEntry{std::string(kSignPredicateType), common::sha256_digest(*blob)});
  }
  auto envelope = parse_envelope_document(*blob);
  *blob = std::string(); // envelopes run to tens of MB: one copy at a time
  if (!envelope)
    return none;
  return envelope_signed_by(*envelope, key);
}

std::optional<SignedEntry> bundle_signed_by(std::string_view bundle_bytes,
                                            const keys::PublicKey& key) {
  auto bundle = parse_bundle(bundle_bytes);
  if (!bundle || !bundle->envelope)
    return std::nullopt;
  return envelope_signed_by(*bundle->envelope, key);
}

} // namespace isign::cosign::detail
