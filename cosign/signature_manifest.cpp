#include "cosign/signature_manifest.h"

#include <limits>
#include <optional>

#include "common/digest.h"
#include "common/json.h"
#include "cosign/bundle.h"
#include "cosign/constants.h"
#include "cosign/json_scan.h"
#include "cosign/payload.h"

namespace isign::cosign {

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
// An attestation's layer also names its predicateType, and its signature annotation is empty (the
// signature is inside the envelope, docs/formats.md section 13).
std::string layer_descriptor(const std::string& digest, const NewSignature& sig) {
  std::string annotations = go_json_string(kSignatureAnnotation) + ":" +
                            go_json_string(sig.kind == Kind::attestation ? "" : sig.signature);
  if (sig.kind == Kind::attestation)
    annotations += "," + go_json_string(kLayerPredicateTypeAnnotation) + ":" +
                   go_json_string(sig.predicate_type);
  return "{\"mediaType\":" + go_json_string(legacy_layer_media_type(sig.kind)) +
         ",\"size\":" + std::to_string(sig.payload.size()) +
         ",\"digest\":" + go_json_string(digest) + ",\"annotations\":{" + annotations + "}}";
}

std::string history_entry() {
  return "{\"created\":\"" + std::string(kZeroTime) + "\"}";
}

// A manifest scanned once, with the spans an edit needs. Nothing here is judged yet: the reader
// (verify) and the extender (sign) ask different questions of the same scan.
struct ManifestScan {
  std::optional<Span> media_type; // the mediaType member, when present
  std::optional<std::uint64_t> schema_version;
  std::optional<Span> config;           // the config member, when present
  std::optional<Span> layers;           // the layers member, when present (any type)
  std::vector<StoredLayer> layer_infos; // when layers is an array
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

// Go decodes descriptor sizes into int64: a larger number is no size registries or cosign accept.
bool int64_size(const std::optional<std::uint64_t>& size) {
  return size && *size <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

StoredLayer scan_layer(const JsonText& doc, Span layer, std::size_t index) {
  StoredLayer info;
  info.index = index;
  info.text = std::string(doc.raw(layer));
  auto members = doc.type(layer) == JsonType::object
                     ? doc.members(layer)
                     : Result<std::vector<Member>>(std::vector<Member>{});
  if (doc.type(layer) != JsonType::object || !members) {
    info.is_object = false;
    info.problem = "not an object";
    return info;
  }
  auto f = descriptor_fields(doc, *members);
  info.media_type = f.media_type_value.value_or("");
  info.digest = std::move(f.digest_value);
  info.size = f.size_value;
  if (auto annotations = doc.find(*members, "annotations")) {
    if (doc.type(*annotations) == JsonType::object) {
      if (auto entries = doc.members(*annotations)) {
        if (auto sig = doc.find(*entries, kSignatureAnnotation))
          info.signature = doc.string_value(*sig);
        if (auto type = doc.find(*entries, kLayerPredicateTypeAnnotation))
          info.predicate_type = doc.string_value(*type).value_or("");
      }
    } else if (doc.type(*annotations) != JsonType::null) {
      info.problem = "annotations is not an object";
    }
  }
  if (!f.media_type_value)
    info.problem = "no string mediaType";
  else if (!info.digest)
    info.problem = "no string digest";
  else if (!int64_size(info.size))
    info.problem = "no integer size";
  return info;
}

// The scan of a parsed document; error (the bare problem) when it is not a JSON object.
Result<ManifestScan> scan_manifest(const JsonText& doc) {
  if (doc.type(doc.root()) != JsonType::object)
    return make_error(ErrorKind::registry, "is not a JSON object");
  auto top = doc.members(doc.root());
  if (!top)
    return make_error(ErrorKind::registry, "is not valid (" + top.error().message() + ")");
  ManifestScan scan;
  if (auto v = doc.find(*top, "schemaVersion"))
    scan.schema_version = doc.uint_value(*v);
  scan.media_type = doc.find(*top, "mediaType");
  scan.config = doc.find(*top, "config");
  scan.layers = doc.find(*top, "layers");
  if (scan.layers && doc.type(*scan.layers) == JsonType::array) {
    std::size_t index = 0;
    for (Span layer : doc.elements(*scan.layers))
      scan.layer_infos.push_back(scan_layer(doc, layer, index++));
  }
  return scan;
}

// The manifest's media type when it is an image manifest's (OCI when absent); the problem when not.
Result<std::string> image_media_type(const JsonText& doc, const ManifestScan& scan) {
  if (!scan.media_type)
    return std::string(registry::kOciManifest);
  auto value = doc.string_value(*scan.media_type);
  if (value && (*value == registry::kOciManifest || *value == registry::kDockerManifest))
    return *value;
  return make_error(ErrorKind::registry,
                    "has media type " +
                        (value ? common::quote_for_message(*value)
                               : common::quote_for_message(doc.raw(*scan.media_type))) +
                        ", not an image manifest");
}

std::string layers_problem(const JsonText& doc, const ManifestScan& scan) {
  if (!scan.layers)
    return "has no layers array";
  switch (doc.type(*scan.layers)) {
  case JsonType::object:
    return "has no layers array (its layers is an object, not an array)";
  case JsonType::null:
    return "has no layers array (its layers is null)";
  default:
    return "has no layers array (its layers is a " +
           std::string(doc.type(*scan.layers) == JsonType::string ? "string" : "scalar") +
           ", not an array)";
  }
}

// What a signer needs to extend a manifest: the spans of the config descriptor's digest and
// size, their values, and the layers array (absent: "layers" is null).
struct Extendable {
  ManifestScan scan;
  std::string media_type;
  Span config_digest;
  Span config_size;
  std::string config_media_type;
  std::string config_digest_value;
  std::uint64_t config_size_value = 0;
  std::optional<Span> layers;
  Span layers_member; // the value of "layers" (null or an array)
};

// The sign-side checks over a scan, in the order a reader of the manifest meets them.
Result<Extendable> check_extendable(const JsonText& doc) {
  auto scan = scan_manifest(doc);
  if (!scan)
    return fail(scan.error().message()).error();
  Extendable out;
  if (scan->schema_version != 2u)
    return fail("does not have schemaVersion 2").error();
  auto media_type = image_media_type(doc, *scan);
  if (!media_type)
    return fail(media_type.error().message()).error();
  out.media_type = std::move(*media_type);
  if (!scan->config || doc.type(*scan->config) != JsonType::object)
    return fail("has no config descriptor").error();
  auto config_members = doc.members(*scan->config);
  if (!config_members)
    return fail("has an invalid config descriptor (" + config_members.error().message() + ")")
        .error();
  auto f = descriptor_fields(doc, *config_members);
  if (!f.digest_value || !common::validate_sha256_digest(*f.digest_value))
    return fail("has a config descriptor without a sha256 digest").error();
  if (!int64_size(f.size_value))
    return fail("has a config descriptor without an integer size").error();
  out.config_digest = *f.digest;
  out.config_size = *f.size;
  out.config_digest_value = *f.digest_value;
  out.config_size_value = *f.size_value;
  out.config_media_type = f.media_type_value.value_or("");
  if (!scan->layers)
    return fail("has no layers").error();
  out.layers_member = *scan->layers;
  if (doc.type(*scan->layers) == JsonType::array)
    out.layers = *scan->layers;
  else if (doc.type(*scan->layers) != JsonType::null)
    return fail("has layers that are not an array").error();
  for (const auto& layer : scan->layer_infos)
    if (!layer.problem.empty())
      return fail("has a malformed layer " + std::to_string(layer.index) + " (" + layer.problem +
                  ")")
          .error();
  out.scan = std::move(*scan);
  return out;
}

// The checked scan of manifest bytes (its spans are offsets into them).
Result<JsonText> parse_existing(std::string_view manifest_bytes) {
  auto doc = JsonText::parse(manifest_bytes);
  if (!doc)
    return fail("is not valid JSON: " + doc.error().message()).error();
  return doc;
}

// The document and its checked scan (whose spans are offsets into manifest_bytes).
struct CheckedManifest {
  JsonText doc;
  Extendable scan;
};

Result<CheckedManifest> check_existing(std::string_view manifest_bytes) {
  auto doc = parse_existing(manifest_bytes);
  ISIGN_TRY(doc);
  auto scan = check_extendable(*doc);
  ISIGN_TRY(scan);
  return CheckedManifest{*doc, std::move(*scan)};
}

// Whether a layer of sig's kind holds sig: the same payload (digest and size) and signature
// annotation.
bool has_layer(const Extendable& scan, const NewSignature& sig) {
  const std::string payload_digest = common::sha256_digest(sig.payload);
  const std::string signature = sig.kind == Kind::attestation ? "" : sig.signature;
  for (const auto& layer : scan.scan.layer_infos)
    if (layer.is_object && layer.media_type == legacy_layer_media_type(sig.kind) &&
        layer.digest == payload_digest && layer.size == sig.payload.size() && layer.signature &&
        *layer.signature == signature)
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
Result<SignatureArtifact> append_layers(const JsonText& doc, const Extendable& scan,
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
  edits.push_back(append_element(doc, scan.layers, scan.layers_member, joined_layers));
  out.manifest = detail::apply_edits(manifest, std::move(edits));
  out.media_type = scan.media_type;
  out.blobs_to_upload.push_back(Blob{config_digest, out.config});
  out.changed = true;
  return out;
}

} // namespace

Result<SignatureManifest> read_signature_manifest(std::string_view manifest_bytes, Kind kind) {
  auto problem = [](const std::string& what) {
    return make_error(ErrorKind::registry, "the signature manifest " + what);
  };
  auto doc = JsonText::parse(manifest_bytes);
  if (!doc)
    return problem("is not valid JSON: " + doc.error().message());
  auto scan = scan_manifest(*doc);
  if (!scan)
    return problem(scan.error().message());
  SignatureManifest out;
  auto media_type = image_media_type(*doc, *scan);
  if (!media_type)
    return problem(media_type.error().message());
  out.media_type = std::move(*media_type);
  if (!scan->layers ||
      (doc->type(*scan->layers) != JsonType::array && doc->type(*scan->layers) != JsonType::null))
    return problem(layers_problem(*doc, *scan));
  out.layers_null = doc->type(*scan->layers) == JsonType::null;
  out.layers = std::move(scan->layer_infos);
  for (auto& l : out.layers)
    l.kind = kind;
  return out;
}

Result<std::vector<StoredLayer>> read_signature_layers(std::string_view manifest_bytes, Kind kind) {
  auto read = read_signature_manifest(manifest_bytes, kind);
  ISIGN_TRY(read);
  if (read->layers_null)
    return make_error(ErrorKind::registry,
                      "the signature manifest has no layers array (its layers is null)");
  return std::move(read->layers);
}

Result<std::string> signature_tag(std::string_view manifest_digest) {
  ISIGN_TRY(common::validate_sha256_digest(manifest_digest));
  return "sha256-" + std::string(manifest_digest.substr(7)) + ".sig";
}

Result<std::string> attestation_tag(std::string_view manifest_digest) {
  ISIGN_TRY(common::validate_sha256_digest(manifest_digest));
  return "sha256-" + std::string(manifest_digest.substr(7)) + ".att";
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
                 layer_descriptor(payload_digest, sig) + "]}";
  out.media_type = std::string(registry::kOciManifest);
  out.blobs_to_upload.push_back(Blob{payload_digest, sig.payload});
  out.blobs_to_upload.push_back(Blob{config_digest, out.config});
  out.changed = true;
  return out;
}

Result<ExistingArtifact> parse_existing_artifact(std::string_view manifest_bytes) {
  auto checked = check_existing(manifest_bytes);
  ISIGN_TRY(checked);
  const Extendable* scan = &checked->scan;
  ExistingArtifact out;
  out.manifest = std::string(manifest_bytes);
  out.media_type = scan->media_type;
  out.config.media_type = scan->config_media_type;
  out.config.digest = scan->config_digest_value;
  out.config.size = static_cast<std::size_t>(scan->config_size_value);
  return out;
}

Result<SignatureArtifact> extend_signature_artifact(const ExistingArtifact& existing,
                                                    std::string_view config_bytes,
                                                    const NewSignature& sig) {
  auto checked = check_existing(existing.manifest);
  ISIGN_TRY(checked);
  const JsonText& doc = checked->doc;
  const Extendable& scan = checked->scan;

  const std::string payload_digest = common::sha256_digest(sig.payload);
  if (has_layer(scan, sig)) {
    SignatureArtifact same;
    same.manifest = existing.manifest;
    same.media_type = scan.media_type;
    same.config = std::string(config_bytes);
    same.changed = false;
    return same;
  }

  const std::string layer = layer_descriptor(payload_digest, sig);
  auto out = append_layers(doc, scan, existing.manifest, config_bytes, {layer}, {payload_digest});
  if (!out)
    return out;
  out->blobs_to_upload.insert(out->blobs_to_upload.begin(), Blob{payload_digest, sig.payload});
  return out;
}

Result<SignatureArtifact> extend_with_layers(const ExistingArtifact& existing,
                                             std::string_view config_bytes,
                                             const std::vector<StoredLayer>& layers) {
  auto checked = check_existing(existing.manifest);
  ISIGN_TRY(checked);
  const JsonText& doc = checked->doc;
  const Extendable& scan = checked->scan;
  std::vector<std::string> texts, digests;
  for (const auto& l : layers) {
    texts.push_back(l.text);
    digests.push_back(l.digest.value_or(""));
  }
  return append_layers(doc, scan, existing.manifest, config_bytes, texts, digests);
}

Result<bool> artifact_has_signature(std::string_view manifest_bytes, const NewSignature& sig) {
  auto checked = check_existing(manifest_bytes);
  ISIGN_TRY(checked);
  return has_layer(checked->scan, sig);
}

} // namespace isign::cosign
