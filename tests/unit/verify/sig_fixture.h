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
#include "cosign/signature_manifest.h"
#include "keys/keys.h"
#include "tests/support/cosign_oracle.h"
#include "verify/verifier.h"

namespace isign::verify::testing {

// The cosign-format oracle (tests/support/cosign_oracle.h) under the names these tests use.
inline std::string payload_for(const std::string& reference, const std::string& digest,
                               const std::string& optional = "null") {
  return isign::testing::cosign_payload(reference, digest, optional);
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

inline std::string layer(const std::string& payload, const std::string& signature_b64,
                         const std::string& annotations_json = "") {
  return isign::testing::cosign_layer(payload, signature_b64, annotations_json);
}

inline std::string manifest(const std::vector<std::string>& layers) {
  return isign::testing::cosign_manifest(layers);
}

// The layers of a signature manifest as the tag store reads them, then verified: the manifest's
// own errors come from cosign::read_signature_layers, as they do for a stored artifact.
template <class Named>
common::Result<Report> verify_manifest(const std::string& sig_manifest, const BlobFetcher& fetch,
                                       std::string_view image_digest, const Named& named,
                                       const std::vector<keys::PublicKey>& keys,
                                       const VerifyOptions& options = {}) {
  auto layers = cosign::read_signature_layers(sig_manifest);
  if (!layers)
    return std::move(layers).error();
  return verify_signatures(*layers, fetch, image_digest, named, keys, options);
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
