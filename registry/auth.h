// Internal to registry/: the auth of one client. Answers a registry's 401 challenges (RFC 7235:
// Basic, or Bearer with a token from the registry's token service) and caches what it got per
// registry and scope for the client's life, so that a run asks once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/result.h"
#include "registry/challenge.h"
#include "registry/client_types.h"
#include "registry/reference.h"
#include "registry/secret_mask.h"
#include "registry/transport.h"

namespace isign::registry::detail {

// Sends one request as the client does (retries, deadline, request count), adding no auth.
using SendRaw = std::function<common::Result<HttpResponse>(HttpRequest& request, bool idempotent)>;

// Thread-safe: verify checks several images at once through one client.
class Authenticator {
public:
  // Keeps what options say about credentials and plain HTTP. Every secret it sends or receives is
  // added to secrets; token requests go through send.
  Authenticator(const ClientOptions& options, std::shared_ptr<SecretMask> secrets, SendRaw send);

  // The Authorization to send before any challenge for repo and access: a registry token given
  // or stored for the registry, else a cached bearer token (a push token serves pulls too), else
  // cached Basic credentials; "" when there is none yet.
  std::string cached_authorization(const Repository& repo, Access access);

  // The Authorization answering resp, a 401 to a request sent with `rejected` (or "" when it had
  // none): Basic credentials, or a bearer token fetched for exactly the scope needed (a token
  // another thread fetched meanwhile is reused). Errors: a malformed or unsupported challenge,
  // credentials that cannot be read, a token service that refuses or is plain HTTP elsewhere.
  common::Result<std::string> authorize(const Repository& repo, Access access,
                                        const HttpResponse& resp, const std::string& rejected);

  // Held around the first request of a registry and scope: threads that start together wait for
  // its answer, and then for the token it brought, instead of each collecting a 401 of its own.
  // Once that request is answered, nobody waits.
  class FirstRequest {
  public:
    FirstRequest(Authenticator& auth, const Repository& repo, Access access);
    FirstRequest(const FirstRequest&) = delete;
    FirstRequest& operator=(const FirstRequest&) = delete;
    ~FirstRequest();

  private:
    Authenticator& auth_;
    std::string key_;
    std::unique_lock<std::mutex> lock_;
  };

private:
  common::Result<std::optional<Credentials>> credentials_for(const std::string& registry);
  common::Result<std::string> bearer_authorization(const Challenge& bearer, const Repository& repo,
                                                   Access access,
                                                   const std::optional<Credentials>& creds,
                                                   const std::string& rejected);
  common::Result<std::string> fetch_token(const Challenge& c, const Repository& repo, Access access,
                                          const std::optional<Credentials>& creds);
  common::Result<HttpResponse> request_token(const std::string& realm, const std::string& query,
                                             const std::optional<Credentials>& creds,
                                             HttpRequest& req);
  std::mutex& keyed_mutex(std::map<std::string, std::unique_ptr<std::mutex>>& mutexes,
                          const std::string& key);
  bool probed(const std::string& key);

  const Credentials given_; // from flags; empty: look credentials up per registry
  const bool allow_http_;   // --allow-http-registry: a plain-HTTP token service anywhere
  const bool use_credential_store_;
  const std::function<common::Result<std::optional<Credentials>>(std::string_view)> lookup_;
  std::shared_ptr<SecretMask> secrets_;
  SendRaw send_;

  std::mutex mu_; // guards the maps below; never held while a request is sent
  std::map<std::string, std::string> authorizations_; // per cache key, or registry + "|basic"
  std::map<std::string, std::optional<Credentials>> stored_credentials_; // per registry
  std::map<std::string, std::unique_ptr<std::mutex>> fetch_mutexes_;     // per cache key
  std::map<std::string, std::unique_ptr<std::mutex>> probe_mutexes_;     // per cache key
  std::set<std::string> probed_; // cache keys whose first request was answered
};

} // namespace isign::registry::detail
