// Blobs: existence, GET hashed while it streams, and monolithic uploads.
#include "registry/registry_client.h"

#include <optional>

#include "common/digest.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

Result<bool> RegistryClient::blob_exists(const Repository& repo, std::string_view digest) {
  HttpRequest req = make_request("HEAD", blob_url(repo, digest));
  auto resp = send(req, repo, Access::pull, true);
  ISIGN_TRY(resp);
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
    // Callers bound a blob by its descriptor's size: a large one (an SBOM's envelope) gets its
    // room at once rather than by doubling, which would hold up to twice its size.
    if (bytes.empty() && max_size >= (1u << 20) && max_size <= (256u << 20))
      bytes.reserve(max_size);
    bytes.append(chunk);
    return true;
  };
  auto restart = [&] {
    hash.emplace();
    bytes.clear();
  };
  auto resp = send(req, repo, Access::pull, true, restart);
  if (!resp)
    return too_large_context(std::move(resp).error(), req, "blob");
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
  ISIGN_TRY(exists);
  if (*exists)
    return {};
  return upload_blob(repo, digest, bytes);
}

Result<void> RegistryClient::upload_blob(const Repository& repo, std::string_view digest,
                                         std::string_view bytes) {
  HttpRequest start = make_request("POST", base(repo) + "/blobs/uploads/");
  auto started = send(start, repo, Access::push, false);
  ISIGN_TRY(started);
  if (started->status != 202)
    return answer_error(start, *started);
  return finish_upload(repo, start, *started, digest, bytes);
}

Result<MountOutcome> RegistryClient::mount_blob(const Repository& repo, std::string_view digest,
                                                const Repository& from,
                                                const std::function<Result<std::string>()>& fetch) {
  if (!is_sha256_digest(digest))
    return make_error(ErrorKind::registry, "invalid blob digest '" + std::string(digest) + "'");
  if (from.registry != repo.registry || from.name == repo.name)
    return MountOutcome::unsupported;
  HttpRequest start =
      make_request("POST", base(repo) + "/blobs/uploads/?mount=" + url_encode(digest) +
                               "&from=" + url_encode(from.name));
  auto started = send(start, repo, Access::push, false);
  ISIGN_TRY(started);
  if (started->status == 201)
    return MountOutcome::mounted;
  // distribution-spec "Mounting a blob from another repository": a registry that cannot mount
  // (no such blob there, no pull access to it, no mount support) MAY start an upload instead.
  if (started->status != 202)
    return answer_error(start, *started);
  auto bytes = fetch();
  ISIGN_TRY(bytes);
  ISIGN_TRY(finish_upload(repo, start, *started, digest, *bytes));
  return MountOutcome::uploaded;
}

Result<void> RegistryClient::finish_upload(const Repository& repo, const HttpRequest& start,
                                           const HttpResponse& started, std::string_view digest,
                                           std::string_view bytes) {
  std::string location = started.header("location");
  if (location.empty())
    return make_error(ErrorKind::registry,
                      "POST " + url_path(start.url) + ": no Location header in the answer");
  location = absolute_url(location, repo);
  ISIGN_TRY_CONTEXT(refuse_plain_http(location, "upload location"), "POST " + url_path(start.url));
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + url_encode(digest);
  HttpRequest put = make_request("PUT", location);
  put.headers.emplace_back("Content-Type", "application/octet-stream");
  put.body = std::string(bytes);
  auto done = send(put, repo, Access::push, false);
  ISIGN_TRY(done);
  if (done->status != 201)
    return answer_error(put, *done);
  return {};
}

} // namespace isign::registry::detail
