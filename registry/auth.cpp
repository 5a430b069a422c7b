#include "registry/auth.h"

#include "common/encoding.h"
#include "registry/credentials.h"
#include "registry/http_util.h"
#include "registry/json_util.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

std::string scope_for(const Repository& repo, Access access) {
  return "repository:" + repo.name + (access == Access::push ? ":pull,push" : ":pull");
}

std::string cache_key(const Repository& repo, Access access) {
  return repo.registry + "|" + scope_for(repo, access);
}

std::string basic_header(const Credentials& creds) {
  return "Basic " + common::base64_encode(creds.username + ":" + creds.password);
}

// A token realm must be an http(s) URL. A plain-HTTP realm only on this machine or when plain
// HTTP is allowed: an HTTPS registry must not be able to have credentials sent, or a token
// fetched, in clear over the network.
Result<void> check_realm(const std::string& realm, bool allow_http, bool with_credentials) {
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
    return make_error(ErrorKind::registry,
                      "the registry's token realm '" + realm + "' is not an http(s) URL");
  if (realm.rfind("http://", 0) == 0 && !allow_http && !is_loopback_host(host_of(realm)))
    return make_error(ErrorKind::registry,
                      "the registry's token service " + host_of(realm) + " is plain HTTP; " +
                          (with_credentials ? "refusing to send credentials there"
                                            : "refusing to fetch a token from it") +
                          " (--allow-http-registry allows it)");
  return {};
}

// The token of a token service's 200 answer: "token", else OAuth2's "access_token"; and its
// "expires_in" in seconds, kMinTokenLife when absent or less (the spec's default and floor; docker
// does the same), at most kMaxTokenLife. "issued_at" is not read: it is the service's wall clock,
// and the life counted from when the request was sent never ends later than the token's.
std::optional<std::pair<std::string, std::chrono::seconds>> token_in(const HttpResponse& resp) {
  auto doc = detail::parse_json(resp.body);
  if (doc.is_discarded() || !doc.is_object())
    return std::nullopt;
  std::chrono::seconds life = kMinTokenLife;
  if (doc.contains("expires_in") && doc["expires_in"].is_number()) {
    const double stated = doc["expires_in"].get<double>();
    const auto max = static_cast<double>(std::chrono::seconds(kMaxTokenLife).count());
    if (stated > static_cast<double>(life.count()))
      life = std::chrono::seconds(static_cast<long long>(std::min(stated, max)));
  }
  for (const char* field : {"token", "access_token"})
    if (doc.contains(field) && doc[field].is_string() && !doc[field].get<std::string>().empty())
      return std::pair{doc[field].get<std::string>(), life};
  return std::nullopt;
}

} // namespace

Authenticator::Authenticator(const ClientOptions& options, std::shared_ptr<SecretMask> secrets,
                             SendRaw send)
    : given_(options.credentials), allow_http_(options.allow_http),
      use_credential_store_(options.use_credential_store), lookup_(options.credential_lookup),
      secrets_(std::move(secrets)), send_(std::move(send)),
      now_(options.now ? options.now : [] { return Clock::now(); }), deadline_(options.deadline) {}

std::string Authenticator::cached_authorization(const Repository& repo, Access access) {
  if (!given_.registry_token.empty())
    return "Bearer " + given_.registry_token;
  const auto now = now_();
  std::lock_guard lock(mu_);
  // A registry token stored for the registry (config.json "registrytoken") is used as is.
  if (auto it = stored_credentials_.find(repo.registry);
      it != stored_credentials_.end() && now < it->second.expires && it->second.credentials &&
      !it->second.credentials->registry_token.empty())
    return "Bearer " + it->second.credentials->registry_token;
  if (const std::string* a = usable(cache_key(repo, access), now))
    return *a;
  // A push token also allows pulls.
  if (access == Access::pull)
    if (const std::string* a = usable(cache_key(repo, Access::push), now))
      return *a;
  if (const std::string* a = usable(repo.registry + "|basic", now))
    return *a;
  return "";
}

const std::string* Authenticator::usable(const std::string& key, Clock::time_point now) {
  auto it = authorizations_.find(key);
  if (it == authorizations_.end())
    return nullptr;
  if (now < it->second.expires)
    return &it->second.authorization;
  authorizations_.erase(it);
  return nullptr;
}

void Authenticator::remember(const std::string& key, std::string authorization,
                             Clock::time_point expires) {
  const auto now = now_();
  std::erase_if(authorizations_, [now](const auto& entry) { return entry.second.expires <= now; });
  authorizations_[key] = Cached{std::move(authorization), expires};
}

Result<std::string> Authenticator::authorize(const Repository& repo, Access access,
                                             const HttpResponse& resp,
                                             const std::string& rejected) {
  auto challenges = parse_www_authenticate(resp.header("www-authenticate"));
  ISIGN_TRY_CONTEXT(challenges, "reading the auth challenge");
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : *challenges) {
    if (c.scheme == "bearer" && !bearer)
      bearer = &c;
    if (c.scheme == "basic" && !basic)
      basic = &c;
  }
  auto creds = credentials_for(repo.registry);
  ISIGN_TRY(creds);
  if (*creds && !(*creds)->registry_token.empty())
    return "Bearer " + (*creds)->registry_token;
  if (bearer)
    return bearer_authorization(*bearer, repo, access, *creds, rejected);
  if (!basic)
    return make_error(ErrorKind::registry,
                      repo.registry + " asked for an unsupported authentication scheme");
  if (!*creds || (*creds)->username.empty())
    return make_error(ErrorKind::registry,
                      "401 Unauthorized: " + repo.registry +
                          " requires credentials and none are configured; run 'isign login " +
                          repo.registry + "' or pass --registry-username/--registry-password");
  std::string header = basic_header(**creds);
  std::lock_guard lock(mu_);
  remember(repo.registry + "|basic", header, now_() + kCredentialTtl);
  return header;
}

Result<std::optional<Credentials>> Authenticator::credentials_for(const std::string& registry) {
  if (!given_.username.empty() || !given_.registry_token.empty())
    return std::optional<Credentials>(given_);
  if (!use_credential_store_)
    return std::optional<Credentials>();
  auto remembered = [this, &registry]() -> std::optional<std::optional<Credentials>> {
    const auto now = now_();
    std::lock_guard lock(mu_);
    auto it = stored_credentials_.find(registry);
    if (it == stored_credentials_.end())
      return std::nullopt;
    if (now < it->second.expires)
      return it->second.credentials;
    stored_credentials_.erase(it);
    return std::nullopt;
  };
  if (auto known = remembered())
    return *known;
  // One lookup per registry at a time (a helper is a process), outside mu_ so that requests
  // with cached authorizations go on meanwhile.
  KeyedLock looking(*this, lookup_mutexes_, registry, effective_deadline(deadline_));
  if (!looking.owns())
    return deadline_error(effective_deadline(deadline_), "reading credentials for " + registry);
  if (auto known = remembered())
    return *known;
  auto found = lookup_ ? lookup_(registry) : find_credentials(registry);
  ISIGN_TRY_CONTEXT(found, "reading credentials for " + registry);
  if (*found)
    secrets_->add_credentials(**found);
  const auto now = now_();
  std::lock_guard lock(mu_);
  std::erase_if(stored_credentials_,
                [now](const auto& entry) { return entry.second.expires <= now; });
  stored_credentials_[registry] = Stored{*found, now + kCredentialTtl};
  return *found;
}

Result<std::string> Authenticator::bearer_authorization(const Challenge& bearer,
                                                        const Repository& repo, Access access,
                                                        const std::optional<Credentials>& creds,
                                                        const std::string& rejected) {
  // One fetch per scope at a time: threads that hit the same 401 together (verify checks
  // images concurrently) wait for the first one's token instead of each fetching their own.
  // A thread whose deadline passes while it waits goes on alone: its token request then fails
  // at once, naming the deadline.
  const std::string key = cache_key(repo, access);
  KeyedLock fetching(*this, fetch_mutexes_, key, effective_deadline(deadline_));
  {
    const auto now = now_();
    std::lock_guard lock(mu_);
    if (const std::string* a = usable(key, now); a && *a != rejected)
      return *a;
  }
  const auto sent = now_();
  auto token = fetch_token(bearer, repo, access, creds);
  ISIGN_TRY(token);
  std::string header = "Bearer " + token->value;
  // Counted from when the request was sent, and given up a tenth early, so that a token is not
  // sent in its last seconds, to expire on the way or while a request streams.
  std::lock_guard lock(mu_);
  remember(key, header, sent + token->life - token->life / 10);
  return header;
}

Result<Authenticator::Token> Authenticator::fetch_token(const Challenge& c, const Repository& repo,
                                                        Access access,
                                                        const std::optional<Credentials>& creds) {
  const std::string realm = c.param("realm");
  ISIGN_TRY(check_realm(realm, allow_http_, creds.has_value()));
  const std::string service = c.param("service");
  const std::string scope = scope_for(repo, access);
  const std::string query = (service.empty() ? "" : "service=" + url_encode(service) + "&") +
                            "scope=" + url_encode(scope);
  HttpRequest req;
  auto resp = request_token(realm, query, creds, req);
  ISIGN_TRY_CONTEXT(resp, "fetching a token from " + url_path(realm));
  if (resp->status != 200) {
    Error e = http_error(req, *resp, secrets_.get());
    // A token service that answers 404 is a broken auth setup, not a missing image.
    if (e.kind() == ErrorKind::not_found)
      e = Error(ErrorKind::registry, e.message()).with_http_status(e.http_status());
    return std::move(e).context("fetching a token for " + scope);
  }
  auto token = token_in(*resp);
  if (!token)
    return make_error(ErrorKind::registry,
                      "the token service at " + url_path(realm) + " answered without a token");
  secrets_->add(token->first);
  return Token{std::move(token->first), token->second};
}

// The token request, left in req: GET with Basic credentials (docker's token protocol), and the
// OAuth2 form POST for identity tokens always, and as a fallback when the GET is refused.
Result<HttpResponse> Authenticator::request_token(const std::string& realm,
                                                  const std::string& query,
                                                  const std::optional<Credentials>& creds,
                                                  HttpRequest& req) {
  const bool identity_token = creds && creds->username == "<token>";
  const bool has_user = creds && !creds->username.empty();
  if (!identity_token) {
    req = make_request("GET", realm + (realm.find('?') == std::string::npos ? "?" : "&") + query);
    if (has_user)
      req.headers.emplace_back("Authorization", basic_header(*creds));
    auto resp = send_(req, true);
    if (!resp || !has_user || resp->status < 400 || resp->status == 401 || resp->status == 403)
      return resp;
  }
  req = make_request("POST", realm);
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = query + "&client_id=isign&";
  if (identity_token)
    req.body += "grant_type=refresh_token&refresh_token=" + url_encode(creds->password);
  else
    req.body += "grant_type=password&username=" + url_encode(creds->username) +
                "&password=" + url_encode(creds->password);
  return send_(req, false);
}

Authenticator::KeyedLock::KeyedLock(Authenticator& auth, KeyedMutexes& mutexes, std::string key,
                                    const Deadline& deadline)
    : auth_(auth), mutexes_(mutexes), key_(std::move(key)) {
  {
    std::lock_guard lock(auth_.mu_);
    auto& entry = mutexes_[key_];
    if (!entry)
      entry = std::make_unique<KeyedMutex>();
    ++entry->users;
    entry_ = entry.get();
  }
  lock_ = lock_until(entry_->mutex, deadline);
}

Authenticator::KeyedLock::~KeyedLock() {
  if (lock_.owns_lock())
    lock_.unlock();
  std::lock_guard lock(auth_.mu_);
  if (--entry_->users == 0)
    mutexes_.erase(key_);
}

bool Authenticator::probed(const std::string& key) {
  const auto now = now_();
  std::lock_guard lock(mu_);
  auto it = probed_.find(key);
  return it != probed_.end() && now < it->second;
}

// Once kCredentialTtl has passed, a scope's next request goes alone again: the entry leaves the
// map, and the token or credentials the first one brought may have expired with it.
Authenticator::FirstRequest::FirstRequest(Authenticator& auth, const Repository& repo,
                                          Access access)
    : auth_(auth), key_(cache_key(repo, access)) {
  if (auth_.probed(key_))
    return;
  lock_.emplace(auth_, auth_.probe_mutexes_, key_, effective_deadline(auth_.deadline_));
  if (!lock_->owns() || auth_.probed(key_))
    lock_.reset();
}

Authenticator::FirstRequest::~FirstRequest() {
  if (!lock_)
    return;
  {
    const auto now = auth_.now_();
    std::lock_guard lock(auth_.mu_);
    std::erase_if(auth_.probed_, [now](const auto& entry) { return entry.second <= now; });
    auth_.probed_[key_] = now + kCredentialTtl;
  }
  lock_.reset();
}

} // namespace isign::registry::detail
