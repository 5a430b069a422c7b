#include "registry/resolve.h"

#include "registry/media_types.h"

#include "registry/index.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

std::string normalized_variant(const Platform& p) {
  return p.architecture == "arm64" && p.variant == "v8" ? std::string() : p.variant;
}

// not_found for a platform that no child of the index has; lists what it has (bounded: the index
// is the registry's text).
common::Error no_such_platform(const Reference& ref, const std::string& index_digest,
                               const std::vector<Target>& children, const Platform& want) {
  constexpr std::size_t kMaxListed = 20;
  std::string have;
  std::size_t listed = 0, platforms = 0;
  for (const auto& c : children)
    if (c.platform && ++platforms <= kMaxListed)
      have += (listed++ ? ", " : "") + c.platform->str();
  if (platforms > kMaxListed)
    have += " and " + std::to_string(platforms - kMaxListed) + " more";
  return common::Error(ErrorKind::not_found,
                       "the index " + ref.repository.str() + "@" + index_digest +
                           " has no manifest for platform " + want.str() +
                           " (it has: " + (have.empty() ? "no platforms" : have) + ")");
}

} // namespace

Result<Platform> Platform::parse(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = text.find('/', start);
    parts.emplace_back(
        text.substr(start, slash == std::string_view::npos ? text.npos : slash - start));
    if (slash == std::string_view::npos)
      break;
    start = slash + 1;
  }
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const auto& p : parts)
    ok = ok && !p.empty();
  if (!ok)
    return make_error(ErrorKind::usage, "invalid platform '" + std::string(text) +
                                            "': expected os/architecture[/variant], e.g. "
                                            "linux/amd64 or linux/arm64/v8");
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Result<std::vector<Target>> index_children(std::string_view index_bytes) {
  auto entries = parse_index(index_bytes);
  ISIGN_TRY(entries);
  std::vector<Target> out;
  for (auto& e : *entries) {
    Target t;
    t.role = Target::Role::child;
    t.digest = std::move(e.digest);
    t.media_type = std::move(e.media_type);
    t.size = e.size;
    if (e.has_platform)
      t.platform = Platform{std::move(e.os), std::move(e.architecture), std::move(e.variant)};
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::size_t> select_platform(const std::vector<Target>& children,
                                           const Platform& want) {
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < children.size(); ++i) {
    const auto& p = children[i].platform;
    if (!p || p->os != want.os || p->architecture != want.architecture)
      continue;
    if (!want.variant.empty()) {
      if (normalized_variant(*p) == normalized_variant(want))
        return i;
      continue;
    }
    if (normalized_variant(*p).empty())
      return i;
    if (!first)
      first = i;
  }
  return first;
}

Result<Resolution> resolve_targets(Client& client, const Reference& ref,
                                   const Selection& selection) {
  auto check_digest = [&](const std::string& got) -> Result<void> {
    if (ref.by_digest() && got != ref.digest)
      return make_error(ErrorKind::registry,
                        "the registry answered digest " + got + " for " + ref.digest);
    return {};
  };
  Resolution out;
  if (!selection.recursive && !selection.platform) {
    auto head = client.head_manifest(ref.repository, ref.identifier());
    ISIGN_TRY(head);
    ISIGN_TRY(check_digest(head->digest));
    out.digest = head->digest;
    out.media_type = head->media_type;
    out.is_index = is_index_type(head->media_type);
    Target t;
    t.role = out.is_index ? Target::Role::index : Target::Role::image;
    t.digest = head->digest;
    t.media_type = head->media_type;
    t.size = head->size;
    out.targets.push_back(std::move(t));
    return out;
  }

  // One GET gives the digest, the media type and, for an index, its children. The client decides
  // the media type by the Content-Type and the body together.
  auto manifest = client.get_manifest(ref.repository, ref.identifier());
  ISIGN_TRY(manifest);
  ISIGN_TRY(check_digest(manifest->digest));
  out.digest = manifest->digest;
  out.media_type = manifest->media_type;
  out.is_index = is_index_type(manifest->media_type);
  Target top;
  top.digest = manifest->digest;
  top.media_type = manifest->media_type;
  top.size = manifest->bytes.size();
  if (!out.is_index) {
    out.targets.push_back(std::move(top));
    return out;
  }
  top.role = Target::Role::index;
  auto children = index_children(manifest->bytes);
  ISIGN_TRY_CONTEXT(children, "index " + top.digest);
  if (selection.platform) {
    auto pick = select_platform(*children, *selection.platform);
    if (!pick)
      return no_such_platform(ref, top.digest, *children, *selection.platform);
    out.targets.push_back((*children)[*pick]);
    return out;
  }
  out.targets.push_back(std::move(top));
  for (auto& c : *children)
    out.targets.push_back(std::move(c));
  return out;
}

} // namespace isign::registry
