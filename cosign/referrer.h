// Where cosign v3 keeps a bundle (docs/formats.md sections 11 and 12): a referrer manifest whose
// one layer is the bundle and whose subject is the image, found through the registry's referrers
// API or, on registries without one, through the referrers tag "sha256-<hex>" holding an OCI index
// of the referrers. Both written byte for byte as cosign v3 (go-containerregistry) writes them; the
// index is edited in place so that descriptors other tools wrote keep their bytes.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/signature_manifest.h"
#include "registry/client.h"

namespace isign::cosign {

// The config of a referrer: the two bytes "{}" of the OCI empty descriptor.
inline constexpr std::string_view kEmptyMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kEmptyConfig = "{}";
inline constexpr std::string_view kAnnotationBundleContent = "dev.sigstore.bundle.content";
inline constexpr std::string_view kAnnotationPredicateType = "dev.sigstore.bundle.predicateType";
inline constexpr std::string_view kAnnotationCreated = "org.opencontainers.image.created";

// The referrers tag of a subject: "sha256-<hex>" (no ".sig"). Usage error when the digest is not
// "sha256:<64 hex>".
common::Result<std::string> referrers_tag(std::string_view subject_digest);

// The referrer manifest cosign v3 pushes for a bundle blob (bundle_digest, bundle_size) about
// subject: an empty config, one bundle layer, the content/predicateType/created annotations,
// subject and artifactType. created: RFC 3339 UTC ("2026-11-30T09:00:00Z").
std::string make_referrer_manifest(const registry::Descriptor& subject,
                                   std::string_view bundle_digest, std::size_t bundle_size,
                                   std::string_view predicate_type, std::string_view created);

// A referrer manifest as read.
struct Referrer {
  std::string artifact_type;                      // its artifactType, else config.mediaType
  std::map<std::string, std::string> annotations; // its string-valued annotations
  std::string subject_digest;                     // "" when it has no subject
  // The bundle layer, when the manifest has exactly one layer whose mediaType starts with
  // kBundleMediaTypePrefix (what cosign v3 keeps); nullopt for any other referrer (an SBOM, say).
  std::optional<StoredLayer> bundle;
};

// Reads a referrer manifest: strict JSON, an OCI image manifest. Registry error when it is not
// one (a damaged referrer); a referrer of another kind is not an error (bundle is empty).
common::Result<Referrer> read_referrer(std::string_view manifest_bytes);

// The descriptor of a referrer in a referrers index, in go-containerregistry's key order:
// {"mediaType":..,"size":..,"digest":..,"annotations":{..},"artifactType":..}; annotations
// left out when empty, artifactType when empty.
std::string referrers_index_descriptor(std::string_view media_type, std::string_view digest,
                                       std::size_t size, std::string_view artifact_type,
                                       const std::map<std::string, std::string>& annotations);

// An empty referrers index: {"schemaVersion":2,"mediaType":"...index.v1+json","manifests":[]}.
std::string empty_referrers_index();

// One entry of a referrers index as read.
struct IndexEntry {
  StoredLayer descriptor;         // media_type, digest, size, text (signature unused)
  bool has_artifact_type = false; // a descriptor without one is stale (older cosign 3.x)
  std::string artifact_type;      // when it has one
  std::string predicate_type;     // its dev.sigstore.bundle.predicateType annotation, if any
};

// Reads a referrers index: strict JSON, an OCI image index (mediaType absent or the OCI index
// type) whose manifests are objects with a string digest and mediaType and a size. Registry error
// naming the problem otherwise: an index isign does not understand is never rewritten.
common::Result<std::vector<IndexEntry>> read_referrers_index(std::string_view index_bytes);

// index_bytes with descriptor (one or more, comma-separated; none when empty) appended to
// manifests and each (position, descriptor text) in
// replacements put in place of that element; every other byte is kept.
common::Result<std::string>
edit_referrers_index(std::string_view index_bytes, std::string_view descriptor,
                     const std::vector<std::pair<std::size_t, std::string>>& replacements);

// index_bytes without the manifests elements at positions (in any order); every other byte kept.
common::Result<std::string> remove_from_referrers_index(std::string_view index_bytes,
                                                        const std::vector<std::size_t>& positions);

} // namespace isign::cosign
