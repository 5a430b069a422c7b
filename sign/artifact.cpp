#include "sign/artifact.h"

#include <optional>

#include "common/digest.h"
#include "sign/json_scan.h"
#include "sign/payload.h"

namespace isign::sign {

using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::Edit;
using detail::JsonText;
using detail::JsonType;
using detail::Member;
using detail::Span;

namespace {

// go-containerregistry's zero v1.Time, which cosign's empty signature image carries.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

Result<void> fail(const std::string& problem) {
  return make_error(ErrorKind::registry,
                    "the existing signature manifest " + problem +
                        "; refusing to rewrite it (that could drop other signatures)");
}

// The layer descriptor in cosign's key order (go-containerregistry's v1.Descriptor).
std::string layer_descriptor(const std::string& digest, std::size_t size,
                             std::string_view signature) {
  return "{\"mediaType\":" + go_json_string(kSimpleSigningMediaType) +
         ",\"size\":" + std::to_string(size) + ",\"digest\":" + go_json_string(digest) +
         ",\"annotations\":{" + go_json_string(kSignatureAnnotation) + ":" +
         go_json_string(signature) + "}}";
}

std::string history_entry() {
  return "{\"created\":\"" + std::string(kZeroTime) + "\"}";
}

// A checked layer descriptor of an existing manifest.
struct LayerInfo {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::optional<std::string> signature; // the signature annotation, when a string
  std::string text;                     // the descriptor's exact JSON text
};

// A checked manifest, with the spans an edit needs.
struct ManifestScan {
  std::string media_type;
  Span config_digest;
  Span config_size;
  std::string config_media_type;
  std::string config_digest_value;
  std::uint64_t config_size_value = 0;
  std::optional<Span> layers; // absent: "layers" is null
  std::vector<LayerInfo> layer_infos;
};

// A descriptor's mediaType, digest and size members, each where present with the right type.
struct DescriptorFields {
  std::optional<Span> digest, size, media_type;
  std::optional<std::string> digest_value, media_type_value;
  std::optional<std::uint64_t> size_value;
};

template <class Members>
DescriptorFields descriptor_fields(const JsonText& doc, const Members& members) {
  DescriptorFields f;
  f.media_type = doc.find(members, "mediaType");
  f.digest = doc.find(members, "digest");
  f.size = doc.find(members, "size");
  if (f.media_type)
    f.media_type_value = doc.string_value(*f.media_type);
  if (f.digest)
    f.digest_value = doc.string_value(*f.digest);
  if (f.size)
    f.size_value = doc.uint_value(*f.size);
  return f;
}

Result<LayerInfo> scan_layer(const JsonText& doc, Span layer, std::size_t index) {
  auto where = "has a malformed layer " + std::to_string(index);
  if (doc.type(layer) != JsonType::object)
    return fail(where + " (not an object)").error();
  auto members = doc.members(layer);
  if (!members)
    return fail(where + " (" + members.error().message() + ")").error();
  LayerInfo info;
  info.text = std::string(doc.raw(layer));
  auto f = descriptor_fields(doc, *members);
  if (!f.media_type_value)
    return fail(where + " (no string mediaType)").error();
  if (!f.digest_value)
    return fail(where + " (no string digest)").error();
  if (!f.size_value)
    return fail(where + " (no integer size)").error();
  info.media_type = std::move(*f.media_type_value);
  info.digest = std::move(*f.digest_value);
  info.size = *f.size_value;
  if (auto annotations = doc.find(*members, "annotations")) {
    if (doc.type(*annotations) == JsonType::object) {
      auto entries = doc.members(*annotations);
      if (!entries)
        return fail(where + " (" + entries.error().message() + ")").error();
      if (auto sig = doc.find(*entries, kSignatureAnnotation))
        info.signature = doc.string_value(*sig);
    } else if (doc.type(*annotations) != JsonType::null) {
      return fail(where + " (annotations is not an object)").error();
    }
  }
  return info;
}

Result<ManifestScan> scan_manifest(const JsonText& doc) {
  if (doc.type(doc.root()) != JsonType::object)
    return fail("is not a JSON object").error();
  auto top = doc.members(doc.root());
  if (!top)
    return fail("is not valid (" + top.error().message() + ")").error();
  ManifestScan scan;

  auto schema_version = doc.find(*top, "schemaVersion");
  if (!schema_version || doc.uint_value(*schema_version) != 2u)
    return fail("does not have schemaVersion 2").error();

  scan.media_type = std::string(registry::kOciManifest);
  if (auto media_type = doc.find(*top, "mediaType")) {
    auto value = doc.string_value(*media_type);
    if (!value)
      return fail("has a mediaType that is not a string").error();
    if (*value != registry::kOciManifest && *value != registry::kDockerManifest)
      return fail("has media type '" + *value + "', not an image manifest").error();
    scan.media_type = *value;
  }

  auto config = doc.find(*top, "config");
  if (!config || doc.type(*config) != JsonType::object)
    return fail("has no config descriptor").error();
  auto config_members = doc.members(*config);
  if (!config_members)
    return fail("has an invalid config descriptor (" + config_members.error().message() + ")")
        .error();
  auto f = descriptor_fields(doc, *config_members);
  if (!f.digest_value || !common::validate_sha256_digest(*f.digest_value))
    return fail("has a config descriptor without a sha256 digest").error();
  if (!f.size_value)
    return fail("has a config descriptor without an integer size").error();
  scan.config_digest = *f.digest;
  scan.config_size = *f.size;
  scan.config_digest_value = *f.digest_value;
  scan.config_size_value = *f.size_value;
  scan.config_media_type = f.media_type_value.value_or("");

  auto layers = doc.find(*top, "layers");
  if (!layers)
    return fail("has no layers").error();
  if (doc.type(*layers) == JsonType::array) {
    scan.layers = *layers;
    std::size_t index = 0;
    for (Span layer : doc.elements(*layers)) {
      auto info = scan_layer(doc, layer, index++);
      if (!info)
        return std::move(info).error();
      scan.layer_infos.push_back(std::move(*info));
    }
  } else if (doc.type(*layers) != JsonType::null) {
    return fail("has layers that are not an array").error();
  }
  return scan;
}

// The checked scan of manifest bytes (its spans are offsets into them).
Result<ManifestScan> scan_bytes(std::string_view manifest_bytes) {
  auto doc = JsonText::parse(manifest_bytes);
  if (!doc)
    return fail("is not valid JSON (" + doc.error().message() + ")").error();
  return scan_manifest(*doc);
}

bool has_layer(const ManifestScan& scan, const std::string& payload_digest, std::size_t size,
               std::string_view signature) {
  for (const auto& layer : scan.layer_infos)
    if (layer.media_type == kSimpleSigningMediaType && layer.digest == payload_digest &&
        layer.size == size && layer.signature && *layer.signature == signature)
      return true;
  return false;
}

// The edit that appends element to the array at span (or replaces a null with a new array).
Edit append_element(const JsonText& doc, std::optional<Span> array, Span null_value,
                    const std::string& element) {
  if (!array)
    return Edit{null_value.begin, null_value.end, "[" + element + "]"};
  std::size_t close = doc.closing(*array);
  return Edit{close, close, (doc.empty_container(*array) ? "" : ",") + element};
}

// Appends layer descriptors (exact JSON text) to the manifest doc/scan of manifest bytes whose
// config is config_bytes: their digests to rootfs.diff_ids (and a history entry each when the
// config has a history, as go-containerregistry's mutate.Append does for cosign); every other
// byte is kept. Returns the new manifest and config, with the config blob to upload.
Result<SignatureArtifact> append_layers(const JsonText& doc, const ManifestScan& scan,
                                        std::string_view manifest, std::string_view config_bytes,
                                        const std::vector<std::string>& descriptors,
                                        const std::vector<std::string>& digests) {
  if (common::sha256_digest(config_bytes) != scan.config_digest_value ||
      config_bytes.size() != scan.config_size_value)
    return make_error(ErrorKind::registry,
                      "the signature config blob does not match its descriptor " +
                          scan.config_digest_value);

  // The config: extend rootfs.diff_ids (and history when present, as go-containerregistry's
  // mutate.Append does for cosign), keep every other byte.
  auto config_doc = JsonText::parse(config_bytes);
  if (!config_doc)
    return fail("has a config blob that is not valid JSON (" + config_doc.error().message() + ")")
        .error();
  if (config_doc->type(config_doc->root()) != JsonType::object)
    return fail("has a config blob that is not a JSON object").error();
  auto config_top = config_doc->members(config_doc->root());
  if (!config_top)
    return fail("has an invalid config blob (" + config_top.error().message() + ")").error();
  auto rootfs = config_doc->find(*config_top, "rootfs");
  if (!rootfs || config_doc->type(*rootfs) != JsonType::object)
    return fail("has a config blob without rootfs").error();
  auto rootfs_members = config_doc->members(*rootfs);
  if (!rootfs_members)
    return fail("has an invalid config rootfs (" + rootfs_members.error().message() + ")").error();
  auto diff_ids = config_doc->find(*rootfs_members, "diff_ids");
  std::vector<Edit> config_edits;
  std::string quoted_digest, history_entries, joined_layers; // comma-separated elements
  for (const auto& d : digests) {
    quoted_digest += (quoted_digest.empty() ? "" : ",") + go_json_string(d);
    history_entries += (history_entries.empty() ? "" : ",") + history_entry();
  }
  for (const auto& l : descriptors)
    joined_layers += (joined_layers.empty() ? "" : ",") + l;
  if (!diff_ids) {
    std::size_t close = config_doc->closing(*rootfs);
    config_edits.push_back(Edit{close, close,
                                std::string(config_doc->empty_container(*rootfs) ? "" : ",") +
                                    "\"diff_ids\":[" + quoted_digest + "]"});
  } else if (config_doc->type(*diff_ids) == JsonType::array) {
    config_edits.push_back(append_element(*config_doc, *diff_ids, *diff_ids, quoted_digest));
  } else if (config_doc->type(*diff_ids) == JsonType::null) {
    config_edits.push_back(append_element(*config_doc, std::nullopt, *diff_ids, quoted_digest));
  } else {
    return fail("has a config whose rootfs.diff_ids is not an array").error();
  }
  if (auto history = config_doc->find(*config_top, "history");
      history && config_doc->type(*history) == JsonType::array)
    config_edits.push_back(append_element(*config_doc, *history, *history, history_entries));

  SignatureArtifact out;
  out.config = detail::apply_edits(config_bytes, std::move(config_edits));
  const std::string config_digest = common::sha256_digest(out.config);

  // The manifest: new config digest and size in place, the new layer appended.
  std::vector<Edit> edits;
  edits.push_back(
      Edit{scan.config_digest.begin, scan.config_digest.end, go_json_string(config_digest)});
  edits.push_back(
      Edit{scan.config_size.begin, scan.config_size.end, std::to_string(out.config.size())});
  if (scan.layers) {
    edits.push_back(append_element(doc, scan.layers, *scan.layers, joined_layers));
  } else {
    auto top = doc.members(doc.root());
    edits.push_back(append_element(doc, std::nullopt, *doc.find(*top, "layers"), joined_layers));
  }
  out.manifest = detail::apply_edits(manifest, std::move(edits));
  out.media_type = scan.media_type;
  out.blobs_to_upload.push_back(Blob{config_digest, out.config});
  out.changed = true;
  return out;
}

} // namespace

Result<std::string> signature_tag(std::string_view manifest_digest) {
  if (auto valid = common::validate_sha256_digest(manifest_digest); !valid)
    return std::move(valid).error();
  return "sha256-" + std::string(manifest_digest.substr(7)) + ".sig";
}

SignatureArtifact new_signature_artifact(const NewSignature& sig) {
  const std::string payload_digest = common::sha256_digest(sig.payload);
  SignatureArtifact out;
  // cosign's bytes: go-containerregistry's v1.ConfigFile of an empty image plus one layer.
  out.config = "{\"architecture\":\"\",\"created\":\"" + std::string(kZeroTime) +
               "\",\"history\":[" + history_entry() +
               "],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
               go_json_string(payload_digest) + "]},\"config\":{}}";
  const std::string config_digest = common::sha256_digest(out.config);
  out.manifest = "{\"schemaVersion\":2,\"mediaType\":" + go_json_string(registry::kOciManifest) +
                 ",\"config\":{\"mediaType\":" + go_json_string(kOciConfigMediaType) +
                 ",\"size\":" + std::to_string(out.config.size()) +
                 ",\"digest\":" + go_json_string(config_digest) + "},\"layers\":[" +
                 layer_descriptor(payload_digest, sig.payload.size(), sig.signature) + "]}";
  out.media_type = std::string(registry::kOciManifest);
  out.blobs_to_upload.push_back(Blob{payload_digest, sig.payload});
  out.blobs_to_upload.push_back(Blob{config_digest, out.config});
  out.changed = true;
  return out;
}

Result<ExistingArtifact> parse_existing_artifact(std::string_view manifest_bytes) {
  auto scan = scan_bytes(manifest_bytes);
  if (!scan)
    return std::move(scan).error();
  ExistingArtifact out;
  out.manifest = std::string(manifest_bytes);
  out.media_type = scan->media_type;
  out.config.media_type = scan->config_media_type;
  out.config.digest = scan->config_digest_value;
  out.config.size = static_cast<std::size_t>(scan->config_size_value);
  out.layer_count = scan->layer_infos.size();
  return out;
}

Result<SignatureArtifact> extend_signature_artifact(const ExistingArtifact& existing,
                                                    std::string_view config_bytes,
                                                    const NewSignature& sig) {
  auto doc = JsonText::parse(existing.manifest);
  if (!doc)
    return fail("is not valid JSON (" + doc.error().message() + ")").error();
  auto scan = scan_manifest(*doc);
  if (!scan)
    return std::move(scan).error();

  const std::string payload_digest = common::sha256_digest(sig.payload);
  if (has_layer(*scan, payload_digest, sig.payload.size(), sig.signature)) {
    SignatureArtifact same;
    same.manifest = existing.manifest;
    same.media_type = scan->media_type;
    same.config = std::string(config_bytes);
    same.changed = false;
    return same;
  }

  const std::string layer = layer_descriptor(payload_digest, sig.payload.size(), sig.signature);
  auto out = append_layers(*doc, *scan, existing.manifest, config_bytes, {layer}, {payload_digest});
  if (!out)
    return out;
  out->blobs_to_upload.insert(out->blobs_to_upload.begin(), Blob{payload_digest, sig.payload});
  return out;
}

Result<std::vector<SignatureLayer>> signature_layers(std::string_view manifest_bytes) {
  auto scan = scan_bytes(manifest_bytes);
  if (!scan)
    return std::move(scan).error();
  std::vector<SignatureLayer> out;
  for (auto& layer : scan->layer_infos)
    if (layer.media_type == kSimpleSigningMediaType && layer.signature)
      out.push_back({std::move(layer.digest), layer.size, std::move(*layer.signature)});
  return out;
}

Result<std::vector<LayerDescriptor>> layer_descriptors(std::string_view manifest_bytes) {
  auto scan = scan_bytes(manifest_bytes);
  if (!scan)
    return std::move(scan).error();
  std::vector<LayerDescriptor> out;
  for (auto& layer : scan->layer_infos)
    out.push_back({std::move(layer.text), std::move(layer.digest), layer.signature.value_or("")});
  return out;
}

Result<SignatureArtifact> extend_with_layers(const ExistingArtifact& existing,
                                             std::string_view config_bytes,
                                             const std::vector<LayerDescriptor>& layers) {
  auto doc = JsonText::parse(existing.manifest);
  if (!doc)
    return fail("is not valid JSON (" + doc.error().message() + ")").error();
  auto scan = scan_manifest(*doc);
  if (!scan)
    return std::move(scan).error();
  std::vector<std::string> texts, digests;
  for (const auto& l : layers) {
    texts.push_back(l.text);
    digests.push_back(l.digest);
  }
  return append_layers(*doc, *scan, existing.manifest, config_bytes, texts, digests);
}

Result<bool> artifact_has_signature(std::string_view manifest_bytes, const NewSignature& sig) {
  auto scan = scan_bytes(manifest_bytes);
  if (!scan)
    return std::move(scan).error();
  return has_layer(*scan, common::sha256_digest(sig.payload), sig.payload.size(), sig.signature);
}

} // namespace isign::sign
