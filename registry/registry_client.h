// Internal to registry/: the client behind Client::create, which wraps it to scrub secrets from its
// errors (client.cpp). Its functions are defined by concern: registry_client.cpp (construction,
// URLs, paged lists, sending with auth, retries and backoff), manifests.cpp, blobs.cpp, tags.cpp
// and referrers.cpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/auth.h"
#include "registry/client_types.h"
#include "registry/http_util.h"
#include "registry/reference.h"
#include "registry/secret_mask.h"
#include "registry/transport.h"

namespace isign::registry::detail {

// Whether ref is a digest ("algorithm:hex") rather than a tag.
bool is_digest(std::string_view ref);
// Whether d is "sha256:<64 lowercase hex>".
bool is_sha256_digest(std::string_view d);
// e with "<repo>[:tag|@digest] not found" for context when it is a not_found error; e otherwise.
common::Error not_found_context(common::Error e, const Repository& repo, std::string_view ref);
// For a limit error of req (its answer was larger than req.max_body), the one that says what was
// too large: "GET /v2/...: the <what> is larger than the limit of N bytes"; e otherwise.
common::Error too_large_context(common::Error e, const HttpRequest& req, std::string_view what);

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
using OnPage = std::function<common::Result<PageSeen>(const HttpRequest& req, HttpResponse& resp,
                                                      std::size_t page)>;

// The distribution API for a whole run: one transport, one auth and its token cache, one count of
// requests. Thread-safe, as Client is.
class RegistryClient {
public:
  // Every credential in options is added to secrets, and so is every secret auth sends later.
  RegistryClient(ClientOptions options, std::unique_ptr<Transport> transport,
                 std::shared_ptr<SecretMask> secrets);

  // As Client's functions of the same names (client.h), with errors not yet scrubbed of the
  // secrets sent.
  common::Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref);
  common::Result<Manifest> get_manifest(const Repository& repo, std::string_view ref);
  common::Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                           std::string_view bytes, std::string_view media_type,
                                           const PutCondition& condition);
  common::Result<void> delete_manifest(const Repository& repo, std::string_view digest);
  common::Result<bool> blob_exists(const Repository& repo, std::string_view digest);
  common::Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                                       std::size_t max_size);
  common::Result<void> put_blob(const Repository& repo, std::string_view digest,
                                std::string_view bytes);
  common::Result<void> upload_blob(const Repository& repo, std::string_view digest,
                                   std::string_view bytes);
  common::Result<MountOutcome>
  mount_blob(const Repository& repo, std::string_view digest, const Repository& from,
             const std::function<common::Result<std::string>()>& fetch);
  common::Result<std::vector<std::string>> list_tags(const Repository& repo);
  common::Result<bool> has_tag(const Repository& repo, std::string_view tag);
  common::Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                           std::string_view artifact_type);
  common::Result<PutResult> put_manifest_with_subject(const Repository& repo, std::string_view ref,
                                                      std::string_view bytes,
                                                      std::string_view media_type) {
    return put(repo, ref, bytes, media_type, PutCondition{});
  }
  std::size_t request_count() const { return requests_.load(); }
  std::size_t connection_count() const { return transport_->connection_count(); }

private:
  common::Result<PutResult> put(const Repository& repo, std::string_view ref,
                                std::string_view bytes, std::string_view media_type,
                                const PutCondition& condition);
  // The PUT ?digest= that ends the upload start (a POST) began with its answer started.
  common::Result<void> finish_upload(const Repository& repo, const HttpRequest& start,
                                     const HttpResponse& started, std::string_view digest,
                                     std::string_view bytes);
  common::Result<PageSeen> read_referrers_page(const HttpRequest& req, const HttpResponse& resp,
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
  std::string absolute_url(const std::string& url, const Repository& repo) const;
  std::string next_link(const std::string& link, const Repository& repo) const;
  common::Result<void> walk_pages(const Repository& repo, std::string url, const PagedList& list,
                                  const OnPage& on_page);
  common::Result<void>
  walk_tag_pages(const Repository& repo, std::string url,
                 const std::function<common::Result<bool>(std::vector<std::string>& page,
                                                          const std::string& url)>& on_page);
  common::Result<void> refuse_plain_http(const std::string& url, const std::string& what) const;
  // The registry's answer as an error, with every secret sent masked in its text.
  common::Error answer_error(const HttpRequest& req, const HttpResponse& resp) const {
    return http_error(req, resp, secrets_.get());
  }

  bool same_origin(const std::string& url, const Repository& repo) const;
  common::Result<HttpResponse> send(HttpRequest req, const Repository& repo, Access access,
                                    bool idempotent, const std::function<void()>& restart = {});
  common::Result<HttpResponse> send_raw(HttpRequest& req, bool idempotent,
                                        const std::function<void()>& restart = {});
  void wait_before_retry(long wait_ms) const;
  long backoff_ms(int attempt) const;

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  std::shared_ptr<SecretMask> secrets_;
  Authenticator auth_;
  std::atomic<std::size_t> requests_{0};
};

} // namespace isign::registry::detail
