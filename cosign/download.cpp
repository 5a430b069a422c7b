#include "cosign/download.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/json.h"
#include "cosign/attached.h"
#include "cosign/attestation.h"
#include "cosign/bundle.h"
#include "cosign/signature_manifest.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;
using nlohmann::ordered_json;

namespace {

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// cosign's AttestationPayload: the envelope re-marshalled, its signature's keyid always present.
std::string attestation_line(const Envelope& e) {
  ordered_json sig;
  sig["keyid"] = "";
  sig["sig"] = common::base64_encode(e.signature);
  ordered_json j;
  j["payloadType"] = e.payload_type;
  j["payload"] = common::base64_encode(e.payload);
  j["signatures"] = ordered_json::array({sig});
  return dump(j);
}

class Downloader {
public:
  Downloader(registry::Client& client, const Subject& subject, const DownloadQuery& query)
      : client_(client), subject_(subject), query_(query) {}

  Result<std::vector<std::string>> run() {
    AttachedQuery q;
    q.legacy = has(Format::legacy);
    q.bundle = has(Format::bundle);
    q.signatures = query_.kind == Kind::signature;
    q.attestations = query_.kind == Kind::attestation;
    q.other_referrers = false;
    q.unreadable_as_other = true;
    auto attached = list_attached(client_, subject_, q);
    ISIGN_TRY(attached);
    for (const auto& m : attached->manifests)
      if (m.role == AttachedRole::referrer && m.bundle && m.blobs.size() == 2)
        ISIGN_TRY(bundle(m));
    for (const auto& m : attached->manifests)
      if (m.role == AttachedRole::legacy_tag)
        ISIGN_TRY(legacy(m));
    if (lines_.empty()) {
      const std::string name = subject_.repository.str() + "@" + subject_.digest;
      if (query_.kind == Kind::signature)
        return make_error(ErrorKind::no_signature, "no signatures associated with " + name);
      return make_error(ErrorKind::no_signature, query_.predicate_type.empty()
                                                     ? "no attestations associated with " + name
                                                     : "no attestations with predicate type '" +
                                                           query_.predicate_type + "' found for " +
                                                           name);
    }
    return std::move(lines_);
  }

private:
  bool has(Format f) const {
    return std::find(query_.formats.begin(), query_.formats.end(), f) != query_.formats.end();
  }

  bool type_matches(std::string_view statement) const {
    if (query_.predicate_type.empty())
      return true;
    auto s = parse_statement(statement);
    return s && s->predicate_type == query_.predicate_type;
  }

  Result<std::string> blob(const std::string& digest, std::size_t size) {
    auto b = client_.get_blob(subject_.repository, digest, std::min(size, kMaxAttestationSize));
    ISIGN_TRY_CONTEXT(b, "reading " + digest);
    return b;
  }

  Result<void> bundle(const AttachedManifest& m) {
    auto bytes = blob(m.blobs[1].digest, m.blobs[1].size);
    ISIGN_TRY(bytes);
    if (query_.kind == Kind::attestation) {
      auto b = parse_bundle(*bytes);
      if (!b || !b->envelope || !type_matches(b->envelope->payload))
        return {};
      lines_.push_back(attestation_line(*b->envelope));
      return {};
    }
    auto doc = common::parse_strict_json(*bytes);
    if (!doc)
      return {}; // not a bundle verifiers could read either
    lines_.push_back(doc->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return {};
  }

  Result<void> legacy(const AttachedManifest& m) {
    auto read = read_signature_manifest(m.manifest.bytes, *m.kind);
    ISIGN_TRY_CONTEXT(read, m.where(subject_.repository));
    for (const auto& layer : read->layers) {
      if (!layer.is_signature() || !layer.digest || !layer.size)
        continue;
      auto bytes = blob(*layer.digest, *layer.size);
      ISIGN_TRY(bytes);
      if (query_.kind == Kind::attestation) {
        auto e = parse_envelope_document(*bytes);
        if (!e || !type_matches(e->payload))
          continue;
        lines_.push_back(attestation_line(*e));
        continue;
      }
      ordered_json j;
      j["Base64Signature"] = layer.signature.value_or("");
      j["Payload"] = common::base64_encode(*bytes);
      j["Cert"] = nullptr;
      j["Chain"] = nullptr;
      j["Bundle"] = nullptr;
      j["RFC3161Timestamp"] = nullptr;
      lines_.push_back(dump(j));
    }
    return {};
  }

  registry::Client& client_;
  const Subject& subject_;
  const DownloadQuery& query_;
  std::vector<std::string> lines_;
};

} // namespace

Result<std::vector<std::string>> download_lines(registry::Client& client, const Subject& subject,
                                                const DownloadQuery& query) {
  return Downloader(client, subject, query).run();
}

} // namespace isign::cosign
