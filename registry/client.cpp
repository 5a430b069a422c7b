// Client::create: a router by scheme over the registry client (registry_client.h) behind the
// wrapper that masks every secret sent (secret_mask.h) in every error leaving it, and the OCI
// layout clients (layout.h).
#include "registry/client.h"

#include <map>
#include <memory>
#include <mutex>

#include "registry/layout.h"
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

// The client Client::create returns: each call goes to the client of its repository's place.
// The registry client is made on the first call naming a registry, the layout client of a
// directory on the first call naming it; both live as long as the router.
class RoutingClient final : public Client {
public:
  RoutingClient(ClientOptions options, std::unique_ptr<Transport> transport)
      : options_(std::move(options)), transport_(std::move(transport)) {}

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    return route(repo).head_manifest(repo, ref);
  }
  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    return route(repo).get_manifest(repo, ref);
  }
  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    return route(repo).put_manifest(repo, ref, bytes, media_type, condition);
  }
  Result<PutResult> put_manifest_with_subject(const Repository& repo, std::string_view ref,
                                              std::string_view bytes,
                                              std::string_view media_type) override {
    return route(repo).put_manifest_with_subject(repo, ref, bytes, media_type);
  }
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    return route(repo).delete_manifest(repo, digest);
  }
  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    return route(repo).blob_exists(repo, digest);
  }
  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    return route(repo).get_blob(repo, digest, max_size);
  }
  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    return route(repo).put_blob(repo, digest, bytes);
  }
  Result<void> upload_blob(const Repository& repo, std::string_view digest,
                           std::string_view bytes) override {
    return route(repo).upload_blob(repo, digest, bytes);
  }
  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    return route(repo).list_tags(repo);
  }
  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    return route(repo).has_tag(repo, tag);
  }
  Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                   std::string_view artifact_type) override {
    return route(repo).list_referrers(repo, digest, artifact_type);
  }
  // A mount needs both repositories on one registry: never a layout.
  Result<MountOutcome> mount_blob(const Repository& repo, std::string_view digest,
                                  const Repository& from,
                                  const std::function<Result<std::string>()>& fetch) override {
    if (repo.is_layout() || from.is_layout())
      return MountOutcome::unsupported;
    return route(repo).mount_blob(repo, digest, from, fetch);
  }
  bool consistent(const Repository& repo) const override { return repo.is_layout(); }
  std::size_t request_count() const override {
    std::lock_guard lock(mu_);
    std::size_t n = registry_ ? registry_->request_count() : 0;
    for (const auto& [dir, layout] : layouts_)
      n += layout->request_count();
    return n;
  }
  std::size_t connection_count() const override {
    std::lock_guard lock(mu_);
    return registry_ ? registry_->connection_count() : 0;
  }

private:
  Client& route(const Repository& repo) {
    std::lock_guard lock(mu_);
    if (repo.is_layout()) {
      auto& layout = layouts_[repo.name];
      if (!layout)
        layout = make_layout_client(repo.name, options_.max_manifest_size);
      return *layout;
    }
    if (!registry_) {
      if (!transport_)
        transport_ = make_curl_transport(options_.transport);
      registry_ = std::make_unique<ScrubbingClient>(options_, std::move(transport_));
    }
    return *registry_;
  }

  mutable std::mutex mu_;
  ClientOptions options_;
  std::unique_ptr<Transport> transport_; // until the registry client takes it
  std::unique_ptr<Client> registry_;     // made on the first call naming a registry
  std::map<std::string, std::unique_ptr<Client>> layouts_; // by directory
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
  return std::make_unique<RoutingClient>(std::move(options), std::move(transport));
}

} // namespace isign::registry
