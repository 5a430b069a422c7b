// The sigstore bundle format (cosign v3): the bundle a referrer of the image holds.
#include "common/json.h"
#include "cosign/bundle.h"
#include "cosign/constants.h"
#include "verify/verifier_layer.h"

namespace isign::verify::verifier_layer {

using common::quote_for_message;
using cosign::Payload;
using cosign::StoredLayer;

// A cosign v3 bundle (docs/formats.md sections 8-10 and 12): the DSSE envelope verified over its
// pre-authentication encoding with the curve's hash, then the statement read strictly. Only an
// image signature (predicateType cosign/sign/v1) counts: cosign v3 also accepts any attestation
// signed by the key, which would let an SBOM stand in for a signature.
void verify_bundle(LayerResult& r, const StoredLayer& layer, const Check& check) {
  const std::string_view image_digest = check.image_digest;
  if (!fetch_layer(r, layer, check, nullptr))
    return;
  auto bundle = cosign::parse_bundle(r.payload_bytes);
  if (!bundle)
    return fail(r, Failure::payload_invalid, "bundle rule broken: " + bundle.error().message());
  if (!bundle->envelope)
    return fail(r, Failure::payload_invalid,
                "bundle rule broken: it signs a blob (messageSignature), not an image statement");
  const cosign::Envelope& envelope = *bundle->envelope;
  const std::string pae = cosign::dsse_pae(envelope.payload_type, envelope.payload);
  if (!find_key(r, check, [&](const keys::PublicKey& k) {
        return k.verify(pae, envelope.signature, keys::default_hash(k.algorithm()));
      }))
    return;
  r.payload_bytes = envelope.payload; // what the key signed: the statement
  auto statement = cosign::parse_statement(envelope.payload);
  if (!statement)
    return fail(r, Failure::payload_invalid,
                "statement rule broken: " + statement.error().message());
  if (statement->predicate_type != cosign::kSignPredicateType)
    return fail(r, Failure::payload_invalid,
                "the statement is not an image signature: its predicateType is " +
                    quote_for_message(statement->predicate_type));
  // cosign's claim check: a subject whose sha256 is the image.
  const std::string hex(image_digest.substr(7));
  const cosign::StatementSubject* subject = nullptr;
  for (const auto& s : statement->subjects) {
    auto it = s.digest.find("sha256");
    if (it != s.digest.end() && it->second == hex) {
      subject = &s;
      break;
    }
  }
  Payload claims;
  if (!subject) {
    const auto& first = statement->subjects.front();
    auto it = first.digest.find("sha256");
    claims.manifest_digest =
        it != first.digest.end() ? "sha256:" + it->second : std::string("another digest");
    r.payload = std::move(claims);
    return fail(r, Failure::digest_mismatch,
                "the statement signs " + r.payload->manifest_digest + ", not " +
                    std::string(image_digest));
  }
  claims.manifest_digest = std::string(image_digest);
  claims.docker_reference = subject->name.value_or("");
  claims.optional_null = false; // no "optional" in a statement: annotations live in the subject
  claims.annotations = subject->annotations;
  r.identity_unbound = !subject->name;
  r.payload = std::move(claims);
  check_claims(r, check, "the statement");
}

} // namespace isign::verify::verifier_layer
