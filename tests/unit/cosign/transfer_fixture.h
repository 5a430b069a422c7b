// What the copy tests share: two in-memory registries (source and destination), real image
// manifests and indexes in them (whose digests are their bytes'), and a signer that attaches one
// entry of each kind in each format, as sign and attest do.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/payload.h"
#include "cosign/store.h"
#include "cosign/transfer.h"
#include "tests/unit/cosign/store_fixture.h"

namespace isign::testing {

inline constexpr std::string_view kSlsaType = "https://slsa.dev/provenance/v1";

// An image manifest (a config and one layer of its own) stored with its blobs: its subject.
inline cosign::Subject put_image(FakeClient& c, const std::string& seed) {
  const std::string config = R"({"architecture":"amd64","os":"linux","seed":")" + seed + "\"}";
  const std::string layer = "layer of " + seed;
  c.blobs[common::sha256_digest(config)] = config;
  c.blobs[common::sha256_digest(layer)] = layer;
  const std::string m =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
      std::to_string(config.size()) + R"(,"digest":")" + common::sha256_digest(config) +
      R"("},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":)" +
      std::to_string(layer.size()) + R"(,"digest":")" + common::sha256_digest(layer) + R"("}]})";
  c.tags[common::sha256_digest(m)] = m;
  return {kRepo, common::sha256_digest(m), std::string(registry::kOciManifest), m.size()};
}

// An index of children (each linux/<arch> in order) stored by its digest.
inline cosign::Subject put_index(FakeClient& c, const std::vector<cosign::Subject>& children,
                                 const std::vector<std::string>& archs) {
  std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                  R"("manifests":[)";
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (i)
      m += ",";
    m += R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
         std::to_string(children[i].size) + R"(,"digest":")" + children[i].digest +
         R"(","platform":{"architecture":")" + archs[i] + R"(","os":"linux"}})";
  }
  m += "]}";
  c.tags[common::sha256_digest(m)] = m;
  return {kRepo, common::sha256_digest(m), std::string(registry::kOciIndex), m.size()};
}

// Attaches entries as sign and attest do, to one registry.
struct Signer {
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;

  Signer() {
    options.sleep = [](std::chrono::milliseconds) {};
  }

  void attach(FakeClient& c, const cosign::Subject& s, const cosign::NewSignature& sig) {
    auto store = cosign::make_format_store(c, sig.format, sig.kind);
    REQUIRE(store->attach(s, sig, options));
  }

  cosign::NewSignature legacy_signature(const cosign::Subject& s, const std::string& who) {
    auto payload = cosign::make_payload(kRepo.str(), s.digest, {{"signer", who}});
    REQUIRE(payload);
    cosign::NewSignature sig;
    sig.payload = *payload;
    sig.signature = common::base64_encode("signature of " + who);
    return sig;
  }

  // One entry of each kind in each format.
  void sign_everything(FakeClient& c, const cosign::Subject& s) {
    attach(c, s, legacy_signature(s, "source"));
    cosign::NewSignature att;
    att.kind = cosign::Kind::attestation;
    att.predicate_type = std::string(kSlsaType);
    att.payload =
        R"({"payload":"","payloadType":"application/vnd.in-toto+json","s":")" + s.digest + "\"}";
    attach(c, s, att);
    auto statement = cosign::make_sign_statement(kRepo.str(), s.digest, {});
    REQUIRE(statement);
    attach(c, s, bundle_signature(key, pub, *statement));
    const std::string slsa =
        R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + kRepo.str() +
        R"(","digest":{"sha256":")" + s.digest.substr(7) + R"("}}],"predicateType":")" +
        std::string(kSlsaType) + R"(","predicate":{}})";
    auto b = bundle_signature(key, pub, slsa, cosign::Kind::attestation);
    b.predicate_type = std::string(kSlsaType);
    attach(c, s, b);
  }
};

inline cosign::TransferOptions quiet_transfer() {
  cosign::TransferOptions o;
  o.attach.sleep = [](std::chrono::milliseconds) {};
  o.attach.unknown_outcome_window = std::chrono::milliseconds(0);
  return o;
}

inline std::string sig_tag(const cosign::Subject& s, std::string_view suffix = ".sig") {
  return "sha256-" + s.digest.substr(7) + std::string(suffix);
}

} // namespace isign::testing
