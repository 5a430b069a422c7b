// Internal to registry/: an OCI image layout's index.json as the layout client reads and writes
// it. Every entry and top-level field is kept as read (other tools' entries: skopeo's, cosign's),
// in order; the client changes only the entries it means to.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace isign::registry::detail {

// The annotation that makes an index.json entry a tag (image-spec, image layout).
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct LayoutIndex {
  std::vector<nlohmann::json> entries;              // manifests[], each an object, in order
  nlohmann::json others = nlohmann::json::object(); // the other top-level fields
};

// index.json's bytes read strictly (common/json.h): an object with schemaVersion 2, an OCI index
// mediaType or none (as skopeo writes it), and manifests[] of objects whose digest and mediaType
// are strings. Registry error naming path and what is wrong (one line) otherwise.
common::Result<LayoutIndex> parse_layout_index(std::string_view bytes, const std::string& path);

// The index as written: schemaVersion, mediaType, manifests (each entry's mediaType, digest,
// size, artifactType, annotations, platform first, then its other fields), the other fields.
// Compact, no trailing newline.
std::string serialize_layout_index(const LayoutIndex& index);

// An entry's string field ("" when absent or not a string), its ref.name annotation.
std::string entry_string(const nlohmann::json& entry, std::string_view key);
std::string entry_ref_name(const nlohmann::json& entry);

// The entry of a manifest put into the layout: media_type, digest, size, then artifact_type when
// not empty and annotations when there are any.
nlohmann::json make_entry(std::string_view media_type, std::string_view digest, std::size_t size,
                          std::string_view artifact_type,
                          const std::map<std::string, std::string>& annotations);

// What an OCI layout lists of a manifest that is no tag (as oras lists referrers): its
// artifactType (else, when it has a subject, its config's mediaType) and its string annotations.
// Registry error when bytes is not a JSON object.
struct ManifestFacts {
  std::string artifact_type;
  std::map<std::string, std::string> annotations;
};
common::Result<ManifestFacts> manifest_facts(std::string_view bytes);

// The imageLayoutVersion check of the oci-layout file: registry error naming path unless it is
// an object whose imageLayoutVersion is "1.x...".
common::Result<void> check_oci_layout(std::string_view bytes, const std::string& path);

} // namespace isign::registry::detail
