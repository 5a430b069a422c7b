// Listing referrers (distribution-spec v1.1): the client's list_referrers over every page, and the
// strict reading of one page.
#include "registry/referrers.h"

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "registry/json_util.h"
#include "registry/media_types.h"
#include "registry/registry_client.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

Result<ReferrerDescriptor> parse_descriptor(const nlohmann::json& m, std::size_t index) {
  const std::string where = "manifests[" + std::to_string(index) + "] of the referrers list";
  auto malformed = [&](const std::string& what) {
    return make_error(ErrorKind::registry, where + " " + what);
  };
  if (!m.is_object())
    return malformed("is not an object");
  ReferrerDescriptor d;
  auto media_type = m.find("mediaType");
  if (media_type == m.end() || !media_type->is_string())
    return malformed("has no string mediaType");
  d.media_type = media_type->get<std::string>();
  auto digest = m.find("digest");
  if (digest == m.end() || !digest->is_string())
    return malformed("has no string digest");
  d.digest = digest->get<std::string>();
  // The digest goes into the URL of the next request: only sha256, as everywhere in isign.
  if (auto ok = common::validate_sha256_digest(d.digest); !ok)
    return malformed("has " + ok.error().message());
  // Go's int64 is what every other reader decodes a size into: anything beyond is malformed.
  auto size = m.find("size");
  if (size == m.end() || !size->is_number_integer() ||
      (size->is_number_unsigned()
           ? size->get<std::uint64_t>() >
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
           : size->get<std::int64_t>() < 0))
    return malformed("has no non-negative integer size");
  d.size = static_cast<std::size_t>(size->get<std::uint64_t>());
  if (auto at = m.find("artifactType"); at != m.end()) {
    if (!at->is_string())
      return malformed("has an artifactType that is not a string");
    d.artifact_type = at->get<std::string>();
  }
  if (auto annotations = m.find("annotations"); annotations != m.end() && !annotations->is_null()) {
    if (!annotations->is_object())
      return malformed("has annotations that are not an object");
    for (auto it = annotations->begin(); it != annotations->end(); ++it) {
      if (!it->is_string())
        return malformed("has an annotation whose value is not a string");
      d.annotations.emplace(it.key(), it->get<std::string>());
    }
  }
  return d;
}

} // namespace

Result<std::vector<ReferrerDescriptor>> parse_referrers_page(std::string_view bytes) {
  auto doc = parse_json(bytes);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::registry, "the referrers list is not a JSON object");
  if (auto mt = doc.find("mediaType");
      mt != doc.end() && (!mt->is_string() || mt->get<std::string>() != kOciIndex))
    return make_error(ErrorKind::registry,
                      "the referrers list's mediaType is not " + std::string(kOciIndex));
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array())
    return make_error(ErrorKind::registry, "the referrers list has no manifests array");
  if (manifests->size() > kMaxReferrers)
    return make_error(ErrorKind::limit, "the referrers list has more than " +
                                            std::to_string(kMaxReferrers) + " entries");
  std::vector<ReferrerDescriptor> out;
  out.reserve(manifests->size());
  for (const auto& m : *manifests) {
    auto d = parse_descriptor(m, out.size());
    ISIGN_TRY(d);
    out.push_back(std::move(*d));
  }
  return out;
}

bool filter_applied(std::string_view header_value, std::string_view filter) {
  while (!header_value.empty()) {
    auto comma = header_value.find(',');
    auto item = header_value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item == filter)
      return true;
    if (comma == std::string_view::npos)
      break;
    header_value.remove_prefix(comma + 1);
  }
  return false;
}

Result<Referrers> RegistryClient::list_referrers(const Repository& repo, std::string_view digest,
                                                 std::string_view artifact_type) {
  ISIGN_TRY_CONTEXT(common::validate_sha256_digest(digest),
                    "listing the referrers of " + repo.str());
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
  ISIGN_TRY(walked);
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
                          (redirected ? "redirected to " + origin_of(resp.effective_url) +
                                            url_path(resp.effective_url) + ", which answered "
                                      : "the registry answered ") +
                          std::to_string(resp.status) + " with Content-Type " +
                          quote_text(content_type) + ", not an image index");
  }
  auto descriptors = parse_referrers_page(resp.body);
  ISIGN_TRY_CONTEXT(descriptors, "GET " + url_path(req.url));
  const std::size_t entries = descriptors->size();
  // A registry that filtered says so; otherwise the filter is ours to apply.
  const bool filtered =
      artifact_type.empty() || filter_applied(resp.header("oci-filters-applied"), "artifactType");
  for (auto& d : *descriptors)
    if (filtered || d.artifact_type == artifact_type)
      out.descriptors.push_back(std::move(d));
  if (out.descriptors.size() > kMaxReferrers)
    return make_error(ErrorKind::limit, "GET " + url_path(req.url) + ": more than " +
                                            std::to_string(kMaxReferrers) + " referrers");
  return PageSeen{entries, true};
}

} // namespace isign::registry::detail
