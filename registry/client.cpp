// The OCI distribution client: URLs, bounded retries of idempotent requests, digest checks and
// one-line errors. Auth and its token cache are in auth.cpp, the masking of secrets in
// secret_mask.cpp.
#include "registry/client.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "common/digest.h"
#include "registry/auth.h"
#include "registry/http_util.h"
#include "registry/json_util.h"
#include "registry/referrers.h"
#include "registry/secret_mask.h"
#include "registry/url.h"

namespace isign::registry {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::host_of;
using detail::http_error;
using detail::make_request;
using detail::quote_text;
using detail::SecretMask;
using detail::url_encode;
using detail::url_path;

namespace {

const std::string kManifestAccept = std::string(kOciManifest) + ", " + std::string(kOciIndex) +
                                    ", " + std::string(kDockerManifest) + ", " +
                                    std::string(kDockerManifestList);

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

// A list read in pages (tags, referrers): what messages call it and how its pages are asked for.
struct PagedList {
  std::string_view name; // "tag list"
  std::string_view page; // "tag page"
  std::size_t max_pages;
  std::string accept = {}; // the Accept header; none when empty
  std::size_t max_body;    // of each page
  // Empty pages in a row, each with a next page, after which the list is given up; 0: no bound
  // but max_pages.
  std::size_t max_empty_pages = 0;
};
// What one page held: its number of entries, and whether to read the next page.
struct PageSeen {
  std::size_t entries = 0;
  bool more = true;
};
// Reads one page's answer (any status); page_number counts from 1.
using OnPage =
    std::function<Result<PageSeen>(const HttpRequest& req, HttpResponse& resp, std::size_t page)>;

// A tag list page's tags.
Result<std::vector<std::string>> parse_tag_page(const HttpRequest& req, const HttpResponse& resp,
                                                const Repository& repo) {
  if (resp.status != 200)
    return not_found_context(http_error(req, resp), repo, "");
  auto doc = detail::parse_json(resp.body);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::registry, "GET " + url_path(req.url) + ": the answer is not JSON");
  std::vector<std::string> page;
  if (auto it = doc.find("tags"); it != doc.end() && it->is_array()) {
    for (const auto& t : *it)
      if (t.is_string())
        page.push_back(t.get<std::string>());
  }
  return page;
}

class RegistryClient final : public Client {
public:
  RegistryClient(ClientOptions options, std::unique_ptr<Transport> transport,
                 std::shared_ptr<SecretMask> secrets);

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override;
  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override;
  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override;
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override;
  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override;
  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override;
  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override;
  Result<void> upload_blob(const Repository& repo, std::string_view digest,
                           std::string_view bytes) override;
  Result<std::vector<std::string>> list_tags(const Repository& repo) override;
  Result<bool> has_tag(const Repository& repo, std::string_view tag) override;
  Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                   std::string_view artifact_type) override;
  Result<PutResult> put_manifest_with_subject(const Repository& repo, std::string_view ref,
                                              std::string_view bytes,
                                              std::string_view media_type) override {
    return put(repo, ref, bytes, media_type, PutCondition{});
  }
  std::size_t request_count() const override { return requests_.load(); }
  std::size_t connection_count() const override { return transport_->connection_count(); }

private:
  Result<PutResult> put(const Repository& repo, std::string_view ref, std::string_view bytes,
                        std::string_view media_type, const PutCondition& condition);
  Result<PageSeen> read_referrers_page(const HttpRequest& req, const HttpResponse& resp,
                                       std::size_t page, std::string_view artifact_type,
                                       Referrers& out);
  std::string origin(const Repository& repo) const;
  std::string base(const Repository& repo) const { return origin(repo) + "/v2/" + repo.name; }
  std::string manifest_url(const Repository& repo, std::string_view ref) const {
    return base(repo) + "/manifests/" + std::string(ref);
  }
  std::string blob_url(const Repository& repo, std::string_view digest) const {
    return base(repo) + "/blobs/" + std::string(digest);
  }
  std::string next_link(const std::string& link, const Repository& repo) const;
  Result<void> walk_pages(const Repository& repo, std::string url, const PagedList& list,
                          const OnPage& on_page);
  Result<void> walk_tag_pages(const Repository& repo, std::string url,
                              const std::function<Result<bool>(std::vector<std::string>& page,
                                                               const std::string& url)>& on_page);
  Result<void> refuse_plain_http(const std::string& url, const std::string& what) const;
  // The registry's answer as an error, with every secret sent masked in its text.
  Error answer_error(const HttpRequest& req, const HttpResponse& resp) const {
    return http_error(req, resp, secrets_.get());
  }

  bool same_origin(const std::string& url, const Repository& repo) const;
  Result<HttpResponse> send(HttpRequest req, const Repository& repo, Access access, bool idempotent,
                            const std::function<void()>& restart = {});
  Result<HttpResponse> send_raw(HttpRequest& req, bool idempotent,
                                const std::function<void()>& restart = {});
  void wait_before_retry(long wait_ms) const;
  long backoff_ms(int attempt) const;

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  std::shared_ptr<SecretMask> secrets_;
  detail::Authenticator auth_;
  std::atomic<std::size_t> requests_{0};
};

RegistryClient::RegistryClient(ClientOptions options, std::unique_ptr<Transport> transport,
                               std::shared_ptr<SecretMask> secrets)
    : options_(std::move(options)), transport_(std::move(transport)), secrets_(std::move(secrets)),
      auth_(options_, secrets_,
            [this](HttpRequest& req, bool idempotent) { return send_raw(req, idempotent); }) {
  secrets_->add_credentials(options_.credentials);
}

// --- the distribution API ---------------------------------------------------------------------

Result<Descriptor> RegistryClient::head_manifest(const Repository& repo, std::string_view ref) {
  HttpRequest req = make_request("HEAD", manifest_url(repo, ref));
  req.headers.emplace_back("Accept", kManifestAccept);
  auto resp = send(req, repo, Access::pull, true);
  if (!resp)
    return std::move(resp).error();
  if (resp->status != 200)
    return not_found_context(answer_error(req, *resp), repo, ref);
  std::string digest = resp->header("docker-content-digest");
  if (!is_sha256_digest(digest)) {
    // Some registries omit the digest on HEAD: the bytes tell.
    auto m = get_manifest(repo, ref);
    if (!m)
      return std::move(m).error();
    return Descriptor{m->media_type, m->digest, m->bytes.size()};
  }
  if (is_digest(ref) && digest != ref)
    return make_error(ErrorKind::registry,
                      "HEAD " + url_path(req.url) + ": the registry answered digest " + digest);
  const std::string ct = bare_media_type(resp->header("content-type"));
  if (!is_generic_type(ct) && !is_manifest_type(ct))
    return make_error(ErrorKind::registry, "HEAD " + url_path(req.url) +
                                               ": the answer has Content-Type " + quote_text(ct) +
                                               ", not an image manifest or index");
  Descriptor d{is_generic_type(ct) ? std::string() : ct, digest, 0};
  if (auto len = resp->header("content-length"); !len.empty())
    d.size = static_cast<std::size_t>(std::strtoull(len.c_str(), nullptr, 10));
  return d;
}

Result<Manifest> RegistryClient::get_manifest(const Repository& repo, std::string_view ref) {
  HttpRequest req = make_request("GET", manifest_url(repo, ref));
  req.headers.emplace_back("Accept", kManifestAccept);
  req.max_body = options_.max_manifest_size;
  auto resp = send(req, repo, Access::pull, true);
  if (!resp) {
    if (resp.error().kind() == ErrorKind::limit)
      return make_error(ErrorKind::limit, "GET " + url_path(req.url) +
                                              ": the manifest is larger than the limit of " +
                                              std::to_string(req.max_body) + " bytes");
    return std::move(resp).error();
  }
  if (resp->status != 200)
    return not_found_context(answer_error(req, *resp), repo, ref);
  Manifest m;
  m.bytes = std::move(resp->body);
  m.digest = common::sha256_digest(m.bytes);
  if (is_digest(ref) && m.digest != ref)
    return make_error(ErrorKind::registry, "GET " + url_path(req.url) +
                                               ": the manifest's bytes hash to " + m.digest +
                                               ", not the requested digest");
  if (auto claimed = resp->header("docker-content-digest");
      is_sha256_digest(claimed) && claimed != m.digest)
    return make_error(ErrorKind::registry, "GET " + url_path(req.url) + ": Docker-Content-Digest " +
                                               claimed + " does not match the bytes received (" +
                                               m.digest + ")");
  auto type = manifest_media_type(resp->header("content-type"), m.bytes);
  if (!type)
    return std::move(type).error().context("GET " + url_path(req.url));
  m.media_type = std::move(*type);
  m.etag = resp->header("etag");
  return m;
}

Result<std::string> RegistryClient::put_manifest(const Repository& repo, std::string_view ref,
                                                 std::string_view bytes,
                                                 std::string_view media_type,
                                                 const PutCondition& condition) {
  auto put_result = put(repo, ref, bytes, media_type, condition);
  if (!put_result)
    return std::move(put_result).error();
  return std::move(put_result->digest);
}

Result<PutResult> RegistryClient::put(const Repository& repo, std::string_view ref,
                                      std::string_view bytes, std::string_view media_type,
                                      const PutCondition& condition) {
  HttpRequest req = make_request("PUT", manifest_url(repo, ref));
  req.headers.emplace_back("Content-Type", std::string(media_type));
  if (!condition.if_match.empty())
    req.headers.emplace_back("If-Match", condition.if_match);
  if (condition.if_none_match_any)
    req.headers.emplace_back("If-None-Match", "*");
  req.body = std::string(bytes);
  auto resp = send(req, repo, Access::push, false);
  if (!resp)
    return std::move(resp).error();
  if (resp->status != 201 && resp->status != 200)
    return answer_error(req, *resp);
  std::string digest = common::sha256_digest(bytes);
  if (auto stored = resp->header("docker-content-digest");
      is_sha256_digest(stored) && stored != digest)
    return make_error(ErrorKind::registry,
                      "PUT " + url_path(req.url) + ": the registry stored digest " + stored +
                          ", not the digest of the bytes sent (" + digest + ")");
  return PutResult{std::move(digest), resp->header("oci-subject")};
}

Result<void> RegistryClient::delete_manifest(const Repository& repo, std::string_view digest) {
  HttpRequest req = make_request("DELETE", manifest_url(repo, digest));
  auto resp = send(req, repo, Access::push, false);
  if (!resp)
    return std::move(resp).error();
  if (resp->status != 202 && resp->status != 200)
    return answer_error(req, *resp);
  return {};
}

Result<bool> RegistryClient::blob_exists(const Repository& repo, std::string_view digest) {
  HttpRequest req = make_request("HEAD", blob_url(repo, digest));
  auto resp = send(req, repo, Access::pull, true);
  if (!resp)
    return std::move(resp).error();
  if (resp->status == 200)
    return true;
  if (resp->status == 404)
    return false;
  return answer_error(req, *resp);
}

Result<std::string> RegistryClient::get_blob(const Repository& repo, std::string_view digest,
                                             std::size_t max_size) {
  if (!is_sha256_digest(digest))
    return make_error(ErrorKind::registry, "invalid blob digest '" + std::string(digest) + "'");
  HttpRequest req = make_request("GET", blob_url(repo, digest));
  req.max_body = max_size;
  // Hashed as the bytes arrive; every attempt (retry, auth round) starts afresh.
  std::optional<common::Sha256> hash;
  std::string bytes;
  req.body_sink = [&](std::string_view chunk) {
    hash->update(chunk);
    bytes.append(chunk);
    return true;
  };
  auto restart = [&] {
    hash.emplace();
    bytes.clear();
  };
  auto resp = send(req, repo, Access::pull, true, restart);
  if (!resp) {
    if (resp.error().kind() == ErrorKind::limit)
      return make_error(ErrorKind::limit, "GET " + url_path(req.url) +
                                              ": the blob is larger than the limit of " +
                                              std::to_string(max_size) + " bytes");
    return std::move(resp).error();
  }
  if (resp->status != 200)
    return answer_error(req, *resp);
  if (auto got = hash->finish_digest(); got != digest)
    return make_error(ErrorKind::registry, "GET " + url_path(req.url) +
                                               ": the blob's bytes hash to " + got +
                                               " (truncated or corrupted)");
  return bytes;
}

Result<void> RegistryClient::put_blob(const Repository& repo, std::string_view digest,
                                      std::string_view bytes) {
  auto exists = blob_exists(repo, digest);
  if (!exists)
    return std::move(exists).error();
  if (*exists)
    return {};
  return upload_blob(repo, digest, bytes);
}

Result<void> RegistryClient::upload_blob(const Repository& repo, std::string_view digest,
                                         std::string_view bytes) {
  HttpRequest start = make_request("POST", base(repo) + "/blobs/uploads/");
  auto started = send(start, repo, Access::push, false);
  if (!started)
    return std::move(started).error();
  if (started->status != 202)
    return answer_error(start, *started);
  std::string location = started->header("location");
  if (location.empty())
    return make_error(ErrorKind::registry,
                      "POST " + url_path(start.url) + ": no Location header in the answer");
  if (location.rfind("http://", 0) != 0 && location.rfind("https://", 0) != 0)
    location = origin(repo) + (location.front() == '/' ? "" : "/") + location;
  if (auto clear = refuse_plain_http(location, "upload location"); !clear)
    return std::move(clear).error().context("POST " + url_path(start.url));
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + url_encode(digest);
  HttpRequest put = make_request("PUT", location);
  put.headers.emplace_back("Content-Type", "application/octet-stream");
  put.body = std::string(bytes);
  auto done = send(put, repo, Access::push, false);
  if (!done)
    return std::move(done).error();
  if (done->status != 201)
    return answer_error(put, *done);
  return {};
}

Result<std::vector<std::string>> RegistryClient::list_tags(const Repository& repo) {
  constexpr std::size_t kMaxTags = 1000000;
  std::vector<std::string> tags;
  auto walked = walk_tag_pages(
      repo, base(repo) + "/tags/list", [&](std::vector<std::string>& page, const std::string& url) {
        for (auto& t : page)
          tags.push_back(std::move(t));
        if (tags.size() > kMaxTags)
          return Result<bool>(make_error(ErrorKind::limit, "GET " + url_path(url) + ": more than " +
                                                               std::to_string(kMaxTags) + " tags"));
        return Result<bool>(true);
      });
  if (!walked)
    return std::move(walked).error();
  return tags;
}

Result<bool> RegistryClient::has_tag(const Repository& repo, std::string_view tag) {
  // The registry's tag list, a different path from the manifest's: a cache or replica that
  // answers 404 for the manifest does not make the list forget the tag. A registry that
  // honours "last" (OCI distribution) starts the list just before the tag: every valid tag
  // character sorts below '~', so no tag falls between "<tag minus last char>~" and the tag.
  std::string last(tag);
  if (!last.empty())
    last.back() = static_cast<char>(last.back() - 1);
  last += '~';
  bool found = false;
  const std::string wanted(tag);
  auto walked = walk_tag_pages(
      repo, base(repo) + "/tags/list?n=100&last=" + url_encode(last),
      [&](const std::vector<std::string>& page, const std::string&) {
        bool past = false;
        for (const auto& t : page) {
          found = found || t == wanted;
          past = past || t > wanted; // lists are in lexical order: the tag cannot come later
        }
        return Result<bool>(!found && !past);
      });
  if (!walked)
    return std::move(walked).error();
  return found;
}

Result<Referrers> RegistryClient::list_referrers(const Repository& repo, std::string_view digest,
                                                 std::string_view artifact_type) {
  if (auto ok = common::validate_sha256_digest(digest); !ok)
    return std::move(ok).error().context("listing the referrers of " + repo.str());
  std::string url = base(repo) + "/referrers/" + std::string(digest);
  if (!artifact_type.empty())
    url += "?artifactType=" + url_encode(artifact_type);
  // No bound on empty pages: distribution-spec v1.1 leaves paging to the registry, so a page may
  // hold no descriptor and still link to the next (one that pages before it filters, say).
  // kMaxReferrerPages and kMaxReferrers bound the listing instead.
  const PagedList list{.name = "referrers list",
                       .page = "referrers page",
                       .max_pages = kMaxReferrerPages,
                       .accept = std::string(kOciIndex),
                       .max_body = options_.max_manifest_size};
  Referrers out;
  auto walked = walk_pages(repo, std::move(url), list,
                           [&](const HttpRequest& req, HttpResponse& resp, std::size_t page) {
                             return read_referrers_page(req, resp, page, artifact_type, out);
                           });
  if (!walked)
    return std::move(walked).error();
  return out;
}

// One page of a referrers list into out. distribution-spec v1.1: a registry without the API
// answers 404; go-containerregistry (cosign) also takes 400, 406 and a 200 of another
// Content-Type for "no API", and so does isign, for the first page only and only when the
// registry answered itself: GHCR redirects to a rate-limited HTML page, which is no "none".
Result<PageSeen> RegistryClient::read_referrers_page(const HttpRequest& req,
                                                     const HttpResponse& resp, std::size_t page,
                                                     std::string_view artifact_type,
                                                     Referrers& out) {
  const std::string content_type = bare_media_type(resp.header("content-type"));
  const bool redirected = !resp.effective_url.empty() && resp.effective_url != req.url;
  if (resp.status != 200 || content_type != kOciIndex) {
    const bool no_api =
        resp.status == 404 || resp.status == 400 || resp.status == 406 || resp.status == 200;
    if (page == 1 && !redirected && no_api) {
      out.api = false;
      return PageSeen{0, false};
    }
    if (!redirected && resp.status != 200)
      return answer_error(req, resp);
    return make_error(ErrorKind::registry,
                      "GET " + url_path(req.url) + ": " +
                          (redirected ? "redirected to " + detail::origin_of(resp.effective_url) +
                                            url_path(resp.effective_url) + ", which answered "
                                      : "the registry answered ") +
                          std::to_string(resp.status) + " with Content-Type " +
                          quote_text(content_type) + ", not an image index");
  }
  auto descriptors = detail::parse_referrers_page(resp.body);
  if (!descriptors)
    return std::move(descriptors).error().context("GET " + url_path(req.url));
  const std::size_t entries = descriptors->size();
  // A registry that filtered says so; otherwise the filter is ours to apply.
  const bool filtered = artifact_type.empty() ||
                        detail::filter_applied(resp.header("oci-filters-applied"), "artifactType");
  for (auto& d : *descriptors)
    if (filtered || d.artifact_type == artifact_type)
      out.descriptors.push_back(std::move(d));
  if (out.descriptors.size() > kMaxReferrers)
    return make_error(ErrorKind::limit, "GET " + url_path(req.url) + ": more than " +
                                            std::to_string(kMaxReferrers) + " referrers");
  return PageSeen{entries, true};
}

// --- URLs --------------------------------------------------------------------------------------

// Plain HTTP only with --allow-http-registry, never as a silent fallback, not even for
// localhost or 127.0.0.0/8 (docker retries those over HTTP after HTTPS fails): a fallback would
// let anything that breaks TLS on the port downgrade the connection, and a registry that speaks
// only HTTP gets an error naming the flag instead (see curl_transport.cpp).
std::string RegistryClient::origin(const Repository& repo) const {
  return std::string(options_.allow_http ? "http://" : "https://") + repo.api_host();
}

// The "next" URL of a Link header (RFC 8288), absolute; "" when there is none.
std::string RegistryClient::next_link(const std::string& link, const Repository& repo) const {
  if (link.empty() || link.find("rel=\"next\"") == std::string::npos)
    return "";
  auto lt = link.find('<');
  auto gt = link.find('>', lt);
  if (lt == std::string::npos || gt == std::string::npos)
    return "";
  std::string target = link.substr(lt + 1, gt - lt - 1);
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0)
    return target;
  return origin(repo) + (target.front() == '/' ? "" : "/") + target;
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
    if (!resp) {
      if (resp.error().kind() == ErrorKind::limit)
        return make_error(ErrorKind::limit, "GET " + url_path(req.url) + ": the " + page_name +
                                                " is larger than the limit of " +
                                                std::to_string(req.max_body) + " bytes");
      return std::move(resp).error();
    }
    auto seen = on_page(req, *resp, pages);
    if (!seen)
      return std::move(seen).error();
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

// The tag list's pages as lists of tags, to on_page with the URL of each.
Result<void> RegistryClient::walk_tag_pages(
    const Repository& repo, std::string url,
    const std::function<Result<bool>(std::vector<std::string>& page, const std::string& url)>&
        on_page) {
  constexpr std::size_t kMaxPages = 10000;
  // A tag page holds the tags after the previous page's last (distribution-spec "Listing Tags"):
  // empty pages that keep linking onwards are a registry paging forever.
  const PagedList list{.name = "tag list",
                       .page = "tag page",
                       .max_pages = kMaxPages,
                       .max_body = HttpRequest{}.max_body,
                       .max_empty_pages = 3};
  return walk_pages(repo, std::move(url), list,
                    [&](const HttpRequest& req, HttpResponse& resp, std::size_t) {
                      auto page = parse_tag_page(req, resp, repo);
                      if (!page)
                        return Result<PageSeen>(std::move(page).error());
                      const std::size_t entries = page->size();
                      auto more = on_page(*page, req.url);
                      if (!more)
                        return Result<PageSeen>(std::move(more).error());
                      return Result<PageSeen>(PageSeen{entries, *more});
                    });
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
  return detail::origin_of(url) == detail::origin_of(origin(repo));
}

// Sends with auth: a cached authorization first; on 401 one challenge round, then again.
// restart runs before every attempt, so a streaming body sink can start afresh.
Result<HttpResponse> RegistryClient::send(HttpRequest req, const Repository& repo, Access access,
                                          bool idempotent, const std::function<void()>& restart) {
  const std::size_t base_headers = req.headers.size();
  const bool own_host = same_origin(req.url, repo);
  // A given token is sent as is, so nobody waits for an answer that brings no token.
  std::optional<detail::Authenticator::FirstRequest> first;
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
    if (!fresh)
      return std::move(fresh).error();
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
    if (options_.deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *options_.deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return make_error(ErrorKind::network,
                          req.method + " " + url_path(req.url) +
                              ": the overall deadline passed before the request could be sent "
                              "(--deadline sets it)");
      req.timeout = left;
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
      if (long after = detail::parse_retry_after(resp->header("retry-after")); after >= 0)
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
      if (!resp)
        return std::move(resp).error().context(req.method + " " + url_path(req.url));
      return resp;
    }
    wait_before_retry(wait_ms);
  }
}

// Never past the overall deadline: the next attempt then fails at once, naming it.
void RegistryClient::wait_before_retry(long wait_ms) const {
  if (options_.deadline)
    wait_ms = std::min<long>(
        wait_ms, std::max<long>(
                     0, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              *options_.deadline - std::chrono::steady_clock::now())
                                              .count())));
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
  if (!digest)
    return std::move(digest).error();
  return PutResult{std::move(*digest), ""};
}

std::unique_ptr<Client> Client::create(ClientOptions options,
                                       std::unique_ptr<Transport> transport) {
  if (!transport)
    transport = make_curl_transport(options.transport);
  return std::make_unique<ScrubbingClient>(std::move(options), std::move(transport));
}

} // namespace isign::registry
