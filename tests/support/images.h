// Pushing and reading test images with libcurl directly: an implementation independent of isign's
// registry client, so a bug there cannot hide in both the code under test and the test's setup.
// Handles TLS (the fixture's CA), Basic and bearer-token challenges, so it works with every
// RegistryFixture variant. Failures FAIL the current Catch test with method, path and status.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/registry_fixture.h"

namespace isign::testing {

inline constexpr const char* kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfigType = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfigType = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerType = "application/vnd.docker.image.rootfs.diff.tar.gzip";

struct HttpResult {
  long status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers; // names lowercased
  // First value of a header (lowercase name), or "".
  std::string header(const std::string& name) const;
};

// One connection to one registry (not thread-safe; make one per thread). Tokens are cached per
// scope for the object's lifetime.
class RegistryApi {
public:
  explicit RegistryApi(RegistryEndpoint endpoint);
  ~RegistryApi();
  RegistryApi(const RegistryApi&) = delete;
  RegistryApi& operator=(const RegistryApi&) = delete;

  // One request to path_or_url ("/v2/..." or absolute), answering auth challenges. Never FAILs:
  // status 0 and the curl error in body when no HTTP answer came.
  HttpResult request(const std::string& method, const std::string& path_or_url,
                     const std::string& body = "", const std::vector<std::string>& headers = {});

  // Uploads bytes (POST then PUT ?digest=), skipping it if present; returns "sha256:<hex>".
  std::string push_blob(const std::string& repo, const std::string& bytes);
  // PUT with Content-Type media_type; returns the digest of bytes (checked against the
  // registry's Docker-Content-Digest).
  std::string push_manifest(const std::string& repo, const std::string& tag_or_digest,
                            const std::string& bytes, const std::string& media_type);
  // GET/HEAD with Accept for OCI and Docker manifests and indexes.
  HttpResult get_manifest(const std::string& repo, const std::string& tag_or_digest);
  HttpResult head_manifest(const std::string& repo, const std::string& tag_or_digest);
  HttpResult get_blob(const std::string& repo, const std::string& digest);
  // DELETE a manifest by digest; returns the HTTP status (202 when deleted).
  long delete_manifest(const std::string& repo, const std::string& digest);
  // All tags, following Link pagination; page_size 0 lets the registry choose.
  std::vector<std::string> tags(const std::string& repo, std::size_t page_size = 0);

  std::size_t request_count() const { return requests_; }

private:
  HttpResult perform(const std::string& method, const std::string& url, const std::string& body,
                     const std::vector<std::string>& headers, const std::string& authorization);
  std::string authorization_for(const std::string& challenge, std::string* error);

  struct Handle;
  RegistryEndpoint endpoint_;
  std::unique_ptr<Handle> handle_;
  std::map<std::string, std::string> tokens_; // scope -> bearer token
  std::string last_authorization_;
  std::size_t requests_ = 0;
};

struct ImageSpec {
  std::size_t layer_size = 1024;                    // random bytes, unless layer is set
  std::string layer{};                              // exact layer blob
  bool docker_media_types = false;                  // Docker schema2 manifest instead of OCI
  std::map<std::string, std::string> annotations{}; // manifest annotations (OCI only)
};

struct PushedImage {
  std::string digest;   // manifest digest
  std::string manifest; // exact manifest bytes
  std::string media_type;
  std::string config_digest;
  std::string layer_digest;
};

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant{}; // e.g. "v8"; omitted when empty
};

struct IndexChild {
  std::string digest{}; // of a manifest already in the repository
  Platform platform{};
};

// Free-function forms of the above for one-off calls (a RegistryFixture converts to an endpoint).
std::string push_blob(const RegistryEndpoint& ep, const std::string& repo,
                      const std::string& bytes);
std::string push_manifest(const RegistryEndpoint& ep, const std::string& repo,
                          const std::string& tag_or_digest, const std::string& bytes,
                          const std::string& media_type);
// A one-layer image (config + random layer of layer_size bytes); returns the manifest digest.
std::string push_random_image(const RegistryEndpoint& ep, const std::string& repo,
                              const std::string& tag, std::size_t layer_size = 1024);
PushedImage push_image(const RegistryEndpoint& ep, const std::string& repo, const std::string& tag,
                       const ImageSpec& spec = {});
// An OCI index over children (their size and media type are read back from the registry);
// returns the index digest. tag may be empty (pushed by digest).
std::string push_index(const RegistryEndpoint& ep, const std::string& repo, const std::string& tag,
                       const std::vector<IndexChild>& children);
HttpResult get_manifest(const RegistryEndpoint& ep, const std::string& repo,
                        const std::string& tag_or_digest);
HttpResult get_blob(const RegistryEndpoint& ep, const std::string& repo, const std::string& digest);
long delete_manifest(const RegistryEndpoint& ep, const std::string& repo,
                     const std::string& digest);
std::vector<std::string> list_tags(const RegistryEndpoint& ep, const std::string& repo);

// n random bytes.
std::string random_bytes(std::size_t n);

} // namespace isign::testing
