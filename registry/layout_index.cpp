#include "registry/layout_index.h"

#include <algorithm>
#include <array>

#include "registry/json_util.h"
#include "registry/media_types.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;
using nlohmann::json;

namespace {

common::Error bad(const std::string& path, const std::string& problem) {
  return make_error(ErrorKind::registry, path + ": " + problem);
}

std::string dumped(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The keys of an entry written first, in the order the image spec lists a descriptor's fields.
constexpr std::array<std::string_view, 6> kEntryOrder{"mediaType",    "digest",      "size",
                                                      "artifactType", "annotations", "platform"};

std::string serialize_entry(const json& entry) {
  std::string out = "{";
  bool first = true;
  auto field = [&](const std::string& key, const json& value) {
    out += first ? "" : ",";
    first = false;
    out += dumped(json(key)) + ":" + dumped(value);
  };
  for (std::string_view key : kEntryOrder)
    if (auto it = entry.find(std::string(key)); it != entry.end())
      field(std::string(key), *it);
  for (const auto& [key, value] : entry.items())
    if (std::find(kEntryOrder.begin(), kEntryOrder.end(), key) == kEntryOrder.end())
      field(key, value);
  return out + "}";
}

} // namespace

Result<LayoutIndex> parse_layout_index(std::string_view bytes, const std::string& path) {
  json doc = parse_json(bytes);
  if (doc.is_discarded()) {
    auto why = common::parse_strict_json(bytes, common::kMaxJsonDepth + 1);
    return bad(path, "not valid JSON (" + (why ? std::string("too deep") : why.error().message()) +
                         "); repair or remove it");
  }
  if (!doc.is_object())
    return bad(path, std::string("not an OCI image index: it is ") + common::json_type_name(doc) +
                         ", not an object");
  auto version = doc.find("schemaVersion");
  if (version == doc.end() || !version->is_number_integer() || *version != 2)
    return bad(path, "not an OCI image index: schemaVersion must be 2");
  if (auto type = doc.find("mediaType"); type != doc.end())
    if (!type->is_string() || type->get<std::string>() != kOciIndex)
      return bad(path, "not an OCI image index: its mediaType is " +
                           common::quote_for_message(type->is_string() ? type->get<std::string>()
                                                                       : dumped(*type)));
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array())
    return bad(path, "not an OCI image index: it has no manifests array");
  LayoutIndex out;
  std::size_t i = 0;
  for (auto& entry : *manifests) {
    const std::string at = "manifests[" + std::to_string(i++) + "]";
    if (!entry.is_object())
      return bad(path, at + " is not an object");
    for (const char* key : {"mediaType", "digest"}) {
      auto it = entry.find(key);
      if (it == entry.end() || !it->is_string())
        return bad(path, at + " has no string " + key);
    }
    if (auto it = entry.find("size"); it == entry.end() || !it->is_number_unsigned())
      return bad(path, at + " has no size (a non-negative integer)");
    out.entries.push_back(std::move(entry));
  }
  for (auto& [key, value] : doc.items())
    if (key != "schemaVersion" && key != "mediaType" && key != "manifests")
      out.others[key] = std::move(value);
  return out;
}

std::string serialize_layout_index(const LayoutIndex& index) {
  std::string out = "{\"schemaVersion\":2,\"mediaType\":" + dumped(json(std::string(kOciIndex))) +
                    ",\"manifests\":[";
  for (std::size_t i = 0; i < index.entries.size(); ++i)
    out += (i ? "," : "") + serialize_entry(index.entries[i]);
  out += "]";
  for (const auto& [key, value] : index.others.items())
    out += "," + dumped(json(key)) + ":" + dumped(value);
  return out + "}";
}

std::string entry_string(const json& entry, std::string_view key) {
  auto it = entry.find(std::string(key));
  return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string entry_ref_name(const json& entry) {
  auto annotations = entry.find("annotations");
  if (annotations == entry.end() || !annotations->is_object())
    return "";
  return entry_string(*annotations, kRefNameAnnotation);
}

json make_entry(std::string_view media_type, std::string_view digest, std::size_t size,
                std::string_view artifact_type,
                const std::map<std::string, std::string>& annotations) {
  json entry = json::object();
  entry["mediaType"] = std::string(media_type);
  entry["digest"] = std::string(digest);
  entry["size"] = size;
  if (!artifact_type.empty())
    entry["artifactType"] = std::string(artifact_type);
  if (!annotations.empty())
    entry["annotations"] = annotations;
  return entry;
}

Result<ManifestFacts> manifest_facts(std::string_view bytes) {
  json doc = parse_json(bytes);
  if (!doc.is_object())
    return make_error(ErrorKind::registry, "the manifest is not a JSON object");
  ManifestFacts out;
  out.artifact_type = entry_string(doc, "artifactType");
  if (out.artifact_type.empty() && doc.contains("subject"))
    if (auto config = doc.find("config"); config != doc.end() && config->is_object())
      out.artifact_type = entry_string(*config, "mediaType");
  if (auto annotations = doc.find("annotations");
      annotations != doc.end() && annotations->is_object())
    for (const auto& [key, value] : annotations->items())
      if (value.is_string())
        out.annotations[key] = value.get<std::string>();
  return out;
}

Result<void> check_oci_layout(std::string_view bytes, const std::string& path) {
  json doc = parse_json(bytes);
  if (!doc.is_object())
    return bad(path, "not an OCI layout file (expected {\"imageLayoutVersion\":\"1.0.0\"})");
  const std::string version = entry_string(doc, "imageLayoutVersion");
  if (version.rfind("1.", 0) != 0)
    return bad(path, "imageLayoutVersion " + common::quote_for_message(version) +
                         " is not supported (only 1.x)");
  return {};
}

} // namespace isign::registry::detail
