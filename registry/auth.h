// Internal to registry/: the auth of one client. Answers a registry's 401 challenges (RFC 7235:
// Basic, or Bearer with a token from the registry's token service) and caches what it got per
// registry and scope while it is true: a token for its life, Basic and stored credentials for
// kCredentialTtl, so that a run asks once and a long-running server sees rotated credentials.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/result.h"
#include "registry/call_deadline.h"
#include "registry/challenge.h"
#include "registry/client_types.h"
#include "registry/reference.h"
#include "registry/secret_mask.h"
#include "registry/transport.h"

namespace isign::registry::detail {

// How long Basic credentials and stored credentials (auth files, credential helpers) are
// remembered: a server sharing one client for days reads a mounted config.json that changed, or
// asks its helper, again at most this late. A CLI run that outlasts it looks them up once more.
inline constexpr std::chrono::minutes kCredentialTtl{5};
// A bearer token's life when the token service states none, and the least it may state
// (distribution's token spec: "expires_in" defaults to 60 s, never less for older clients).
inline constexpr std::chrono::seconds kMinTokenLife{60};
// The longest life believed, so that a registry's promise cannot keep a token for ever.
inline constexpr std::chrono::hours kMaxTokenLife{24};

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

private:
  using Clock = std::chrono::steady_clock;
  // A mutex per key (a registry and scope, or a registry), in its map only while some thread
  // holds or waits for it: the maps hold as many entries as there are threads in them.
  struct KeyedMutex {
    std::timed_mutex mutex;
    std::size_t users = 0;
  };
  using KeyedMutexes = std::map<std::string, std::unique_ptr<KeyedMutex>>;
  // Holds key's mutex of a map, waiting no later than the deadline (owns() false then).
  class KeyedLock {
  public:
    KeyedLock(Authenticator& auth, KeyedMutexes& mutexes, std::string key,
              const Deadline& deadline);
    KeyedLock(const KeyedLock&) = delete;
    KeyedLock& operator=(const KeyedLock&) = delete;
    ~KeyedLock();
    bool owns() const { return lock_.owns_lock(); }

  private:
    Authenticator& auth_;
    KeyedMutexes& mutexes_;
    std::string key_;
    KeyedMutex* entry_;
    std::unique_lock<std::timed_mutex> lock_;
  };

public:
  // Held around the first request of a registry and scope: threads that start together wait for
  // its answer, and then for the token it brought, instead of each collecting a 401 of its own.
  // Once that request is answered, nobody waits for kCredentialTtl; nobody waits past the
  // deadline of its request either (it then goes on alone).
  class FirstRequest {
  public:
    FirstRequest(Authenticator& auth, const Repository& repo, Access access);
    FirstRequest(const FirstRequest&) = delete;
    FirstRequest& operator=(const FirstRequest&) = delete;
    ~FirstRequest();

  private:
    Authenticator& auth_;
    std::string key_;
    std::optional<KeyedLock> lock_;
  };

private:
  common::Result<std::optional<Credentials>> credentials_for(const std::string& registry);
  common::Result<std::string> bearer_authorization(const Challenge& bearer, const Repository& repo,
                                                   Access access,
                                                   const std::optional<Credentials>& creds,
                                                   const std::string& rejected);
  struct Token {
    std::string value;
    std::chrono::seconds life;
  };
  common::Result<Token> fetch_token(const Challenge& c, const Repository& repo, Access access,
                                    const std::optional<Credentials>& creds);
  common::Result<HttpResponse> request_token(const std::string& realm, const std::string& query,
                                             const std::optional<Credentials>& creds,
                                             HttpRequest& req);
  // The authorization cached for key while it is usable; an expired one is dropped. mu_ held.
  const std::string* usable(const std::string& key, Clock::time_point now);
  // Caches authorization for key until expires, dropping every expired entry. mu_ held.
  void remember(const std::string& key, std::string authorization, Clock::time_point expires);
  bool probed(const std::string& key);

  const Credentials given_; // from flags; empty: look credentials up per registry
  const bool allow_http_;   // --allow-http-registry: a plain-HTTP token service anywhere
  const bool use_credential_store_;
  const std::function<common::Result<std::optional<Credentials>>(std::string_view)> lookup_;
  std::shared_ptr<SecretMask> secrets_;
  SendRaw send_;

  const std::function<Clock::time_point()> now_;    // ClientOptions::now, else steady_clock::now
  const std::optional<Clock::time_point> deadline_; // ClientOptions::deadline (--deadline)

  // Guards the maps below; never held while a request is sent or credentials are looked up.
  // Expired entries leave on lookup and whenever an entry is added, so each map holds what is
  // still true for the registries and scopes used within a token's life or kCredentialTtl.
  std::mutex mu_;
  struct Cached {
    std::string authorization;
    Clock::time_point expires;
  };
  std::map<std::string, Cached> authorizations_; // per cache key, or registry + "|basic"
  struct Stored {
    std::optional<Credentials> credentials; // none stored: remembered as well
    Clock::time_point expires;
  };
  std::map<std::string, Stored> stored_credentials_; // per registry
  KeyedMutexes fetch_mutexes_;                       // per cache key: one token fetch at a time
  KeyedMutexes probe_mutexes_;                       // per cache key: FirstRequest
  KeyedMutexes lookup_mutexes_;                      // per registry: one lookup at a time
  std::map<std::string, Clock::time_point> probed_;  // cache keys answered, until then
};

} // namespace isign::registry::detail
