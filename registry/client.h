// OCI distribution client: manifests, blobs and tags, with auth, retries and limits.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/credentials_types.h"
#include "registry/media_types.h" // the media type constants, for the callers of the client
#include "registry/reference.h"
#include "registry/transport.h"

namespace isign::registry {

struct ClientOptions {
  TransportOptions transport;
  bool allow_http = false; // --allow-http-registry: plain HTTP for every registry
  Credentials credentials; // from flags; empty means: look in auth files/helpers
  // Looks up stored credentials for a registry host when `credentials` is empty; when unset,
  // registry::find_credentials (credentials.h) is used. Tests inject their own.
  std::function<common::Result<std::optional<Credentials>>(std::string_view registry)>
      credential_lookup;
  bool use_credential_store = true;
  int max_retries = 3; // idempotent requests only (GET/HEAD)
  std::chrono::milliseconds max_backoff{8000};
  // Waits between retries; unset: std::this_thread::sleep_for. Tests record the waits instead.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::size_t max_manifest_size = 4u << 20;
  // When set, no request starts after this instant and none runs past it (--deadline): a run
  // ends in bounded time however many requests stall. Requests then fail as network errors.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// A manifest as received: its exact bytes, its media type and its digest (sha256 of the bytes).
struct Manifest {
  std::string media_type;
  std::string digest;
  std::string bytes;
  std::string etag; // the ETag header as the registry sent it; empty when it sent none
};

// Preconditions of a manifest PUT (RFC 9110 conditional requests). A registry that honours them
// refuses the PUT with 412 when the tag changed since it was read; one that does not (CNCF
// distribution 2.8) ignores them.
struct PutCondition {
  std::string if_match;           // sent as If-Match: the ETag of the manifest the new one replaces
  bool if_none_match_any = false; // If-None-Match: *, the tag must not exist yet
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::size_t size = 0;
};

// What a manifest PUT answered: the digest of the bytes sent, and the answer's OCI-Subject header
// ("" when absent). A registry that sets it to the manifest's subject digest has added the manifest
// to its referrers list (distribution-spec v1.1); one that does not leaves the referrers tag to the
// client.
struct PutResult {
  std::string digest;
  std::string oci_subject;
};

// One descriptor of a referrers list (an OCI index's manifests[] entry), as the registry gave it.
struct ReferrerDescriptor {
  std::string media_type;
  std::string digest; // "sha256:<hex>", validated
  std::size_t size = 0;
  std::string artifact_type;                      // "" when absent
  std::map<std::string, std::string> annotations; // string values only
};

// The referrers of a manifest. api false: the registry has no referrers API (it answered 404, 400,
// 406, or a 200 of another Content-Type than an OCI index): callers fall back to the referrers tag.
struct Referrers {
  bool api = true;
  std::vector<ReferrerDescriptor> descriptors; // when api: every page's, in the registry's order
};

// A referrers list longer than this, or in more pages than kMaxReferrerPages, is a limit error.
inline constexpr std::size_t kMaxReferrers = 10000;
inline constexpr std::size_t kMaxReferrerPages = 1000;

enum class Access { pull, push };

// One Client serves a whole run: it reuses connections and caches tokens per registry and scope.
// Thread-safe: several threads may call it at once (verify checks several images concurrently).
class Client {
public:
  // transport may be null: a curl transport is built from options.transport.
  static std::unique_ptr<Client> create(ClientOptions options,
                                        std::unique_ptr<Transport> transport = nullptr);
  virtual ~Client() = default;

  // HEAD, falling back to GET when the registry gives no digest. not_found if absent.
  virtual common::Result<Descriptor> head_manifest(const Repository& repo,
                                                   std::string_view tag_or_digest) = 0;
  // GET with Accept for OCI/Docker manifests and indexes; digest checked against the request
  // (when by digest) and Docker-Content-Digest. not_found if absent.
  virtual common::Result<Manifest> get_manifest(const Repository& repo,
                                                std::string_view tag_or_digest) = 0;
  // PUT; returns the digest of bytes. A refused precondition is a registry error with
  // error.http_status() == 412: callers test that, never the message.
  virtual common::Result<std::string>
  put_manifest(const Repository& repo, std::string_view tag_or_digest, std::string_view bytes,
               std::string_view media_type, const PutCondition& condition) = 0;
  common::Result<std::string> put_manifest(const Repository& repo, std::string_view tag_or_digest,
                                           std::string_view bytes, std::string_view media_type) {
    return put_manifest(repo, tag_or_digest, bytes, media_type, PutCondition{});
  }
  // PUT, unconditional, as put_manifest, also returning the answer's OCI-Subject header: how a
  // referrer's writer learns whether the registry listed it. The default (for test doubles) calls
  // put_manifest and reports no OCI-Subject, which leaves the referrers tag to the caller.
  virtual common::Result<PutResult> put_manifest_with_subject(const Repository& repo,
                                                              std::string_view tag_or_digest,
                                                              std::string_view bytes,
                                                              std::string_view media_type);
  virtual common::Result<void> delete_manifest(const Repository& repo, std::string_view digest) = 0;

  virtual common::Result<bool> blob_exists(const Repository& repo, std::string_view digest) = 0;
  // GET into memory, refusing more than max_size; sha256 checked while streaming.
  virtual common::Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                                               std::size_t max_size) = 0;
  // Uploads unless it exists (POST then PUT ?digest=); monolithic.
  virtual common::Result<void> put_blob(const Repository& repo, std::string_view digest,
                                        std::string_view bytes) = 0;
  // put_blob without asking first whether the blob is there: for blobs that are new nearly every
  // time (a signature's payload, the .sig config, a bundle), one request fewer. Uploading a blob
  // the registry has already is harmless. Unless overridden: put_blob.
  virtual common::Result<void> upload_blob(const Repository& repo, std::string_view digest,
                                           std::string_view bytes) {
    return put_blob(repo, digest, bytes);
  }

  // Every tag, following Link: rel="next" pages (bounded in pages and tags).
  virtual common::Result<std::vector<std::string>> list_tags(const Repository& repo) = 0;
  // Whether the repository's tag list has tag (read from the list, not the manifest: a second
  // opinion when a manifest GET answered 404). Reads only the pages it needs.
  virtual common::Result<bool> has_tag(const Repository& repo, std::string_view tag) = 0;

  // GET /v2/<name>/referrers/<digest> (Accept: OCI index), following Link rel="next" pages
  // (bounded by kMaxReferrerPages and kMaxReferrers; each page by max_manifest_size, a limit
  // error). artifact_type, when not empty, is sent as ?artifactType= and applied here to pages
  // whose answer lacks OCI-Filters-Applied: artifactType. A usage error unless digest is
  // sha256:<64 hex>. Only the first page's answer can say "no API" (api false); 401/403 after
  // auth, 429, 5xx, a redirect to anything but an index, a timeout and a malformed index are
  // errors.
  virtual common::Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                                   std::string_view artifact_type = {}) = 0;

  // For benchmarks: the HTTP requests sent so far, token requests and retries included.
  virtual std::size_t request_count() const = 0;
  // For benchmarks: the TCP connections opened so far (0 where the transport does not count).
  virtual std::size_t connection_count() const { return 0; }
};

} // namespace isign::registry
