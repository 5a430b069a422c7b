// Checking the signatures of one image: every signature a store holds for it, in both formats (a
// simple-signing layer of the legacy `.sig` manifest, docs/formats.md section 5; a sigstore bundle
// in a referrer of the image, sections 8-12), against the given public keys and rules. No network
// here: layers come from a cosign::SignatureStore and blobs through a callback, so the same code
// serves the CLI and unit tests (a map).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/payload.h"
#include "cosign/signature_manifest.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/reference.h"

namespace isign::verify {

// Fetches the blob `digest` of the signature repository, refusing more than max_size bytes.
// Errors keep their kind (network, registry, not_found, ...): the report tells them apart.
using BlobFetcher =
    std::function<common::Result<std::string>(std::string_view digest, std::size_t max_size)>;

// How the payload's docker-reference must relate to the image as the user named it. The last
// three follow containers/image's signedIdentity rules of the same names (containers-policy.json).
enum class IdentityRule {
  none,            // any docker-reference (mirrored or re-tagged images)
  same_repository, // docker-reference names the image's repository (tag ignored; a digest in it
                   // must be the verified digest); docker.io names normalized. "matchRepository"
  exact,           // "matchExact": same repository and the same tag and/or digest as named
                   // (a name without tag is "latest"); a docker-reference without either fails
  repo_digest_or_exact, // "matchRepoDigestOrExact": named by digest, the same repository; named
                        // by tag, as exact. A docker-reference without tag or digest fails
  remap,                // "remapIdentity": the named reference's prefix remap_prefix is replaced by
                        // remap_signed_prefix, then compared under remap_then
};

// "matchRepository", "matchExact", ... as containers-policy.json and isign policies name them;
// "none" for IdentityRule::none.
std::string_view identity_rule_name(IdentityRule rule);

struct Limits {
  std::size_t max_layers = 100; // more stored layers (.sig layers and bundles): ErrorKind::limit
  // A larger payload layer fails without being fetched; sign refuses to write one by default.
  std::size_t max_payload_size = cosign::kMaxPayloadSize;
  // The same for an attestation's envelope or bundle (SBOMs and scan reports run to tens of MB).
  std::size_t max_attestation_size = cosign::kMaxAttestationSize;
};

struct VerifyOptions {
  // Each must be present in optional as a string with exactly this value ("k=" wants k present
  // and empty; an absent key never matches).
  std::map<std::string, std::string> required_annotations;
  IdentityRule identity = IdentityRule::same_repository;
  // IdentityRule::remap only: "host[:port][/path]" prefixes, docker.io names as
  // "docker.io/library".
  std::string remap_prefix;
  std::string remap_signed_prefix;
  // IdentityRule::remap only: the rule applied after remapping. containers/image uses
  // repo_digest_or_exact, which never accepts cosign's tag-less docker-reference; isign policies
  // use same_repository.
  IdentityRule remap_then = IdentityRule::repo_digest_or_exact;
  // --identity REPO: the repository the image is checked as; every identity rule compares the
  // docker-reference against it instead of the named reference's repository (an OCI layout
  // signed for the registry it will be served from).
  std::optional<registry::Repository> checked_as;
  // A bundle whose statement names no repository (cosign v3 writes none: its signature binds a
  // digest only) fails when set; otherwise it passes with LayerResult::identity_unbound.
  bool require_identity = false;
  // Valid signatures from at least this many distinct keys (by key_id) are required; 0 counts as 1.
  std::size_t threshold = 1;
  // Attestations: keep each valid one's DSSE envelope (Attestation::envelope) for printing, a
  // copy of tens of MB for an SBOM; off where nothing prints them (a policy's rules, reports).
  bool keep_envelopes = false;
  Limits limits;
};

// Why a signature layer did not verify.
enum class Failure {
  none,
  bad_descriptor,    // digest not sha256:<hex>, size not a non-negative integer
  too_large,         // size above Limits::max_payload_size
  fetch_failed,      // the blob could not be fetched (see LayerResult::fetch_error)
  blob_mismatch,     // the fetched bytes do not match the descriptor's digest or size
  missing_signature, // no signature annotation, or not a string
  bad_encoding,      // the annotation is not standard padded base64
  bad_signature,     // no given key verifies the signature over the payload bytes
  payload_invalid,   // a payload rule is broken (parse_payload's message says which)
  digest_mismatch,   // the payload signs another manifest digest
  identity_mismatch, // docker-reference does not name the image's repository
  annotation_mismatch,
};

// Short, stable name of a failure for messages and JSON output ("bad-signature", ...).
std::string_view failure_name(Failure failure);

struct LayerResult {
  std::size_t index = 0;      // position in the .sig's "layers" array, or in the referrer list
  std::string payload_digest; // the descriptor's digest, as written
  Failure failure = Failure::none;
  std::string reason;                       // one line, empty when ok
  std::optional<common::Error> fetch_error; // set for Failure::fetch_failed
  std::optional<std::size_t> key_index;     // which of the given keys verified the signature
  std::string key_id;                       // key_id() of that key
  std::string payload_bytes;                // the exact payload, once fetched and checked
  // once the signature verified and it parsed; for a bundle, its statement's claims: the
  // subject's name as docker_reference ("" when none), its digest and annotations
  std::optional<cosign::Payload> payload;
  cosign::Format format = cosign::Format::legacy;
  std::string where;             // the artifact it was found in, as a user names it
  bool identity_unbound = false; // a valid bundle that names no repository (cosign v3's)

  bool ok() const noexcept { return failure == Failure::none; }
};

struct Report {
  std::vector<LayerResult> signatures; // one per signature layer of either format, as stored
  std::size_t ignored_layers = 0;      // layers of other media types
  std::size_t threshold = 1;           // VerifyOptions::threshold (at least 1)

  // True when the valid signatures come from at least `threshold` distinct keys.
  bool verified() const noexcept;
  // Indices into signatures of the valid ones.
  std::vector<std::size_t> valid() const;
  // The distinct key_id()s of the keys that made valid signatures, in first-seen order.
  std::vector<std::string> valid_keys() const;
  // Why verification failed, for when !verified(): no_signature when there are no signature
  // layers; network/registry/throttled (the first such fetch error) when a blob could not be
  // fetched for a reason that says nothing about the signature; verification when some valid
  // signatures exist but from fewer distinct keys than the threshold; limit when no signature is
  // valid and a payload was over Limits::max_payload_size (it could have been the valid one);
  // otherwise verification, listing each layer's reason on one line.
  common::Error failure_error() const;
};

// Whether a fetch error says nothing about the signature or attestation itself: the registry or
// the network let us down (a blob the registry lists but does not have included), so neither
// "unsigned" nor "forged" can be concluded.
bool is_transport_error(const common::Error& e);

// "sha256:<hex>" of the key's DER SubjectPublicKeyInfo: the same key always gets the same id, so
// several keys (and thresholds) can be counted by distinct key.
std::string key_id(const keys::PublicKey& key);

// How many distinct keys (by key_id) keys holds: the most a threshold can ask for.
std::size_t distinct_keys(const std::vector<keys::PublicKey>& keys);

// Verifies every signature layer of layers (as a store found them: .sig simple-signing layers and
// bundles, each by its format's rules) for the image image_digest in image_repository. Layers of
// other media types are ignored. Errors (rather than a report): more layers than
// options.limits.max_layers (limit), a layer that is not a JSON object (registry: the artifact is
// damaged), keys empty or image_digest not sha256 (usage). The report holds every layer's outcome.
common::Result<Report> verify_signatures(const std::vector<cosign::StoredLayer>& layers,
                                         const BlobFetcher& fetch, std::string_view image_digest,
                                         const registry::Repository& image_repository,
                                         const std::vector<keys::PublicKey>& keys,
                                         const VerifyOptions& options = {});

// As above, for the image as the user named it (named: its tag and/or digest; for a child of an
// index, the reference to the index) whose manifest image_digest is being verified. The identity
// rules exact, repo_digest_or_exact and remap compare with named's tag and digest.
common::Result<Report> verify_signatures(const std::vector<cosign::StoredLayer>& layers,
                                         const BlobFetcher& fetch, std::string_view image_digest,
                                         const registry::Reference& named,
                                         const std::vector<keys::PublicKey>& keys,
                                         const VerifyOptions& options);

// The identity rule same_repository alone: does docker_reference name repo (and, when it has a
// digest, digest)?
bool reference_matches(std::string_view docker_reference, const registry::Repository& repo,
                       std::string_view image_digest);

// Any identity rule: does docker_reference satisfy options.identity for the image named `named`
// (its repository taken as options.checked_as when that is set) whose manifest digest is
// image_digest?
bool identity_matches(std::string_view docker_reference, const registry::Reference& named,
                      std::string_view image_digest, const VerifyOptions& options);

// containers/image's prefix test for remapIdentity: "host[:port]/path" name (docker.io names as
// "docker.io/library/x") equals prefix, or continues it after a '/'.
bool remap_prefix_matches(std::string_view name, std::string_view prefix);

} // namespace isign::verify
