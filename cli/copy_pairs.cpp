#include "cli/copy_pairs.h"

#include "cli/cli.h"

#include <algorithm>
#include <sstream>

namespace isign::cli {

using common::ErrorKind;
using common::make_error;
using common::Result;

Result<CopyPair> make_copy_pair(std::string_view src, std::string_view dst) {
  CopyPair out;
  out.src_text = std::string(src);
  out.dst_text = std::string(dst);
  auto s = registry::Reference::parse(src);
  ISIGN_TRY_CONTEXT(s, "the source");
  auto d = registry::Reference::parse(dst);
  ISIGN_TRY_CONTEXT(d, "the destination");
  out.src = std::move(*s);
  out.dst = std::move(*d);
  if (out.src.by_digest() && out.dst.by_digest() && out.src.digest != out.dst.digest)
    return make_error(ErrorKind::usage, "the destination '" + out.dst_text + "' names digest " +
                                            out.dst.digest + ", not the source's " +
                                            out.src.digest + " (a copy keeps digests)");
  if (!out.dst.tag.empty())
    out.dst_tag = out.dst.tag;
  else if (!out.dst.by_digest())
    out.dst_tag = out.src.tag.empty() && !out.src.by_digest() ? "latest" : out.src.tag;
  return out;
}

Result<std::vector<CopyPair>> parse_copy_pairs(std::string_view text, std::string_view path) {
  std::vector<CopyPair> out;
  std::istringstream in{std::string(text)};
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos)
      line.erase(hash);
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;)
      w.push_back(word);
    if (w.empty())
      continue;
    const std::string where = std::string(path) + ":" + std::to_string(n);
    if (w.size() != 2)
      return make_error(ErrorKind::usage, where + ": expected 'SRC DST', found " +
                                              std::to_string(w.size()) +
                                              (w.size() == 1 ? " word" : " words"));
    auto pair = make_copy_pair(w[0], w[1]);
    ISIGN_TRY_CONTEXT(pair, where);
    pair->line = n;
    out.push_back(std::move(*pair));
  }
  return out;
}

Result<void> parse_only(std::string_view list, cosign::TransferOptions& options) {
  options.sig = options.att = options.bundle = false;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, comma - start);
    if (item == "sig")
      options.sig = true;
    else if (item == "att")
      options.att = true;
    else if (item == "bundle")
      options.bundle = true;
    else
      return make_error(ErrorKind::usage, "--only: unknown item '" + std::string(item) +
                                              "' (use sig, att, bundle, comma-separated)");
    start = comma + 1;
  }
  return {};
}

std::string copy_summary(std::string_view verb, std::string_view src, std::string_view dst,
                         const cosign::SignedImageCopy& c) {
  const auto& i = c.image.counts;
  const auto& a = c.attached;
  std::ostringstream out;
  out << verb << " " << src << " -> " << dst << "@" << c.image.digest << ": " << i.manifests_copied
      << " manifests written, " << i.manifests_present << " present; blobs " << i.blobs_uploaded
      << " uploaded, " << i.blobs_mounted << " mounted, " << i.blobs_present
      << " present; attached " << a.copy.manifests_copied << " written, "
      << a.copy.manifests_present << " present";
  if (a.tags_merged)
    out << ", " << a.tags_merged << " merged";
  if (a.tags_replaced)
    out << ", " << a.tags_replaced << " replaced";
  if (a.index_entries)
    out << ", " << a.index_entries << " listed in the referrers index";
  out << " (blobs " << a.copy.blobs_uploaded << " uploaded, " << a.copy.blobs_mounted
      << " mounted, " << a.copy.blobs_present << " present)";
  return one_line(out.str());
}

} // namespace isign::cli
