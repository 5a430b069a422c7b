// OCI distribution client: manifests, blobs and tags, with auth, retries and limits.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client_types.h"
#include "registry/media_types.h" // the media type constants, for the callers of the client
#include "registry/reference.h"
#include "registry/transport.h"

namespace isign::registry {

// One Client serves a run, or a server's requests (each its own deadline: deadline.h): it reuses
// connections and caches tokens for their life. Thread-safe: several threads may call it at once.
class Client {
public:
  // Routes each call by its repository: an OCI layout ("oci:DIR", Repository::is_layout) to a
  // layout client per directory (registry/layout.h), anything else to the registry client, which
  // is made on first use (a run over layouts only never sets up curl or looks up credentials).
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
  // POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<from.name>: a blob of another repository
  // of the same registry host linked into repo without its bytes crossing the network (mounted).
  // When the registry starts an upload instead (202), the bytes fetch returns are sent through it
  // (uploaded). unsupported when nothing was asked: another host, or (the default) a client
  // without mounts; the caller then uploads.
  virtual common::Result<MountOutcome>
  mount_blob(const Repository& repo, std::string_view digest, const Repository& from,
             const std::function<common::Result<std::string>()>& fetch) {
    (void)repo, (void)digest, (void)from, (void)fetch;
    return MountOutcome::unsupported;
  }

  // Every tag, following Link: rel="next" pages (bounded in pages and tags).
  virtual common::Result<std::vector<std::string>> list_tags(const Repository& repo) = 0;
  // Whether the repository's tag list has tag (read from the list, not the manifest: a second
  // opinion when a manifest GET answered 404). Reads only the pages it needs.
  virtual common::Result<bool> has_tag(const Repository& repo, std::string_view tag) = 0;

  // GET /v2/<name>/referrers/<digest> (Accept: OCI index), following Link rel="next" pages, empty
  // ones too (bounded by kMaxReferrerPages and kMaxReferrers; each page by max_manifest_size, a
  // limit error). artifact_type, when not empty, is sent as ?artifactType= and applied here to
  // pages whose answer lacks OCI-Filters-Applied: artifactType. A usage error unless digest is
  // sha256:<64 hex>. Only the first page's answer can say "no API" (api false); 401/403 after
  // auth, 429, 5xx, a redirect to anything but an index, a timeout and a malformed index are
  // errors.
  virtual common::Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                                   std::string_view artifact_type = {}) = 0;

  // Whether reads of repo see every completed write at once and PUT conditions are honoured (an
  // OCI layout on disk): callers then skip the waits that protect against a registry's lag.
  virtual bool consistent(const Repository& repo) const {
    (void)repo;
    return false;
  }

  // For benchmarks: the HTTP requests sent so far, token requests and retries included.
  virtual std::size_t request_count() const = 0;
  // For benchmarks: the TCP connections opened so far (0 where the transport does not count).
  virtual std::size_t connection_count() const { return 0; }
};

} // namespace isign::registry
