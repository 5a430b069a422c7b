#include "cosign/tree.h"

#include <nlohmann/json.hpp>

#include "cosign/attached.h"
#include "cosign/bundle.h"
#include "cosign/payload.h"
#include "cosign/referrer.h"
#include "cosign/signature_manifest.h"
#include "cosign/signer_match.h"
#include "cosign/store.h"

namespace isign::cosign {

using common::ErrorKind;
using common::Result;
using nlohmann::json;

namespace {

constexpr std::string_view kCreatedAnnotation = "org.opencontainers.image.created";

class Describer {
public:
  Describer(registry::Client& client, const Subject& subject, const std::vector<TreeKey>& keys)
      : client_(client), subject_(subject), keys_(keys) {}

  Result<std::vector<TreeEntry>> run() {
    AttachedQuery query;
    query.unreadable_as_other = true;
    auto attached = list_attached(client_, subject_, query);
    ISIGN_TRY(attached);
    bool any_bundle = false;
    for (const auto& m : attached->manifests) {
      if (m.role == AttachedRole::legacy_tag)
        ISIGN_TRY(legacy(m));
      else if (m.role == AttachedRole::referrer)
        ISIGN_TRY(referrer(m));
      any_bundle = any_bundle || (m.role == AttachedRole::referrer && m.bundle);
    }
    for (auto& e : out_)
      e.seen_by = seen_by(e, any_bundle);
    return std::move(out_);
  }

private:
  // cosign v3 keeps every bundle referrer (it checks no predicateType) and reads the .sig/.att
  // only when it keeps none (docs/formats.md section 12).
  static std::vector<std::string> seen_by(const TreeEntry& e, bool any_bundle) {
    if (e.format == Format::bundle)
      return e.kind ? std::vector<std::string>{"cosign v3", "isign"} : std::vector<std::string>{};
    std::vector<std::string> out;
    if (e.kind == Kind::signature)
      out.push_back("containers/image");
    out.push_back("cosign v2");
    if (!any_bundle)
      out.push_back("cosign v3");
    out.push_back("isign");
    return out;
  }

  Result<void> legacy(const AttachedManifest& m) {
    const Kind kind = *m.kind;
    auto read = read_signature_manifest(m.manifest.bytes, kind);
    ISIGN_TRY_CONTEXT(read, m.where(subject_.repository));
    const std::size_t limit = kind == Kind::signature ? kMaxPayloadSize : kMaxAttestationSize;
    for (const auto& layer : read->layers) {
      TreeEntry e;
      e.format = Format::legacy;
      e.kind = kind;
      e.where = m.where(subject_.repository);
      e.layer = layer.index;
      e.digest = layer.digest.value_or("");
      e.predicate_type = kind == Kind::signature ? "" : layer.predicate_type;
      for (const auto& k : keys_) {
        auto entry =
            detail::legacy_signed_by(client_, subject_.repository, layer, kind, k.key, limit);
        ISIGN_TRY(entry);
        if (!*entry)
          continue;
        e.key_id = keys::public_key_hint(k.key);
        e.key_name = k.name;
        if (kind == Kind::attestation)
          e.predicate_type = (*entry)->predicate_type;
        break;
      }
      if (kind == Kind::signature && layer.is_signature() && layer.digest && layer.size &&
          *layer.size <= kMaxPayloadSize) {
        auto blob = client_.get_blob(subject_.repository, *layer.digest, *layer.size);
        if (!blob && blob.error().kind() != ErrorKind::not_found)
          return std::move(blob).error().context("reading payload " + *layer.digest);
        if (blob)
          if (auto payload = parse_payload(*blob))
            e.annotations = payload->annotations;
      }
      out_.push_back(std::move(e));
    }
    return {};
  }

  Result<void> referrer(const AttachedManifest& m) {
    TreeEntry e;
    e.format = Format::bundle;
    e.kind = m.kind;
    e.where = m.where(subject_.repository);
    e.digest = m.manifest.digest;
    e.predicate_type = m.predicate_type;
    e.artifact_type = m.artifact_type;
    if (auto r = read_referrer(m.manifest.bytes)) {
      e.annotations = r->annotations;
      if (auto c = r->annotations.find(std::string(kCreatedAnnotation)); c != r->annotations.end())
        e.created = c->second;
    }
    if (m.bundle && m.blobs.size() == 2 && m.blobs[1].size <= kMaxAttestationSize) {
      auto blob = client_.get_blob(subject_.repository, m.blobs[1].digest, m.blobs[1].size);
      if (!blob && blob.error().kind() != ErrorKind::not_found)
        return std::move(blob).error().context("reading bundle " + m.blobs[1].digest);
      if (blob) {
        if (auto b = parse_bundle(*blob))
          e.key_id = b->hint;
        for (const auto& k : keys_)
          if (detail::bundle_signed_by(*blob, k.key)) {
            e.key_name = k.name;
            break;
          }
      }
    }
    out_.push_back(std::move(e));
    return {};
  }

  registry::Client& client_;
  const Subject& subject_;
  const std::vector<TreeKey>& keys_;
  std::vector<TreeEntry> out_;
};

json optional_string(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

} // namespace

Result<std::vector<TreeEntry>> describe_attached(registry::Client& client, const Subject& subject,
                                                 const std::vector<TreeKey>& keys) {
  return Describer(client, subject, keys).run();
}

std::string tree_json(const std::vector<ImageTree>& images) {
  json out = {{"schema", 1}, {"images", json::array()}};
  for (const auto& image : images) {
    json entries = json::array();
    for (const auto& e : image.entries) {
      json j;
      j["format"] = std::string(format_name(e.format));
      j["kind"] = e.kind ? json(std::string(kind_name(*e.kind))) : json(nullptr);
      j["where"] = e.where;
      j["layer"] = e.layer ? json(*e.layer) : json(nullptr);
      j["digest"] = e.digest;
      j["keyId"] = optional_string(e.key_id);
      j["key"] = optional_string(e.key_name);
      j["predicateType"] = optional_string(e.predicate_type);
      j["artifactType"] = optional_string(e.artifact_type);
      j["annotations"] = e.annotations;
      j["created"] = optional_string(e.created);
      j["seenBy"] = e.seen_by;
      entries.push_back(std::move(j));
    }
    out["images"].push_back({{"repository", image.subject.repository.str()},
                             {"digest", image.subject.digest},
                             {"role", image.role},
                             {"entries", std::move(entries)}});
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace isign::cosign
