// The cosign-format oracle of every test: the exact bytes cosign writes (docs/formats.md sections 3
// and 4), spelled out by hand rather than taken from isign's code, so that a test comparing
// isign's output with them checks isign against the format and not against itself. Used by the
// unit tests (verify, cosign) and the end-to-end tests alike.
#pragma once

#include <string>
#include <vector>

#include "common/digest.h"

namespace isign::testing {

// The layer annotation holding the base64 signature.
inline constexpr const char* kSigAnnotation = "dev.cosignproject.cosign/signature";

// The signature tag "sha256-<hex>.sig" of a manifest digest "sha256:<hex>".
inline std::string sig_tag_of(const std::string& digest) {
  return "sha256-" + digest.substr(7) + ".sig";
}

// cosign's payload (docs/formats.md section 3): compact, sorted keys, repository-only reference.
// optional_json is the exact JSON of "optional" ("null" or a sorted object).
inline std::string cosign_payload(const std::string& repository, const std::string& digest,
                                  const std::string& optional_json = "null") {
  return R"({"critical":{"identity":{"docker-reference":")" + repository +
         R"("},"image":{"docker-manifest-digest":")" + digest +
         R"("},"type":"cosign container image signature"},"optional":)" + optional_json + "}";
}

// cosign's config blob for these payload digests (docs/formats.md section 4): one zero-time history
// entry per layer.
inline std::string cosign_config(const std::vector<std::string>& diff_ids) {
  std::string history, ids;
  for (const auto& d : diff_ids) {
    history += std::string(history.empty() ? "" : ",") + R"({"created":"0001-01-01T00:00:00Z"})";
    ids += std::string(ids.empty() ? "" : ",") + "\"" + d + "\"";
  }
  return R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[)" + history +
         R"(],"os":"","rootfs":{"type":"layers","diff_ids":[)" + ids + R"(]},"config":{}})";
}

// cosign's layer descriptor: mediaType, size, digest, annotations. annotations_json replaces the
// annotations object when given (for layers a hostile or broken writer makes).
inline std::string cosign_layer(const std::string& payload, const std::string& signature_b64,
                                const std::string& annotations_json = "") {
  return R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
         std::to_string(payload.size()) + R"(,"digest":")" + common::sha256_digest(payload) +
         R"(","annotations":)" +
         (annotations_json.empty()
              ? std::string(R"({")") + kSigAnnotation + R"(":")" + signature_b64 + R"("})"
              : annotations_json) +
         "}";
}

// cosign's manifest over a config blob and already serialised layer descriptors.
inline std::string cosign_manifest(const std::string& config,
                                   const std::vector<std::string>& layers) {
  std::string joined;
  for (const auto& l : layers)
    joined += (joined.empty() ? "" : ",") + l;
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
         std::to_string(config.size()) + R"(,"digest":")" + common::sha256_digest(config) +
         R"("},"layers":[)" + joined + "]}";
}

// The same over a "{}" config, for readers that never fetch the config.
inline std::string cosign_manifest(const std::vector<std::string>& layers) {
  return cosign_manifest("{}", layers);
}

} // namespace isign::testing
