// cosign v3's signature format (docs/formats.md sections 8-10): an in-toto statement about the
// image, signed as a DSSE envelope (over its pre-authentication encoding), wrapped in a sigstore
// bundle v0.3 with a public-key hint and no transparency-log entries; and the bundle of a signed
// blob (a messageSignature). Written as cosign v3 writes them (no spaces, keys in protobuf order),
// read as sigstore-go reads them (any key order, base64 standard or URL-safe) but more strictly:
// unknown keys, several signatures or subjects without a sha256 digest are refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/payload.h"

namespace isign::cosign {

// The media type of a bundle blob (and the referrer's artifactType).
inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";
// The other spelling of version 0.3 that sigstore-go reads.
inline constexpr std::string_view kBundleMediaTypeParam =
    "application/vnd.dev.sigstore.bundle+json;version=0.3";
// The prefix cosign v3 uses to recognise a bundle layer in a referrer.
inline constexpr std::string_view kBundleMediaTypePrefix = "application/vnd.dev.sigstore.bundle";
// DSSE payloadType of an in-toto statement.
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementTypeV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kStatementTypeV01 = "https://in-toto.io/Statement/v0.1";
// The predicateType of an image signature (cosign v3 `sign`). Only statements of this type
// count as signatures: an attestation signed by the same key is not one.
inline constexpr std::string_view kSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

// DSSE's pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(payload)> <payload>".
// The key signs these bytes, never the bare payload.
std::string dsse_pae(std::string_view payload_type, std::string_view payload);
// The encoding's head, "DSSEv1 <len(type)> <type> <len(payload)> ": dsse_pae is the head then
// the payload. Signing or verifying the two as parts spares a copy of a large payload.
std::string dsse_pae_head(std::string_view payload_type, std::size_t payload_size);

// The statement cosign v3 signs for an image, one line:
//   {"_type":"https://in-toto.io/Statement/v1","subject":[{"name":NAME,"digest":{"sha256":HEX},
//    "annotations":{...}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}
// name (the repository, "reg/repo") is left out when empty, as cosign writes it. Usage error when
// manifest_digest is not "sha256:<64 hex>".
common::Result<std::string> make_sign_statement(std::string_view name,
                                                std::string_view manifest_digest,
                                                const Annotations& annotations);

// One subject of a statement.
struct StatementSubject {
  std::optional<std::string> name;
  std::map<std::string, std::string> digest;      // algorithm -> hex, as written
  bool has_annotations = false;                   // "annotations" present (cosign >= 3.0.3)
  std::map<std::string, std::string> annotations; // its string-valued members
};

// A statement that parsed strictly. Nothing in it is trusted until its envelope verified.
struct Statement {
  std::string type;           // _type
  std::string predicate_type; // predicateType
  std::vector<StatementSubject> subjects;
  bool has_predicate = false;
};

// Parses the DSSE payload of an in-toto statement v1 or v0.1: strict JSON, an object of exactly
// the known keys (_type, subject, predicateType, predicate: an unknown key makes sigstore-go and
// cosign refuse it too), a non-empty subject list of objects with known keys whose digest is an
// object of strings, annotations an object, predicate an object. Verification error naming the
// broken rule.
common::Result<Statement> parse_statement(std::string_view bytes);

// A DSSE envelope as read: the decoded payload and its one signature.
struct Envelope {
  std::string payload;      // decoded
  std::string payload_type; // as written
  std::string signature;    // decoded DER
};

// A messageSignature (sign-blob): the artifact's digest and the signature over the artifact.
struct MessageSignature {
  std::string algorithm; // "SHA2_256", "SHA2_384", "SHA2_512"
  std::string digest;    // decoded digest bytes
  std::string signature; // decoded DER
};

// A bundle as read: key-based, v0.3, exactly one of envelope or message.
struct Bundle {
  std::string media_type;
  std::string hint; // verificationMaterial.publicKey.hint, "" when absent (never trusted)
  std::optional<Envelope> envelope;
  std::optional<MessageSignature> message;
  std::size_t tlog_entries = 0; // transparency-log entries present (isign does not check them)
};

// Parses a bundle: mediaType version 0.3 (either spelling), verificationMaterial holding a
// publicKey (a certificate-based bundle is refused: keyless is not supported), exactly one of
// dsseEnvelope (payloadType the in-toto type, exactly one signature) and messageSignature.
// Unknown keys are refused. Verification error naming the rule.
common::Result<Bundle> parse_bundle(std::string_view bytes);

// The bundle cosign v3 writes for a DSSE-signed statement, one line. hint: see keys'
// public_key_hint; signature_der: the key's signature over dsse_pae(kInTotoPayloadType,
// statement).
std::string make_dsse_bundle(std::string_view hint, std::string_view statement,
                             std::string_view signature_der);

// The bundle cosign v3 `sign-blob --bundle` writes: messageDigest {algorithm, digest} and the
// signature over the blob.
std::string make_message_bundle(std::string_view hint, std::string_view algorithm,
                                std::string_view digest_bytes, std::string_view signature_der);

// The DSSE envelope alone, one line (cosign v3's `.att` layer and sign-blob --output-signature of
// a statement): {"payload":..,"payloadType":..,"signatures":[{"sig":..}]}.
std::string make_envelope(std::string_view payload_type, std::string_view payload,
                          std::string_view signature_der);

} // namespace isign::cosign
