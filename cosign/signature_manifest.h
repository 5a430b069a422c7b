// The legacy signature artifact: the OCI image manifest at tag sha256-<hex>.sig with one layer per
// signature (FORMATS.md section 4). One reader for everyone (read_signature_manifest), and the
// edits a signer makes: a new artifact, or a signature added to one that exists (written by
// cosign, containers/image or us) without disturbing its other bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client.h"

namespace isign::cosign {

// Which of cosign's formats a stored signature is in: a simple-signing layer of the
// sha256-<hex>.sig manifest (cosign v2, containers/image), or a sigstore bundle in a referrer
// manifest (cosign v3).
enum class SignatureFormat { legacy, bundle };

// "legacy" or "bundle", for messages, flags and JSON reports.
std::string_view format_name(SignatureFormat format);

// One layer descriptor of a signature manifest, as stored. Fields that are absent or of the wrong
// JSON type are empty: a verifier judges each layer on its own, a signer refuses to rewrite a
// manifest with a malformed one (problem).
struct StoredLayer {
  std::size_t index = 0;                // position in the manifest's "layers" array
  bool is_object = true;                // false: the element is not a JSON object at all
  std::string media_type;               // "" when absent or not a string
  std::optional<std::string> digest;    // when a string, as written (not validated)
  std::optional<std::uint64_t> size;    // when a non-negative integer
  std::optional<std::string> signature; // the signature annotation, when a string
  std::string problem; // why it is not a well-formed descriptor ("no string digest"); "" if it is
  std::string text;    // its exact JSON text
  SignatureFormat format = SignatureFormat::legacy;
  std::string where; // the artifact holding it, as a user names it ("" : the store's `where`)

  // A signature layer (whatever else it holds): simple-signing for legacy, a bundle for bundle.
  // What verify checks, sign counts.
  bool is_signature() const;
  // What makes two descriptors the same signature: digest and signature (or the whole text).
  std::string identity() const;
};

// A signature manifest as read.
struct SignatureManifest {
  std::string media_type;          // its mediaType (OCI when the field is absent)
  std::vector<StoredLayer> layers; // in order; empty when "layers" is null
  bool layers_null = false;        // "layers": null (cosign writes it for an empty image)
};

// Reads manifest_bytes: strict JSON (common::parse_strict_json), an object, an OCI or Docker
// schema 2 image manifest, with a layers array. Registry error otherwise ("the signature manifest
// is not valid JSON: ...", "... has no layers array"): a damaged artifact, never a forgery.
// Layers are returned whatever they hold (a layer that is not an object included).
common::Result<SignatureManifest> read_signature_manifest(std::string_view manifest_bytes);

// The layers a verifier judges: read_signature_manifest's, and a registry error when "layers" is
// null (such a manifest holds no signature, but it is damaged rather than "unsigned").
common::Result<std::vector<StoredLayer>> read_signature_layers(std::string_view manifest_bytes);

// One signature to attach.
struct NewSignature {
  // legacy: the exact simple-signing payload (the layer blob), see make_payload; bundle: the
  // in-toto statement, the DSSE payload
  std::string payload;
  // standard base64 of the signature: the annotation value (legacy), over the DSSE
  // pre-authentication encoding of payload (bundle)
  std::string signature;
  SignatureFormat format = SignatureFormat::legacy;
  std::string bundle{}; // bundle only: the sigstore bundle, the referrer's layer blob
};

struct Blob {
  std::string digest; // "sha256:<hex>" of bytes
  std::string bytes;
};

// What to push: blobs first (in order), then the manifest under media_type at signature_tag().
struct SignatureArtifact {
  std::string manifest;
  std::string media_type; // Content-Type for the manifest PUT
  std::string config;     // the config blob the manifest names (also in blobs_to_upload if new)
  std::vector<Blob> blobs_to_upload;
  bool changed = true; // false: the signature was already there; push nothing
};

// An existing .sig manifest, checked well enough to be extended safely.
struct ExistingArtifact {
  std::string manifest;        // the bytes as fetched
  std::string media_type;      // its mediaType (OCI when the field is absent)
  registry::Descriptor config; // the config blob to fetch before calling extend
};

// A fresh artifact holding only sig: cosign's exact manifest, config and layer descriptor bytes.
SignatureArtifact new_signature_artifact(const NewSignature& sig);

// Checks an existing .sig manifest: JSON without duplicate keys, schemaVersion 2, an OCI or
// Docker schema 2 image manifest, a config descriptor and well-formed layer descriptors. Anything
// else is a registry error that names the problem: we never overwrite what we do not understand,
// since that would silently drop other signers' signatures.
common::Result<ExistingArtifact> parse_existing_artifact(std::string_view manifest_bytes);

// Adds sig to existing, whose config blob is config_bytes (checked against its descriptor).
// Every existing layer descriptor and every other field of the manifest and config is kept byte
// for byte; the new layer is appended, rootfs.diff_ids (and history, when the config has one, as
// cosign does) extended, and the config descriptor's digest and size updated. When a layer with
// the same payload digest and signature is already present, returns changed = false with the
// existing bytes and nothing to upload.
common::Result<SignatureArtifact> extend_signature_artifact(const ExistingArtifact& existing,
                                                            std::string_view config_bytes,
                                                            const NewSignature& sig);

// Appends layers (descriptors of another version of the artifact, whose blobs the repository
// already holds) to existing, as extend_signature_artifact does one new layer; only the new config
// blob is to upload.
common::Result<SignatureArtifact> extend_with_layers(const ExistingArtifact& existing,
                                                     std::string_view config_bytes,
                                                     const std::vector<StoredLayer>& layers);

// True when manifest_bytes (e.g. read back after a PUT) has a simple-signing layer for sig: same
// payload digest and size, same signature annotation. Error when the manifest is not one that
// parse_existing_artifact accepts.
common::Result<bool> artifact_has_signature(std::string_view manifest_bytes,
                                            const NewSignature& sig);

} // namespace isign::cosign
