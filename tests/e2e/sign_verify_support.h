// Helpers of the sign and verify end-to-end tests (test_sign_verify*.cpp, test_policy.cpp,
// test_verify_causes.cpp). The expected artifact bytes are written out here by hand from
// docs/formats.md sections 3 and 4, never computed with isign's own sign/ code, so a bug there
// cannot hide in both the code and the test. Key pairs are made by the binary; signatures the test
// makes itself use the keys library (the same ECDSA any signer uses).
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "common/secret.h"
#include "keys/keys.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/cosign_oracle.h"
#include "tests/support/images.h"
#include "tests/support/pem.h"

namespace isign::testing {

// The documented exit codes (README.md, "Exit codes"), spelled out so a renumbering fails here.
namespace exit_codes {
inline constexpr int kOk = 0, kInvalid = 1, kUsage = 2, kWrongPassword = 5, kNetwork = 6,
                     kRegistryError = 7, kNotFound = 8, kThrottled = 9, kNoSignature = 10,
                     kLimit = 11;
} // namespace exit_codes

inline constexpr const char* kKeyPassword = "e2e-password";

// A key pair made by the binary in dir, protected by kKeyPassword; returns the prefix
// (dir/NAME.key, dir/NAME.pub).
inline std::string new_key_pair(const TempDir& dir, const std::string& name) {
  return generate_key_pair(dir, name, kKeyPassword);
}

// isign sign CLIENT-FLAGS --key KEY.key ARGS... against reg as a user runs it: COSIGN_PASSWORD
// and env set, nothing else, so the default format (both) applies unless ARGS or env
// (ISIGN_SIGNATURE_FORMAT) choose.
inline RunResult sign_default(const RegistryFixture& reg, const std::string& key,
                              const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env = {},
                              const std::string& password = kKeyPassword) {
  RunOptions o;
  o.env = env;
  o.env["COSIGN_PASSWORD"] = password;
  return isign_cmd("sign", with(reg.client_flags(), {"--key", key + ".key"}), args, o);
}

// isign sign CLIENT-FLAGS --key KEY.key ARGS... against reg, with COSIGN_PASSWORD set. The
// suites using it check the .sig byte for byte, so sign writes the legacy format unless ARGS
// say otherwise (--format); test_formats.cpp covers the default, both formats (sign_default).
inline RunResult sign_image(const RegistryFixture& reg, const std::string& key,
                            const std::vector<std::string>& args,
                            const std::string& password = kKeyPassword) {
  return sign_default(reg, key, args, {{"ISIGN_SIGNATURE_FORMAT", "legacy"}}, password);
}

// isign sign --allow-http-registry --key KEY.key EXTRA... REF with COSIGN_PASSWORD set, in the
// default format unless EXTRA chooses: signing through a fault proxy, or at an address without
// credentials (a registry that is down).
inline RunResult sign_via_http(const std::string& ref, const std::string& key,
                               const std::vector<std::string>& extra = {}) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  return isign_cmd("sign", with({"--allow-http-registry", "--key", key + ".key"}, extra), {ref}, o);
}

// isign verify FLAGS... ARGS...
inline RunResult verify_image(const std::vector<std::string>& flags,
                              const std::vector<std::string>& args, RunOptions o = {}) {
  return isign_cmd("verify", flags, args, std::move(o));
}

// --key PREFIX.pub for each prefix.
inline std::vector<std::string> key_flags(const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) {
    out.push_back("--key");
    out.push_back(p + ".pub");
  }
  return out;
}

// isign verify --allow-http-registry --key KEY.pub EXTRA... REF: sign_via_http's counterpart.
inline RunResult verify_via_http(const std::string& ref, const std::string& key,
                                 const std::vector<std::string>& extra = {}) {
  return isign_cmd("verify", with(with({"--allow-http-registry"}, key_flags({key})), extra), {ref});
}

// isign verify CLIENT-FLAGS --key KEY.pub ARGS... against reg.
inline RunResult verify_with_key(const RegistryFixture& reg, const std::string& key,
                                 const std::vector<std::string>& args) {
  return verify_image(with(reg.client_flags(), key_flags({key})), args);
}

// What most sign/verify tests start from: a registry holding REPO:TAG (random content, app:v1
// unless told) and a key pair "k" in a temp dir. Nothing is signed yet. Take its parts with
//   SignScene scene;
//   auto& [reg, dir, key, digest, ref] = scene;
struct SignScene {
  RegistryFixture reg;
  TempDir dir;
  std::string key;    // the prefix of dir/k.key and dir/k.pub
  std::string digest; // of the image
  std::string ref;    // REGISTRY/REPO@digest

  explicit SignScene(RegistryOptions options = {}, const std::string& repo = "app",
                     const std::string& tag = "v1")
      : reg(std::move(options)), key(new_key_pair(dir, "k")),
        digest(push_random_image(reg, repo, tag)), ref(reg.ref(repo + "@" + digest)) {}
};

// The --output json report document on stdout.
inline nlohmann::json report_of(const RunResult& r) {
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  INFO("stdout: " << r.out);
  REQUIRE_FALSE(doc.is_discarded());
  REQUIRE(doc.is_object());
  return doc;
}

// The key id verify reports for PREFIX.pub: sha256 of the DER SubjectPublicKeyInfo.
inline std::string key_id_of(const std::string& prefix) {
  return isign::common::sha256_digest(pem_body(read_text(prefix + ".pub")));
}

// The .sig manifest of repo@digest, parsed; it must exist.
inline nlohmann::json sig_manifest_of(const RegistryEndpoint& ep, const std::string& repo,
                                      const std::string& digest) {
  auto m = get_manifest(ep, repo, sig_tag_of(digest));
  REQUIRE(m.status == 200);
  return nlohmann::json::parse(m.body);
}

// The number of layers of the .sig manifest of repo@digest; 0 when there is none.
inline std::size_t sig_layer_count(const RegistryEndpoint& ep, const std::string& repo,
                                   const std::string& digest) {
  auto m = get_manifest(ep, repo, sig_tag_of(digest));
  if (m.status == 404)
    return 0;
  REQUIRE(m.status == 200);
  auto doc = nlohmann::json::parse(m.body, nullptr, false);
  REQUIRE(doc.is_object());
  return doc["layers"].size();
}

// base64 of the ECDSA signature of PREFIX.key over exactly bytes (what a correct signer would
// write).
inline std::string sign_bytes(const std::string& key, const std::string& bytes) {
  auto priv = isign::keys::decrypt_private_key(read_text(key + ".key"),
                                               isign::common::SecretString(kKeyPassword));
  REQUIRE(priv);
  auto sig = priv->sign(bytes);
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

// A .sig artifact as the registry holds it, read with the independent image helpers; every blob
// is checked against its descriptor.
struct Artifact {
  long status = 0;      // of the manifest GET (404: no artifact)
  std::string manifest; // exact bytes
  std::string content_type;
  std::string config;                  // exact bytes of the config blob
  std::vector<std::string> payloads;   // layer blobs, in manifest order
  std::vector<std::string> signatures; // their signature annotations ("" when absent)
};

inline Artifact fetch_artifact(const RegistryEndpoint& ep, const std::string& repo,
                               const std::string& image_digest) {
  Artifact a;
  auto m = get_manifest(ep, repo, sig_tag_of(image_digest));
  a.status = m.status;
  if (m.status != 200)
    return a;
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

// Number of occurrences of needle in haystack.
inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace isign::testing
