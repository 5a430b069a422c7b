// The tag list: every tag, and whether one tag is listed, read page by page.
#include "registry/registry_client.h"

#include "registry/json_util.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// A tag list page's tags.
Result<std::vector<std::string>> parse_tag_page(const HttpRequest& req, const HttpResponse& resp,
                                                const Repository& repo) {
  if (resp.status != 200)
    return not_found_context(http_error(req, resp), repo, "");
  auto doc = parse_json(resp.body);
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

} // namespace

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
  ISIGN_TRY(walked);
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
  ISIGN_TRY(walked);
  return found;
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

} // namespace isign::registry::detail
