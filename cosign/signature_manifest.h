// The legacy artifact: the OCI image manifest at tag sha256-<hex>.sig (or .att) with one layer per
// signature (or attestation) (docs/formats.md sections 4 and 13). One reader for everyone
// (read_signature_manifest), and the edits a signer makes: a new artifact, or a signature added to
// one that exists (written by cosign, containers/image or us) without disturbing its other bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/stored.h"
#include "registry/client.h"

namespace isign::cosign {

// A signature manifest as read.
struct SignatureManifest {
  std::string media_type;          // its mediaType (OCI when the field is absent)
  std::vector<StoredLayer> layers; // in order; empty when "layers" is null
  bool layers_null = false;        // "layers": null (cosign writes it for an empty image)
};

// Reads manifest_bytes: strict JSON (common::parse_strict_json), an object, an OCI or Docker
// schema 2 image manifest, with a layers array. Registry error otherwise ("the signature manifest
// is not valid JSON: ...", "... has no layers array"): a damaged artifact, never a forgery.
// Layers are returned whatever they hold (a layer that is not an object included), each marked
// with kind (the tag's: .sig or .att).
common::Result<SignatureManifest> read_signature_manifest(std::string_view manifest_bytes,
                                                          Kind kind = Kind::signature);

// The layers a verifier judges: read_signature_manifest's, and a registry error when "layers" is
// null (such a manifest holds no signature, but it is damaged rather than "unsigned").
common::Result<std::vector<StoredLayer>> read_signature_layers(std::string_view manifest_bytes,
                                                               Kind kind = Kind::signature);

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

// A new artifact (cosign's manifest and config bytes) holding first (when given) and then kept,
// descriptors of another version of the artifact kept byte for byte (their blobs are in the
// repository): what attest --replace and revoke write. No layers at all: an empty-layers manifest.
common::Result<SignatureArtifact> rebuild_signature_artifact(const std::vector<StoredLayer>& kept,
                                                             const NewSignature* first = nullptr);

// True when manifest_bytes (e.g. read back after a PUT) has a simple-signing layer for sig: same
// payload digest and size, same signature annotation. Error when the manifest is not one that
// parse_existing_artifact accepts.
common::Result<bool> artifact_has_signature(std::string_view manifest_bytes,
                                            const NewSignature& sig);

} // namespace isign::cosign
