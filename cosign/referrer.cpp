#include "cosign/referrer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/json.h"
#include "cosign/bundle.h"
#include "cosign/json_scan.h"
#include "cosign/payload.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::Edit;
using detail::JsonText;
using detail::JsonType;
using nlohmann::json;

namespace {

std::string annotations_json(const std::map<std::string, std::string>& annotations) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : annotations) {
    out += (first ? "" : ",") + go_json_string(key) + ":" + go_json_string(value);
    first = false;
  }
  return out + "}";
}

std::map<std::string, std::string> string_members(const json& object) {
  std::map<std::string, std::string> out;
  if (object.is_object())
    for (const auto& [key, value] : object.items())
      if (value.is_string())
        out.emplace(key, value.get<std::string>());
  return out;
}

Result<std::vector<IndexEntry>> index_problem(const std::string& what) {
  return make_error(ErrorKind::registry, "the referrers index " + what +
                                             "; refusing to rewrite it (that could drop other "
                                             "referrers)");
}

} // namespace

Result<std::string> referrers_tag(std::string_view subject_digest) {
  ISIGN_TRY(common::validate_sha256_digest(subject_digest));
  // The spec's schema: the algorithm cut to 32 characters, "-", the hex cut to 64.
  return "sha256-" + std::string(subject_digest.substr(7, 64));
}

std::string make_referrer_manifest(const registry::Descriptor& subject,
                                   std::string_view bundle_digest, std::size_t bundle_size,
                                   std::string_view predicate_type, std::string_view created) {
  // go-containerregistry's v1.Manifest, then the embedding struct's own artifactType; the config
  // carries an artifactType too (cosign's write_test.go asserts it).
  const std::string bundle_type = go_json_string(kBundleMediaType);
  std::map<std::string, std::string> annotations{
      {std::string(kAnnotationBundleContent), "dsse-envelope"},
      {std::string(kAnnotationPredicateType), std::string(predicate_type)},
      {std::string(kAnnotationCreated), std::string(created)},
  };
  return "{\"schemaVersion\":2,\"mediaType\":" + go_json_string(registry::kOciManifest) +
         ",\"config\":{\"mediaType\":" + go_json_string(kEmptyMediaType) +
         ",\"size\":" + std::to_string(kEmptyConfig.size()) +
         ",\"digest\":" + go_json_string(common::sha256_digest(kEmptyConfig)) +
         ",\"artifactType\":" + bundle_type + "},\"layers\":[{\"mediaType\":" + bundle_type +
         ",\"size\":" + std::to_string(bundle_size) +
         ",\"digest\":" + go_json_string(bundle_digest) +
         "}],\"annotations\":" + annotations_json(annotations) +
         ",\"subject\":{\"mediaType\":" + go_json_string(subject.media_type) +
         ",\"size\":" + std::to_string(subject.size) +
         ",\"digest\":" + go_json_string(subject.digest) + "},\"artifactType\":" + bundle_type +
         "}";
}

Result<Referrer> read_referrer(std::string_view manifest_bytes) {
  // The same reader as a .sig manifest's; its messages say "the signature manifest ...".
  auto layers = read_signature_layers(manifest_bytes);
  ISIGN_TRY_CONTEXT(layers, "the referrer manifest");
  auto doc = common::parse_strict_json(manifest_bytes, common::kMaxJsonDepth);
  if (!doc)
    return make_error(ErrorKind::registry,
                      "the referrer manifest is not valid JSON: " + doc.error().message());
  const json& j = *doc;
  Referrer out;
  if (auto at = j.find("artifactType"); at != j.end() && at->is_string())
    out.artifact_type = at->get<std::string>();
  else if (auto config = j.find("config"); config != j.end() && config->is_object())
    if (auto mt = config->find("mediaType"); mt != config->end() && mt->is_string())
      out.artifact_type = mt->get<std::string>();
  if (auto a = j.find("annotations"); a != j.end())
    out.annotations = string_members(*a);
  if (auto s = j.find("subject"); s != j.end() && s->is_object())
    if (auto d = s->find("digest"); d != s->end() && d->is_string())
      out.subject_digest = d->get<std::string>();
  // cosign v3 keeps a referrer only when its single layer is a bundle.
  if (layers->size() == 1 && (*layers)[0].is_object &&
      (*layers)[0].media_type.rfind(kBundleMediaTypePrefix, 0) == 0) {
    out.bundle = std::move((*layers)[0]);
    out.bundle->format = Format::bundle;
  }
  return out;
}

std::string referrers_index_descriptor(std::string_view media_type, std::string_view digest,
                                       std::size_t size, std::string_view artifact_type,
                                       const std::map<std::string, std::string>& annotations) {
  std::string out = "{\"mediaType\":" + go_json_string(media_type) +
                    ",\"size\":" + std::to_string(size) + ",\"digest\":" + go_json_string(digest);
  if (!annotations.empty())
    out += ",\"annotations\":" + annotations_json(annotations);
  if (!artifact_type.empty())
    out += ",\"artifactType\":" + go_json_string(artifact_type);
  return out + "}";
}

std::string empty_referrers_index() {
  return "{\"schemaVersion\":2,\"mediaType\":" + go_json_string(registry::kOciIndex) +
         ",\"manifests\":[]}";
}

namespace {

struct IndexScan {
  std::optional<detail::Span> manifests;
  std::vector<detail::Span> elements;
};

Result<IndexScan> scan_index(const JsonText& doc) {
  if (doc.type(doc.root()) != JsonType::object)
    return make_error(ErrorKind::registry, "is not a JSON object");
  auto members = doc.members(doc.root());
  ISIGN_TRY(members);
  if (auto mt = doc.find(*members, "mediaType")) {
    auto value = doc.string_value(*mt);
    if (!value || *value != registry::kOciIndex)
      return make_error(ErrorKind::registry, "is not an OCI image index (its mediaType is " +
                                                 std::string(doc.raw(*mt)) + ")");
  }
  auto version = doc.find(*members, "schemaVersion");
  if (!version || doc.uint_value(*version) != 2u)
    return make_error(ErrorKind::registry, "has no schemaVersion 2");
  IndexScan out;
  out.manifests = doc.find(*members, "manifests");
  if (!out.manifests || doc.type(*out.manifests) != JsonType::array)
    return make_error(ErrorKind::registry, "has no manifests array");
  out.elements = doc.elements(*out.manifests);
  return out;
}

} // namespace

Result<std::vector<IndexEntry>> read_referrers_index(std::string_view index_bytes) {
  auto doc = JsonText::parse(index_bytes);
  if (!doc)
    return index_problem("is not valid JSON: " + doc.error().message());
  auto scan = scan_index(*doc);
  if (!scan)
    return index_problem(scan.error().message());
  std::vector<IndexEntry> out;
  for (std::size_t i = 0; i < scan->elements.size(); ++i) {
    const auto span = scan->elements[i];
    const std::string where = "entry " + std::to_string(i);
    if (doc->type(span) != JsonType::object)
      return index_problem("has an " + where + " that is not an object");
    auto members = doc->members(span);
    if (!members)
      return index_problem(where + ": " + members.error().message());
    IndexEntry entry;
    entry.descriptor.index = i;
    entry.descriptor.format = Format::bundle;
    entry.descriptor.text = std::string(doc->raw(span));
    auto mt = doc->find(*members, "mediaType");
    auto digest = doc->find(*members, "digest");
    auto size = doc->find(*members, "size");
    if (mt)
      entry.descriptor.media_type = doc->string_value(*mt).value_or("");
    if (digest)
      entry.descriptor.digest = doc->string_value(*digest);
    if (size)
      entry.descriptor.size = doc->uint_value(*size);
    if (entry.descriptor.media_type.empty() || !entry.descriptor.digest ||
        !common::validate_sha256_digest(*entry.descriptor.digest) || !entry.descriptor.size)
      return index_problem("has an " + where + " without a mediaType, a sha256 digest and a size");
    if (auto at = doc->find(*members, "artifactType")) {
      auto value = doc->string_value(*at);
      entry.has_artifact_type = value.has_value();
      entry.artifact_type = value.value_or("");
    }
    if (auto a = doc->find(*members, "annotations"); a && doc->type(*a) == JsonType::object)
      if (auto entries = doc->members(*a))
        if (auto p = doc->find(*entries, kAnnotationPredicateType))
          entry.predicate_type = doc->string_value(*p).value_or("");
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::string>
edit_referrers_index(std::string_view index_bytes, std::string_view descriptor,
                     const std::vector<std::pair<std::size_t, std::string>>& replacements) {
  auto doc = JsonText::parse(index_bytes);
  if (!doc)
    return make_error(ErrorKind::registry,
                      "the referrers index is not valid JSON: " + doc.error().message());
  auto scan = scan_index(*doc);
  if (!scan)
    return make_error(ErrorKind::registry, "the referrers index " + scan.error().message());
  std::vector<Edit> edits;
  for (const auto& [position, text] : replacements) {
    if (position >= scan->elements.size())
      return make_error(ErrorKind::internal, "referrers index entry out of range");
    edits.push_back({scan->elements[position].begin, scan->elements[position].end, text});
  }
  const std::size_t close = doc->closing(*scan->manifests);
  if (!descriptor.empty())
    edits.push_back({close, close, (scan->elements.empty() ? "" : ",") + std::string(descriptor)});
  return detail::apply_edits(index_bytes, std::move(edits));
}

Result<std::string> remove_from_referrers_index(std::string_view index_bytes,
                                                const std::vector<std::size_t>& positions) {
  auto doc = JsonText::parse(index_bytes);
  if (!doc)
    return make_error(ErrorKind::registry,
                      "the referrers index is not valid JSON: " + doc.error().message());
  auto scan = scan_index(*doc);
  if (!scan)
    return make_error(ErrorKind::registry, "the referrers index " + scan.error().message());
  const auto& elements = scan->elements;
  if (elements.empty() || positions.empty())
    return std::string(index_bytes);
  // The elements' whole run is rewritten with those kept, each as written.
  std::string kept;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (std::find(positions.begin(), positions.end(), i) != positions.end())
      continue;
    kept += (kept.empty() ? "" : ",") + std::string(doc->raw(elements[i]));
  }
  std::vector<Edit> edits;
  edits.push_back({elements.front().begin, elements.back().end, kept});
  return detail::apply_edits(index_bytes, std::move(edits));
}

} // namespace isign::cosign
