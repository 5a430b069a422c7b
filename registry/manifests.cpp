// Manifests: HEAD, GET, PUT and DELETE; every digest an answer names or hashes to is checked.
#include "registry/registry_client.h"

#include "common/digest.h"
#include "registry/media_types.h"
#include "registry/reference_rules.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

const std::string kManifestAccept = std::string(kOciManifest) + ", " + std::string(kOciIndex) +
                                    ", " + std::string(kDockerManifest) + ", " +
                                    std::string(kDockerManifestList);

// ref goes into the URL path: anything but a tag or a digest ("../../other/manifests/v1", a
// layout's ref.name pushed by load) would address another repository once dot segments resolve.
Result<void> check_ref(const Repository& repo, std::string_view ref) {
  const std::string problem =
      ref.find(':') != std::string_view::npos ? digest_problem(ref) : tag_problem(ref);
  if (problem.empty())
    return {};
  return make_error(ErrorKind::usage,
                    "invalid reference " + quoted(ref) + " in " + repo.str() + ": " + problem);
}

} // namespace

Result<Descriptor> RegistryClient::head_manifest(const Repository& repo, std::string_view ref) {
  ISIGN_TRY(check_ref(repo, ref));
  HttpRequest req = make_request("HEAD", manifest_url(repo, ref));
  req.headers.emplace_back("Accept", kManifestAccept);
  auto resp = send(req, repo, Access::pull, true);
  ISIGN_TRY(resp);
  if (resp->status != 200)
    return not_found_context(answer_error(req, *resp), repo, ref);
  std::string digest = resp->header("docker-content-digest");
  if (!is_sha256_digest(digest)) {
    // Some registries omit the digest on HEAD: the bytes tell.
    auto m = get_manifest(repo, ref);
    ISIGN_TRY(m);
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
  ISIGN_TRY(check_ref(repo, ref));
  HttpRequest req = make_request("GET", manifest_url(repo, ref));
  req.headers.emplace_back("Accept", kManifestAccept);
  req.max_body = options_.max_manifest_size;
  auto resp = send(req, repo, Access::pull, true);
  if (!resp)
    return too_large_context(std::move(resp).error(), req, "manifest");
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
  ISIGN_TRY_CONTEXT(type, "GET " + url_path(req.url));
  m.media_type = std::move(*type);
  m.etag = resp->header("etag");
  return m;
}

Result<std::string> RegistryClient::put_manifest(const Repository& repo, std::string_view ref,
                                                 std::string_view bytes,
                                                 std::string_view media_type,
                                                 const PutCondition& condition) {
  auto put_result = put(repo, ref, bytes, media_type, condition);
  ISIGN_TRY(put_result);
  return std::move(put_result->digest);
}

Result<PutResult> RegistryClient::put(const Repository& repo, std::string_view ref,
                                      std::string_view bytes, std::string_view media_type,
                                      const PutCondition& condition) {
  ISIGN_TRY(check_ref(repo, ref));
  HttpRequest req = make_request("PUT", manifest_url(repo, ref));
  req.headers.emplace_back("Content-Type", std::string(media_type));
  if (!condition.if_match.empty())
    req.headers.emplace_back("If-Match", condition.if_match);
  if (condition.if_none_match_any)
    req.headers.emplace_back("If-None-Match", "*");
  req.body = std::string(bytes);
  auto resp = send(req, repo, Access::push, false);
  ISIGN_TRY(resp);
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
  ISIGN_TRY(check_ref(repo, digest));
  HttpRequest req = make_request("DELETE", manifest_url(repo, digest));
  auto resp = send(req, repo, Access::push, false);
  ISIGN_TRY(resp);
  if (resp->status != 202 && resp->status != 200)
    return answer_error(req, *resp);
  return {};
}

} // namespace isign::registry::detail
