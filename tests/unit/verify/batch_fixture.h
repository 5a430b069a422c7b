// Helpers of the verify_target, verify_all and report tests: the in-memory registry
// (tests/support/fake_registry.h) with HEAD answered and blob GETs counted, images pushed into it,
// and signatures made with sign::sign_image and attached through the real cosign stores.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/digest.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/resolve.h"
#include "sign/signer.h"
#include "tests/support/fake_registry.h"
#include "tests/unit/testdata.h"
#include "verify/policy.h"

namespace isign::verify::testing {

// FakeClient with HEAD answered from the stored manifests (verify resolves tags, and digests
// whose check failed, with HEAD) and every blob GET counted by digest.
class Registry : public isign::testing::FakeClient {
public:
  int heads = 0;
  std::map<std::string, int> blob_gets;
  // Blobs answered with a limit error, as a registry client refuses a blob larger than asked.
  std::map<std::string, bool> refuse_blob;

  common::Result<registry::Descriptor> head_manifest(const registry::Repository&,
                                                     std::string_view ref) override {
    std::lock_guard lock(mu);
    ++heads;
    auto it = tags.find(std::string(ref));
    if (it == tags.end())
      return common::make_error(common::ErrorKind::not_found, "HEAD: 404 manifest unknown");
    return registry::Descriptor{std::string(registry::kOciManifest),
                                common::sha256_digest(it->second), it->second.size()};
  }
  common::Result<std::string> get_blob(const registry::Repository& repo, std::string_view digest,
                                       std::size_t max_size) override {
    {
      std::lock_guard lock(mu);
      ++blob_gets[std::string(digest)];
      if (refuse_blob.count(std::string(digest)))
        return common::make_error(common::ErrorKind::limit, "the blob is larger than allowed");
    }
    return FakeClient::get_blob(repo, digest, max_size);
  }
  int gets_of(const std::string& digest) {
    std::lock_guard lock(mu);
    auto it = blob_gets.find(digest);
    return it == blob_gets.end() ? 0 : it->second;
  }
};

// An image manifest, stored by digest and, when tag is not empty, by tag. Returns its target.
inline registry::Target push_image(Registry& client, const std::string& name,
                                   const std::string& tag = "") {
  const std::string bytes =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json",)"
      R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
      R"("size":2},"layers":[],"annotations":{"name":")" +
      name + R"("}})";
  registry::Target t;
  t.digest = common::sha256_digest(bytes);
  t.media_type = std::string(registry::kOciManifest);
  t.size = bytes.size();
  std::lock_guard lock(client.mu);
  client.tags[t.digest] = bytes;
  if (!tag.empty())
    client.tags[tag] = bytes;
  return t;
}

// The P-256 key of testdata/keys/openssl (a fixed key: fixed key ids in reports).
inline keys::PrivateKey testdata_key() {
  auto key = keys::import_pem_private_key(unit::testdata_file("keys/openssl/ec-p256-pkcs8.pem"));
  REQUIRE(key);
  return std::move(*key);
}

inline keys::PrivateKey new_key() {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key);
  return std::move(*key);
}

// Signs target (in isign::testing::kRepo) with key in format and attaches the signature through
// the store of both formats, without real waits. Returns the digest of the blob its layer names
// (the payload; for a bundle, the bundle).
inline std::string sign_target(Registry& client, const keys::PrivateKey& key,
                               const registry::Target& target,
                               cosign::Format format = cosign::Format::legacy,
                               const cosign::Annotations& annotations = {}) {
  const cosign::Subject subject{isign::testing::kRepo, target.digest, target.media_type,
                                target.size};
  auto sig = sign::sign_image(key, subject, annotations, format);
  REQUIRE(sig);
  auto store = cosign::make_store(client, cosign::kBothFormats);
  REQUIRE(store);
  const keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;
  options.signer_key = &pub;
  options.sleep = [](std::chrono::milliseconds) {};
  REQUIRE((*store)->attach(subject, *sig, options));
  return common::sha256_digest(format == cosign::Format::bundle ? sig->bundle : sig->payload);
}

// A policy whose default rule asks for a valid signature by one of keys.
inline Policy key_policy(const std::vector<keys::PublicKey>& keys) {
  Policy policy;
  policy.default_rule.scope = "default";
  Requirement req;
  req.keys = keys;
  policy.default_rule.requirements.push_back(std::move(req));
  return policy;
}

// isign::testing::kRepo's image `digest` as a reference.
inline registry::Reference ref_of(const std::string& digest_or_tag) {
  auto ref = registry::Reference::parse(isign::testing::kRepo.str() +
                                        (digest_or_tag.rfind("sha256:", 0) == 0 ? "@" : ":") +
                                        digest_or_tag);
  REQUIRE(ref);
  return *ref;
}

} // namespace isign::verify::testing
