// Helpers for the verify unit tests of thresholds, identity rules and policies: signed payloads,
// cosign-style .sig manifests and an in-memory blob store.
#pragma once

#include <catch2/catch.hpp>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "keys/keys.h"
#include "verify/verifier.h"

namespace isign::verify::testing {

inline std::string payload_for(const std::string& reference, const std::string& digest,
                               const std::string& optional = "null") {
  return R"({"critical":{"identity":{"docker-reference":")" + reference +
         R"("},"image":{"docker-manifest-digest":")" + digest +
         R"("},"type":"cosign container image signature"},"optional":)" + optional + "}";
}

struct Signer {
  keys::PrivateKey key;
  keys::PublicKey pub;

  std::string sign_b64(const std::string& payload) const {
    auto der = key.sign(payload);
    REQUIRE(der);
    return common::base64_encode(*der);
  }
};

inline Signer new_signer() {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key);
  auto pub = key->public_key();
  return Signer{std::move(*key), std::move(pub)};
}

// A cosign-style layer descriptor; annotations_json replaces the annotations object when given.
inline std::string layer(const std::string& payload, const std::string& signature_b64,
                         const std::string& annotations_json = "") {
  return R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
         std::to_string(payload.size()) + R"(,"digest":")" + common::sha256_digest(payload) +
         R"(","annotations":)" +
         (annotations_json.empty()
              ? R"({"dev.cosignproject.cosign/signature":")" + signature_b64 + R"("})"
              : annotations_json) +
         "}";
}

inline std::string manifest(const std::vector<std::string>& layers) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,)"
      R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[)";
  for (std::size_t i = 0; i < layers.size(); ++i)
    out += (i ? "," : "") + layers[i];
  return out + "]}";
}

// Blobs by digest, counting fetches; a digest may be made to fail with a given error, and a blob
// larger than the fetch's max_size is a limit error.
struct Blobs {
  std::map<std::string, std::string> blobs;
  std::map<std::string, common::Error> errors;
  int fetches = 0;

  Blobs() = default;
  // A store holding each of contents: Blobs blobs{payload};
  explicit Blobs(std::initializer_list<std::string> contents) {
    for (const auto& c : contents)
      add(c);
  }
  void add(const std::string& bytes) { blobs[common::sha256_digest(bytes)] = bytes; }
  BlobFetcher fetcher() {
    return [this](std::string_view digest, std::size_t max_size) -> common::Result<std::string> {
      ++fetches;
      if (auto e = errors.find(std::string(digest)); e != errors.end())
        return e->second;
      auto it = blobs.find(std::string(digest));
      if (it == blobs.end())
        return common::make_error(common::ErrorKind::not_found, "blob unknown");
      if (it->second.size() > max_size)
        return common::make_error(common::ErrorKind::limit, "too big");
      return it->second;
    };
  }
};

inline registry::Reference image_ref(const std::string& text) {
  auto r = registry::Reference::parse(text);
  REQUIRE(r);
  return *r;
}

} // namespace isign::verify::testing
