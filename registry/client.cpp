// Client::create: the registry client (registry_client.h) behind the wrapper that masks every
// secret sent (secret_mask.h) in every error leaving it.
#include "registry/client.h"

#include <memory>

#include "registry/registry_client.h"
#include "registry/secret_mask.h"

namespace isign::registry {

using common::Result;
using detail::RegistryClient;
using detail::SecretMask;

namespace {

// The client as callers see it: every error leaves with the secrets sent masked.
class ScrubbingClient final : public Client {
public:
  ScrubbingClient(ClientOptions options, std::unique_ptr<Transport> transport)
      : secrets_(std::make_shared<SecretMask>()),
        inner_(std::move(options), std::move(transport), secrets_) {}

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    return scrub(inner_.head_manifest(repo, ref));
  }
  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    return scrub(inner_.get_manifest(repo, ref));
  }
  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    return scrub(inner_.put_manifest(repo, ref, bytes, media_type, condition));
  }
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    return scrub(inner_.delete_manifest(repo, digest));
  }
  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    return scrub(inner_.blob_exists(repo, digest));
  }
  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    return scrub(inner_.get_blob(repo, digest, max_size));
  }
  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    return scrub(inner_.put_blob(repo, digest, bytes));
  }
  Result<void> upload_blob(const Repository& repo, std::string_view digest,
                           std::string_view bytes) override {
    return scrub(inner_.upload_blob(repo, digest, bytes));
  }
  Result<MountOutcome> mount_blob(const Repository& repo, std::string_view digest,
                                  const Repository& from,
                                  const std::function<Result<std::string>()>& fetch) override {
    return scrub(inner_.mount_blob(repo, digest, from, fetch));
  }
  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    return scrub(inner_.list_tags(repo));
  }
  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    return scrub(inner_.has_tag(repo, tag));
  }
  Result<PutResult> put_manifest_with_subject(const Repository& repo, std::string_view ref,
                                              std::string_view bytes,
                                              std::string_view media_type) override {
    return scrub(inner_.put_manifest_with_subject(repo, ref, bytes, media_type));
  }
  Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                   std::string_view artifact_type) override {
    return scrub(inner_.list_referrers(repo, digest, artifact_type));
  }
  std::size_t request_count() const override { return inner_.request_count(); }
  std::size_t connection_count() const override { return inner_.connection_count(); }

private:
  template <class T> Result<T> scrub(Result<T> r) const {
    if (r)
      return r;
    return secrets_->scrub(std::move(r).error());
  }

  std::shared_ptr<SecretMask> secrets_;
  RegistryClient inner_;
};

} // namespace

Result<PutResult> Client::put_manifest_with_subject(const Repository& repo,
                                                    std::string_view tag_or_digest,
                                                    std::string_view bytes,
                                                    std::string_view media_type) {
  auto digest = put_manifest(repo, tag_or_digest, bytes, media_type);
  ISIGN_TRY(digest);
  return PutResult{std::move(*digest), ""};
}

std::unique_ptr<Client> Client::create(ClientOptions options,
                                       std::unique_ptr<Transport> transport) {
  if (!transport)
    transport = make_curl_transport(options.transport);
  return std::make_unique<ScrubbingClient>(std::move(options), std::move(transport));
}

} // namespace isign::registry
