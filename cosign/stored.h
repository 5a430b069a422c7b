// The vocabulary of the store seam (store.h): what a store holds (a kind), in which of cosign's
// formats (a place and its encoding), for which image, and what one stored or new entry is. Every
// backend and every caller speaks it; no backend's format header stands above the seam.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "registry/reference.h"

namespace isign::cosign {

// Where and how an entry is stored. legacy (cosign v2, containers/image): a layer of the image
// manifest at tag sha256-<hex>.sig (or .att), its blob the signed payload (or the DSSE envelope).
// bundle (cosign v3): a sigstore bundle, the single layer of a referrer manifest whose subject is
// the image, found through the referrers API or the sha256-<hex> index.
enum class Format { legacy, bundle };

// What an entry says of the image. signature: cosign sign's (a simple-signing payload in the
// .sig; a statement of predicateType https://sigstore.dev/cosign/sign/v1 in a bundle).
// attestation: cosign attest's (an in-toto statement of any other predicateType, in a DSSE
// envelope: a layer of the .att, or a bundle).
enum class Kind { signature, attestation };

// The tag holding kind's legacy entries: sha256-<hex>.sig or .att. Usage error when the digest is
// not "sha256:<64 hex>".
common::Result<std::string> kind_tag(Kind kind, std::string_view manifest_digest);

// The media type of kind's legacy layers: simple-signing, or the DSSE envelope.
std::string_view legacy_layer_media_type(Kind kind);

// "legacy" or "bundle", for messages, flags and JSON reports.
std::string_view format_name(Format format);
// "signature" or "attestation", for messages.
std::string_view kind_name(Kind kind);

// The image manifest whose signatures are stored: its repository and digest, and, when the caller
// knows them, its media type and size (a bundle's referrer names them; unset, the store asks the
// registry).
struct Subject {
  registry::Repository repository;
  std::string digest; // "sha256:<hex>"
  std::string media_type{};
  std::size_t size = 0;
};

// One stored entry's descriptor, as stored: a layer of the .sig/.att manifest, or a referrer's
// bundle layer. Fields that are absent or of the wrong JSON type are empty: a verifier judges each
// entry on its own, a signer refuses to rewrite a manifest with a malformed one (problem).
struct StoredLayer {
  std::size_t index = 0;                // position in the manifest's "layers" (or the listing)
  bool is_object = true;                // false: the element is not a JSON object at all
  std::string media_type;               // "" when absent or not a string
  std::optional<std::string> digest;    // when a string, as written (not validated)
  std::optional<std::uint64_t> size;    // when a non-negative integer
  std::optional<std::string> signature; // the signature annotation, when a string
  std::string problem; // why it is not a well-formed descriptor ("no string digest"); "" if it is
  std::string text;    // its exact JSON text
  Format format = Format::legacy;
  Kind kind = Kind::signature;
  // The predicateType its descriptor claims (an .att layer's or a referrer's annotation); "" when
  // it claims none. Unsigned: a hint to skip, never a reason to accept.
  std::string predicate_type{};
  std::string where{}; // the artifact holding it, as a user names it ("" : the store's `where`)

  // An entry of its kind and format (whatever else it holds): a simple-signing layer (legacy
  // signature), a DSSE envelope layer (legacy attestation), a bundle (bundle). What verify
  // checks, sign counts.
  bool is_signature() const;
  // What makes two descriptors the same entry: digest and signature (or the whole text); a
  // referrer's manifest digest.
  std::string identity() const;
};

// One entry to attach.
struct NewSignature {
  // legacy signature: the exact simple-signing payload (the layer blob), see make_payload;
  // legacy attestation: the DSSE envelope (the layer blob); bundle: the in-toto statement, the
  // DSSE payload
  std::string payload;
  // standard base64 of the signature: the annotation value (legacy signature; "" for a legacy
  // attestation, whose signature is inside the envelope), over the DSSE pre-authentication
  // encoding of the statement (bundle)
  std::string signature;
  Format format = Format::legacy;
  std::string bundle{}; // bundle only: the sigstore bundle, the referrer's layer blob
  Kind kind = Kind::signature;
  // attestation: the statement's predicateType, annotated on the .att layer or the referrer;
  // unused for a signature (its bundle's type is cosign's sign predicate)
  std::string predicate_type{};
  // attestation: "sha256:<hex>" of the signed statement, which tells the same attestation signed
  // again (another ECDSA signature) without decoding the envelope; "" when unknown
  std::string statement_digest{};
};

} // namespace isign::cosign
