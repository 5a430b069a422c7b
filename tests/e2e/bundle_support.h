// Helpers of the end-to-end tests of cosign v3 bundles (test_bundle_interop.cpp): reading bundle
// referrers with the independent image helpers, writing referrers the way cosign v3 does
// (docs/formats.md sections 11 and 12, written out here by hand), the sigstore-js scripts of
// tests/interop and openssl-made keys. Nothing here calls isign's cosign/ or sign/ code, so a bug
// there cannot hide in both the code and the test.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/encoding.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/images.h"
#include "tests/support/process.h"

namespace isign::testing {

inline constexpr const char* kBundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr const char* kOciEmptyType = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kEmptyConfigDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
inline constexpr const char* kSignPredicate = "https://sigstore.dev/cosign/sign/v1";
inline constexpr const char* kInTotoType = "application/vnd.in-toto+json";

// "sha256-<hex>": the referrers tag of a digest (docs/formats.md section 12), not the legacy .sig
// tag.
inline std::string referrers_tag_of(const std::string& digest) {
  std::string tag = digest;
  tag[tag.find(':')] = '-';
  return tag;
}

// The hex part of "sha256:<hex>".
inline std::string hex_of(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}

// DSSE's pre-authentication encoding (docs/formats.md section 8), written out by hand.
inline std::string pae_of(const std::string& type, const std::string& payload) {
  return "DSSEv1 " + std::to_string(type.size()) + " " + type + " " +
         std::to_string(payload.size()) + " " + payload;
}

// A bundle referrer as the registry holds it: the manifest (exact bytes, parsed keeping key
// order) and its one layer's blob, checked against the layer's descriptor.
struct BundleReferrer {
  std::string digest;
  std::string manifest;
  nlohmann::ordered_json doc;
  nlohmann::ordered_json index_entry; // its descriptor in the referrers index
  std::string bundle;
};

// The referrers index at tag sha256-<hex> (Debian's registry has no referrers API), parsed; 404
// gives an empty index.
inline nlohmann::ordered_json referrers_index_of(const RegistryEndpoint& ep,
                                                 const std::string& repo,
                                                 const std::string& image_digest) {
  auto r = get_manifest(ep, repo, referrers_tag_of(image_digest));
  if (r.status == 404)
    return {
        {"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", nlohmann::json::array()}};
  INFO("GET referrers tag: " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == kOciIndexType);
  auto doc = nlohmann::ordered_json::parse(r.body, nullptr, false);
  REQUIRE(doc.is_object());
  REQUIRE(doc["manifests"].is_array());
  return doc;
}

// The referrer digests the index at the referrers tag lists, in order; empty when there is none.
inline std::vector<std::string> indexed_referrers(const RegistryEndpoint& ep,
                                                  const std::string& repo,
                                                  const std::string& image_digest) {
  const auto index = referrers_index_of(ep, repo, image_digest);
  std::vector<std::string> out;
  for (const auto& d : index["manifests"])
    out.push_back(d.at("digest").get<std::string>());
  return out;
}

// Every referrer listed at the referrers tag, with its bundle blob.
inline std::vector<BundleReferrer> bundle_referrers_of(const RegistryEndpoint& ep,
                                                       const std::string& repo,
                                                       const std::string& image_digest) {
  std::vector<BundleReferrer> out;
  const auto index = referrers_index_of(ep, repo, image_digest);
  for (const auto& entry : index["manifests"]) {
    BundleReferrer b;
    b.digest = entry["digest"];
    b.index_entry = entry;
    auto m = get_manifest(ep, repo, b.digest);
    REQUIRE(m.status == 200);
    b.manifest = m.body;
    CHECK(isign::common::sha256_digest(b.manifest) == b.digest);
    CHECK(entry["size"] == b.manifest.size());
    b.doc = nlohmann::ordered_json::parse(m.body, nullptr, false);
    REQUIRE(b.doc.is_object());
    REQUIRE(b.doc["layers"].size() == 1);
    std::string blob_digest = b.doc["layers"][0]["digest"];
    auto blob = get_blob(ep, repo, blob_digest);
    REQUIRE(blob.status == 200);
    CHECK(isign::common::sha256_digest(blob.body) == blob_digest);
    b.bundle = blob.body;
    out.push_back(std::move(b));
  }
  return out;
}

// The decoded DSSE payload (the statement) and DER signature of a bundle's envelope.
struct DsseParts {
  std::string statement;
  std::string signature;
  std::string payload_type;
};

inline DsseParts dsse_of(const std::string& bundle) {
  auto doc = nlohmann::json::parse(bundle, nullptr, false);
  INFO("bundle: " << bundle);
  REQUIRE(doc.is_object());
  REQUIRE(doc.contains("dsseEnvelope"));
  const auto& env = doc["dsseEnvelope"];
  auto payload = isign::common::base64_decode(env["payload"].get<std::string>());
  REQUIRE(payload);
  REQUIRE(env["signatures"].size() == 1);
  auto sig = isign::common::base64_decode(env["signatures"][0]["sig"].get<std::string>());
  REQUIRE(sig);
  return {*payload, *sig, env["payloadType"]};
}

// Attaches bundle to repo@subject as cosign v3 does on a registry without the referrers API:
// the empty config, the bundle blob, the referrer manifest by digest (cosign's bytes, with
// predicate_type as its annotation, which is not signed), and the referrer appended to the index
// at sha256-<hex>. Returns the referrer's digest.
inline std::string attach_bundle_referrer(const RegistryEndpoint& ep, const std::string& repo,
                                          const std::string& subject_digest,
                                          const std::string& bundle,
                                          const std::string& predicate_type = kSignPredicate) {
  auto image = get_manifest(ep, repo, subject_digest);
  REQUIRE(image.status == 200);
  REQUIRE(push_blob(ep, repo, "{}") == kEmptyConfigDigest);
  std::string bundle_digest = push_blob(ep, repo, bundle);
  nlohmann::ordered_json annotations = {
      {"dev.sigstore.bundle.content", "dsse-envelope"},
      {"dev.sigstore.bundle.predicateType", predicate_type},
      {"org.opencontainers.image.created", "2026-11-30T09:00:00Z"}};
  nlohmann::ordered_json m = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifestType},
      {"config",
       {{"mediaType", kOciEmptyType},
        {"size", 2},
        {"digest", kEmptyConfigDigest},
        {"artifactType", kBundleType}}},
      {"layers",
       {{{"mediaType", kBundleType}, {"size", bundle.size()}, {"digest", bundle_digest}}}},
      {"annotations", annotations},
      {"subject",
       {{"mediaType", image.header("content-type")},
        {"size", image.body.size()},
        {"digest", subject_digest}}},
      {"artifactType", kBundleType}};
  std::string bytes = m.dump();
  std::string digest = isign::common::sha256_digest(bytes);
  push_manifest(ep, repo, digest, bytes, kOciManifestType);
  auto index = referrers_index_of(ep, repo, subject_digest);
  index["manifests"].push_back({{"mediaType", kOciManifestType},
                                {"size", bytes.size()},
                                {"digest", digest},
                                {"annotations", annotations},
                                {"artifactType", kBundleType}});
  push_manifest(ep, repo, referrers_tag_of(subject_digest), index.dump(), kOciIndexType);
  return digest;
}

// Replaces the referrers index at sha256-<hex> by one listing only the given referrers.
inline void list_only(const RegistryEndpoint& ep, const std::string& repo,
                      const std::string& subject_digest,
                      const std::vector<nlohmann::ordered_json>& entries) {
  nlohmann::ordered_json index = {{"schemaVersion", 2},
                                  {"mediaType", kOciIndexType},
                                  {"manifests", nlohmann::ordered_json::array()}};
  for (const auto& e : entries)
    index["manifests"].push_back(e);
  push_manifest(ep, repo, referrers_tag_of(subject_digest), index.dump(), kOciIndexType);
}

// Runs `openssl ARGS...`; REQUIREs exit 0 and returns stdout.
inline std::string openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  INFO("openssl " << args.at(0) << " -> exit " << r.exit_code << "; stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// An unencrypted PKCS#8 EC key made by openssl on curve ("P-256", "P-384", "P-521"):
// dir/NAME.pem and its public key dir/NAME.pub.pem. Returns dir/NAME.
inline std::string openssl_ec_key(const TempDir& dir, const std::string& name,
                                  const std::string& curve) {
  std::string prefix = dir / name;
  openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve, "-out",
           prefix + ".pem"});
  openssl({"pkey", "-in", prefix + ".pem", "-pubout", "-out", prefix + ".pub.pem"});
  return prefix;
}

// `isign import-key-pair --key PEM`, encrypted with kKeyPassword: dir/NAME.key and dir/NAME.pub.
// Returns dir/NAME (usable with sign_image and key_flags).
inline std::string import_key_pair(const TempDir& dir, const std::string& name,
                                   const std::string& pem) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  auto r = isign_cmd("import-key-pair", {"--key", pem, "--output-key-prefix", dir / name}, {}, o);
  REQUIRE(r.exit_code == 0);
  return dir / name;
}

// The sigstore-js scripts (tests/interop/README.md). Their node_modules must be installed: CI
// never skips, so a missing install FAILs with what to run.
inline std::string interop_script(const std::string& name) {
  const std::string dir = std::string(ISIGN_SOURCE_DIR) + "/tests/interop";
  if (!std::filesystem::exists(dir + "/node_modules/@sigstore/verify") ||
      !std::filesystem::exists(dir + "/node_modules/@sigstore/oci"))
    FAIL(dir << "/node_modules is missing: run scripts/install-deps.sh (it runs npm ci --prefix "
                "tests/interop)");
  return dir + "/" + name;
}

// Runs `node tests/interop/SCRIPT ARGS...`; its exit code and stderr are attached to the next
// assertion.
inline RunResult run_interop(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"node", interop_script(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  UNSCOPED_INFO("node " << script << " -> exit " << r.exit_code << "; stdout: " << r.out
                        << "; stderr: " << r.err);
  return r;
}

} // namespace isign::testing
