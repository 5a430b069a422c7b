// The core of the registry client: construction, URLs, the paging of lists, and sending with auth,
// bounded retries of idempotent requests, backoff, and the overall and per-call deadlines.
#include "registry/registry_client.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "common/digest.h"
#include "registry/call_deadline.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

bool is_sha256_digest(std::string_view d) {
  return common::validate_sha256_digest(d).ok();
}

bool is_digest(std::string_view ref) {
  return ref.find(':') != std::string_view::npos;
}

Error not_found_context(Error e, const Repository& repo, std::string_view ref) {
  if (e.kind() != ErrorKind::not_found)
    return e;
  std::string what = repo.str();
  if (!ref.empty())
    what += (is_digest(ref) ? "@" : ":") + std::string(ref);
  return std::move(e).context(what + " not found");
}

Error too_large_context(Error e, const HttpRequest& req, std::string_view what) {
  if (e.kind() != ErrorKind::limit)
    return e;
  return make_error(ErrorKind::limit, req.method + " " + url_path(req.url) + ": the " +
                                          std::string(what) + " is larger than the limit of " +
                                          std::to_string(req.max_body) + " bytes");
}

RegistryClient::RegistryClient(ClientOptions options, std::unique_ptr<Transport> transport,
                               std::shared_ptr<SecretMask> secrets)
    : options_(std::move(options)), transport_(std::move(transport)), secrets_(std::move(secrets)),
      auth_(options_, secrets_,
            [this](HttpRequest& req, bool idempotent) { return send_raw(req, idempotent); }) {
  secrets_->add_credentials(options_.credentials);
}

// --- URLs --------------------------------------------------------------------------------------

// Plain HTTP only with --allow-http-registry, never as a silent fallback, not even for
// localhost or 127.0.0.0/8 (docker retries those over HTTP after HTTPS fails): a fallback would
// let anything that breaks TLS on the port downgrade the connection, and a registry that speaks
// only HTTP gets an error naming the flag instead (see curl_transport.cpp).
std::string RegistryClient::origin(const Repository& repo) const {
  return std::string(options_.allow_http ? "http://" : "https://") + repo.api_host();
}

// url as given when it is absolute, else resolved against the registry's origin (an upload
// Location or a Link target may be a path).
std::string RegistryClient::absolute_url(const std::string& url, const Repository& repo) const {
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)
    return url;
  return origin(repo) + (!url.empty() && url.front() == '/' ? "" : "/") + url;
}

// The "next" URL of a Link header (RFC 8288), absolute; "" when there is none.
std::string RegistryClient::next_link(const std::string& link, const Repository& repo) const {
  if (link.empty() || link.find("rel=\"next\"") == std::string::npos)
    return "";
  auto lt = link.find('<');
  auto gt = link.find('>', lt);
  if (lt == std::string::npos || gt == std::string::npos)
    return "";
  return absolute_url(link.substr(lt + 1, gt - lt - 1), repo);
}

// Follows a paged list and its Link: rel="next" pages, handing each page's answer to on_page,
// which returns false to stop. Bounded: a Link back to a visited page, more than max_pages
// pages, or, when the list sets max_empty_pages, that many empty pages in a row are errors.
Result<void> RegistryClient::walk_pages(const Repository& repo, std::string url,
                                        const PagedList& list, const OnPage& on_page) {
  const std::string name(list.name), page_name(list.page);
  std::set<std::string> visited;
  std::size_t pages = 0, empty_in_a_row = 0;
  while (!url.empty()) {
    if (!visited.insert(url).second)
      return make_error(ErrorKind::registry,
                        "GET " + url_path(url) + ": the " + name + "'s Link header loops back");
    if (++pages > list.max_pages)
      return make_error(ErrorKind::limit, "GET " + url_path(url) + ": the " + name +
                                              " has more than " + std::to_string(list.max_pages) +
                                              " pages");
    if (auto clear = refuse_plain_http(url, "next " + page_name); !clear)
      return clear;
    HttpRequest req = make_request("GET", url);
    if (!list.accept.empty())
      req.headers.emplace_back("Accept", list.accept);
    req.max_body = list.max_body;
    auto resp = send(req, repo, Access::pull, true);
    if (!resp)
      return too_large_context(std::move(resp).error(), req, page_name);
    auto seen = on_page(req, *resp, pages);
    ISIGN_TRY(seen);
    if (!seen->more)
      break;
    url = next_link(resp->header("link"), repo);
    empty_in_a_row = seen->entries == 0 ? empty_in_a_row + 1 : 0;
    if (!url.empty() && list.max_empty_pages != 0 && empty_in_a_row >= list.max_empty_pages)
      return make_error(ErrorKind::registry, "GET " + url_path(req.url) + ": the registry sent " +
                                                 std::to_string(empty_in_a_row) + " empty " +
                                                 page_name +
                                                 "s in a row, each with a next page; giving up");
  }
  return {};
}

// Plain HTTP is spoken only with --allow-http-registry, on every request: a registry reached
// over HTTPS cannot send us (and our Authorization) elsewhere in clear.
Result<void> RegistryClient::refuse_plain_http(const std::string& url,
                                               const std::string& what) const {
  if (options_.allow_http || url.rfind("http://", 0) != 0)
    return {};
  return make_error(ErrorKind::registry, "the registry's " + what + " " +
                                             quote_text(url_path(url)) + " on " + host_of(url) +
                                             " is plain HTTP; refusing to follow it "
                                             "(--allow-http-registry allows it)");
}

// --- sending -----------------------------------------------------------------------------------

// Whether url goes to the registry's own origin (scheme, host and port): Authorization is
// never sent anywhere else, as an absolute upload Location or Link may name another host,
// or plain HTTP.
bool RegistryClient::same_origin(const std::string& url, const Repository& repo) const {
  return origin_of(url) == origin_of(origin(repo));
}

// Sends with auth: a cached authorization first; on 401 one challenge round, then again.
// restart runs before every attempt, so a streaming body sink can start afresh.
Result<HttpResponse> RegistryClient::send(HttpRequest req, const Repository& repo, Access access,
                                          bool idempotent, const std::function<void()>& restart) {
  const std::size_t base_headers = req.headers.size();
  const bool own_host = same_origin(req.url, repo);
  // A given token is sent as is, so nobody waits for an answer that brings no token.
  std::optional<Authenticator::FirstRequest> first;
  if (own_host && options_.credentials.registry_token.empty())
    first.emplace(auth_, repo, access);
  std::string auth = own_host ? auth_.cached_authorization(repo, access) : "";
  for (int round = 0; round < 2; ++round) {
    req.headers.resize(base_headers);
    if (!auth.empty()) {
      secrets_->add(auth.substr(auth.find(' ') + 1));
      req.headers.emplace_back("Authorization", auth);
    }
    auto resp = send_raw(req, idempotent, restart);
    if (!resp || resp->status != 401 || round == 1 || !own_host)
      return resp;
    // A 401 without a challenge cannot be answered: the caller reports it with its hint.
    if (resp->header("www-authenticate").empty())
      return resp;
    if (!options_.credentials.registry_token.empty())
      return resp; // a given token is final
    auto fresh = auth_.authorize(repo, access, *resp, auth);
    ISIGN_TRY(fresh);
    auth = std::move(*fresh);
  }
  return make_error(ErrorKind::internal, "unreachable");
}

// One request with retries: idempotent requests on connection errors, 429 and 5xx, with
// bounded exponential backoff and jitter, honouring Retry-After. Others are sent once.
Result<HttpResponse> RegistryClient::send_raw(HttpRequest& req, bool idempotent,
                                              const std::function<void()>& restart) {
  const int attempts = idempotent ? 1 + std::max(0, options_.max_retries) : 1;
  for (int attempt = 1;; ++attempt) {
    const Deadline deadline = effective_deadline(options_.deadline);
    if (auto left = deadline.left()) {
      if (left->count() <= 0)
        return deadline_error(deadline, req.method + " " + url_path(req.url));
      req.timeout = *left;
    }
    ++requests_;
    if (restart)
      restart();
    auto resp = transport_->perform(req);
    bool retryable = false;
    long wait_ms = backoff_ms(attempt);
    if (!resp) {
      retryable = resp.error().kind() == ErrorKind::network && !req.permanent_failure;
    } else if (resp->status == 429 || resp->status >= 500) {
      retryable = true;
      // Retry-After in seconds is honoured up to a minute; HTTP dates fall back to backoff.
      if (long after = parse_retry_after(resp->header("retry-after")); after >= 0)
        wait_ms = std::min<long>(after * 1000, 60000);
    }
    if (!retryable || attempt >= attempts) {
      if (resp && resp->status == 429) {
        Error e = answer_error(req, *resp);
        return std::move(e).context("the registry kept throttling (" + std::to_string(attempt) +
                                    " attempts)");
      }
      if (!resp && attempt > 1)
        return std::move(resp).error().context(req.method + " " + url_path(req.url) + " (" +
                                               std::to_string(attempt) + " attempts)");
      ISIGN_TRY_CONTEXT(resp, req.method + " " + url_path(req.url));
      return resp;
    }
    wait_before_retry(wait_ms);
  }
}

// Never past the overall or the call's deadline: the next attempt then fails at once, naming it.
void RegistryClient::wait_before_retry(long wait_ms) const {
  if (auto left = effective_deadline(options_.deadline).left())
    wait_ms = std::min<long>(wait_ms, static_cast<long>(left->count()));
  if (options_.sleep)
    options_.sleep(std::chrono::milliseconds(wait_ms));
  else
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
}

// Exponential from 200 ms, capped at max_backoff, with jitter in its upper half.
long RegistryClient::backoff_ms(int attempt) const {
  thread_local std::mt19937 rng{std::random_device{}()};
  long base = 200L << std::min(attempt - 1, 10);
  long capped = std::min<long>(base, static_cast<long>(options_.max_backoff.count()));
  return capped / 2 + std::uniform_int_distribution<long>(0, capped / 2)(rng);
}

} // namespace isign::registry::detail
