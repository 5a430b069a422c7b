// Helpers of the sign/verify end-to-end tests (tests/e2e/test_sign_verify_*.cpp). The expected
// artifact bytes are written out here by hand from FORMATS.md sections 3 and 4, never computed
// with isign's own sign/ code, so a bug there cannot hide in both the code and the test. Keys
// and signatures made by the test itself use the keys library (the same ECDSA any signer uses).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/secret.h"
#include "keys/keys.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

namespace isign::testing::sv {

// The documented exit codes (README.md, "Exit codes"), spelled out so a renumbering fails here.
inline constexpr int kOk = 0, kInvalid = 1, kUsage = 2, kWrongPassword = 5, kNetwork = 6,
                     kRegistryError = 7, kNotFound = 8, kNoSignature = 10;

inline constexpr const char* kPassword = "sv-e2e-password";
inline constexpr const char* kSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr const char* kSigAnnotation = "dev.cosignproject.cosign/signature";

// An encrypted key pair on disk: PREFIX.key (kPassword, the legacy scrypt N so tests stay fast)
// and PREFIX.pub.
struct KeyPair {
  std::string prefix;
  std::string key() const { return prefix + ".key"; }
  std::string pub() const { return prefix + ".pub"; }
};

inline KeyPair make_key_pair(const TempDir& dir, const std::string& name) {
  auto key = isign::keys::generate_ecdsa_p256();
  REQUIRE(key);
  auto file = isign::keys::encrypt_private_key(*key, isign::common::SecretString(kPassword),
                                               isign::keys::KeyFileFormat::legacy);
  REQUIRE(file);
  KeyPair kp{dir / name};
  write_text(kp.key(), *file);
  write_text(kp.pub(), key->public_key_pem());
  return kp;
}

// base64 of the key's ECDSA signature over exactly bytes (what a correct signer would write).
inline std::string sign_bytes(const KeyPair& kp, const std::string& bytes) {
  auto key = isign::keys::decrypt_private_key(read_text(kp.key()),
                                              isign::common::SecretString(kPassword));
  REQUIRE(key);
  auto sig = key->sign(bytes);
  REQUIRE(sig);
  return isign::common::base64_encode(*sig);
}

// True when signature_b64 is a valid signature of bytes under the PEM public key file.
inline bool signature_verifies(const std::string& pub_path, const std::string& bytes,
                               const std::string& signature_b64) {
  auto pub = isign::keys::PublicKey::from_pem(read_text(pub_path));
  REQUIRE(pub);
  auto raw = isign::common::base64_decode(signature_b64);
  return raw && pub->verify(bytes, *raw);
}

// `isign sign FLAGS --key K.key ARGS...` with COSIGN_PASSWORD set.
inline RunResult sign(const std::vector<std::string>& flags, const KeyPair& kp,
                      const std::vector<std::string>& args,
                      const std::string& password = kPassword) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", password}};
  return isign_cmd("sign", with(flags, {"--key", kp.key()}), args, o);
}

// `isign verify FLAGS --key K.pub ARGS...`
inline RunResult verify(const std::vector<std::string>& flags, const KeyPair& kp,
                        const std::vector<std::string>& args) {
  return isign_cmd("verify", with(flags, {"--key", kp.pub()}), args);
}

inline std::string sig_tag(const std::string& digest) {
  return "sha256-" + digest.substr(7) + ".sig";
}

// cosign's payload (FORMATS.md section 3): compact, sorted keys, repository-only reference.
// optional_json is the exact JSON of "optional" ("null" or a sorted object).
inline std::string cosign_payload(const std::string& repository, const std::string& digest,
                                  const std::string& optional_json = "null") {
  return R"({"critical":{"identity":{"docker-reference":")" + repository +
         R"("},"image":{"docker-manifest-digest":")" + digest +
         R"("},"type":"cosign container image signature"},"optional":)" + optional_json + "}";
}

// cosign's config blob for these payload digests (FORMATS.md section 4): one zero-time history
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

// cosign's layer descriptor: mediaType, size, digest, annotations.
inline std::string cosign_layer(const std::string& payload, const std::string& signature_b64) {
  return R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
         std::to_string(payload.size()) + R"(,"digest":")" +
         isign::common::sha256_digest(payload) +
         R"(","annotations":{"dev.cosignproject.cosign/signature":")" + signature_b64 + R"("}})";
}

// cosign's manifest over a config blob and already serialised layer descriptors.
inline std::string cosign_manifest(const std::string& config, const std::vector<std::string>& layers) {
  std::string joined;
  for (const auto& l : layers) joined += (joined.empty() ? "" : ",") + l;
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
         std::to_string(config.size()) + R"(,"digest":")" + isign::common::sha256_digest(config) +
         R"("},"layers":[)" + joined + "]}";
}

// A .sig artifact as the registry holds it, read with the independent image helpers; every blob
// is checked against its descriptor.
struct Artifact {
  long status = 0;       // of the manifest GET (404: no artifact)
  std::string manifest;  // exact bytes
  std::string content_type;
  std::string config;    // exact bytes of the config blob
  std::vector<std::string> payloads;   // layer blobs, in manifest order
  std::vector<std::string> signatures; // their signature annotations ("" when absent)
};

inline Artifact fetch_artifact(const RegistryEndpoint& ep, const std::string& repo,
                               const std::string& image_digest) {
  Artifact a;
  auto m = get_manifest(ep, repo, sig_tag(image_digest));
  a.status = m.status;
  if (m.status != 200) return a;
  a.manifest = m.body;
  a.content_type = m.header("content-type");
  auto doc = nlohmann::json::parse(m.body, nullptr, false);
  REQUIRE(doc.is_object());
  std::string config_digest = doc["config"]["digest"];
  auto config = get_blob(ep, repo, config_digest);
  REQUIRE(config.status == 200);
  CHECK(isign::common::sha256_digest(config.body) == config_digest);
  CHECK(config.body.size() == doc["config"]["size"].get<std::size_t>());
  a.config = config.body;
  for (const auto& layer : doc["layers"]) {
    std::string digest = layer["digest"];
    auto blob = get_blob(ep, repo, digest);
    REQUIRE(blob.status == 200);
    CHECK(isign::common::sha256_digest(blob.body) == digest);
    a.payloads.push_back(blob.body);
    std::string sig;
    if (layer.contains("annotations") && layer["annotations"].contains(kSigAnnotation))
      sig = layer["annotations"][kSigAnnotation];
    a.signatures.push_back(sig);
  }
  return a;
}

// Tags of repo that end in ".sig".
inline std::vector<std::string> sig_tags(const RegistryEndpoint& ep, const std::string& repo) {
  std::vector<std::string> out;
  for (auto& t : list_tags(ep, repo))
    if (t.size() > 4 && t.compare(t.size() - 4, 4, ".sig") == 0) out.push_back(t);
  return out;
}

// Number of occurrences of needle in haystack.
inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

} // namespace isign::testing::sv
