// An image signed and attested by several keys in both formats over the in-memory registry, each
// entry verifiable (what revoke, clean and tree read): a .sig layer, an .att layer, a signature
// bundle and an attestation bundle per signer.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/bundle.h"
#include "cosign/payload.h"
#include "cosign/signature_manifest.h"
#include "cosign/store.h"
#include "tests/unit/cosign/store_fixture.h"

namespace isign::testing {

inline constexpr std::string_view kSlsaType = "https://slsa.dev/provenance/v1";

inline std::string scene_statement(std::string_view predicate_type, std::string_view note = "") {
  return R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":")" + kRepo.str() +
         R"(","digest":{"sha256":")" + std::string(64, 'a') + R"("}}],"predicateType":")" +
         std::string(predicate_type) + R"(","predicate":{"note":")" + std::string(note) + R"("}})";
}

struct SignedScene {
  FakeClient client;
  cosign::AttachOptions options;
  cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

  SignedScene() {
    options.sleep = [](std::chrono::milliseconds) {};
    options.max_payload_size = cosign::kMaxAttestationSize;
  }

  void attach(cosign::Format format, cosign::Kind kind, const cosign::NewSignature& sig) {
    auto store = cosign::make_format_store(client, format, kind);
    auto r = store->attach(subject, sig, options);
    REQUIRE(r);
  }

  // key's .sig layer (annotated with note), .att layer, signature bundle and attestation bundle.
  void sign_all(const keys::PrivateKey& key, const std::string& note) {
    const auto pub = key.public_key();
    auto payload = cosign::make_payload(kRepo.str(), kImage, {{"note", note}});
    REQUIRE(payload);
    auto der = key.sign(*payload);
    REQUIRE(der);
    cosign::NewSignature legacy_sig;
    legacy_sig.payload = *payload;
    legacy_sig.signature = common::base64_encode(*der);
    attach(cosign::Format::legacy, cosign::Kind::signature, legacy_sig);

    const std::string att_statement = scene_statement(kSlsaType, note);
    cosign::NewSignature legacy_att;
    legacy_att.kind = cosign::Kind::attestation;
    legacy_att.predicate_type = std::string(kSlsaType);
    legacy_att.payload = cosign::make_envelope(cosign::kInTotoPayloadType, att_statement,
                                               dsse_der(key, att_statement));
    attach(cosign::Format::legacy, cosign::Kind::attestation, legacy_att);

    auto sign_statement = cosign::make_sign_statement(kRepo.str(), kImage, {{"note", note}});
    REQUIRE(sign_statement);
    attach(cosign::Format::bundle, cosign::Kind::signature,
           bundle_signature(key, pub, *sign_statement));
    auto att = bundle_signature(key, pub, att_statement, cosign::Kind::attestation);
    att.predicate_type = std::string(kSlsaType);
    attach(cosign::Format::bundle, cosign::Kind::attestation, att);
  }

  std::string tag(std::string_view suffix) const {
    return "sha256-" + std::string(64, 'a') + std::string(suffix);
  }

  // The layer descriptors (exact text) of the manifest at tag.
  std::vector<std::string> layer_texts(std::string_view suffix, cosign::Kind kind) {
    std::vector<std::string> out;
    auto it = client.tags.find(tag(suffix));
    if (it == client.tags.end())
      return out;
    auto read = cosign::read_signature_manifest(it->second, kind);
    REQUIRE(read);
    for (const auto& l : read->layers)
      out.push_back(l.text);
    return out;
  }
};

} // namespace isign::testing
