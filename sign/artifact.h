// The signature artifact: the OCI image manifest at tag sha256-<hex>.sig with one layer per
// signature (FORMATS.md section 4). Building a new one, adding a signature to one that exists
// (written by cosign, containers/image or us) without disturbing its other bytes, and checking a
// read-back manifest for our layer (the read-modify-write loop of concurrent signers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client.h"

namespace isign::sign {

inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kOciConfigMediaType = "application/vnd.oci.image.config.v1+json";

// The tag holding the signatures of manifest_digest: "sha256-<hex>.sig". Usage error when the
// digest is not "sha256:<64 hex>".
common::Result<std::string> signature_tag(std::string_view manifest_digest);

// One signature to attach.
struct NewSignature {
  std::string payload;   // the exact payload bytes (the layer blob), see make_payload
  std::string signature; // standard base64 of the signature (the annotation value)
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
  std::size_t layer_count = 0;
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

// A simple-signing layer of a .sig manifest that carries a string signature annotation.
struct SignatureLayer {
  std::string digest; // of the payload blob, as written
  std::uint64_t size = 0;
  std::string signature; // the annotation value
};

// The simple-signing layers of manifest_bytes that have a signature annotation, in order. Error
// when the manifest is not one that parse_existing_artifact accepts.
common::Result<std::vector<SignatureLayer>> signature_layers(std::string_view manifest_bytes);

// A layer descriptor of a .sig manifest as written, of any media type.
struct LayerDescriptor {
  std::string text;      // its exact JSON text
  std::string digest;    // its digest, as written
  std::string signature; // its signature annotation, "" when none

  // What makes two descriptors the same signature: digest and signature (or the whole text).
  std::string identity() const { return digest + "|" + (signature.empty() ? text : signature); }
};

// Every layer descriptor of manifest_bytes, in order. Error as parse_existing_artifact.
common::Result<std::vector<LayerDescriptor>> layer_descriptors(std::string_view manifest_bytes);

// Appends layers (descriptors of another version of the artifact, whose blobs the repository
// already holds) to existing, as extend_signature_artifact does one new layer; only the new config
// blob is to upload.
common::Result<SignatureArtifact> extend_with_layers(const ExistingArtifact& existing,
                                                     std::string_view config_bytes,
                                                     const std::vector<LayerDescriptor>& layers);

// True when manifest_bytes (e.g. read back after a PUT) has a simple-signing layer for sig: same
// payload digest and size, same signature annotation. Error when the manifest is not one that
// parse_existing_artifact accepts.
common::Result<bool> artifact_has_signature(std::string_view manifest_bytes,
                                            const NewSignature& sig);

} // namespace isign::sign
