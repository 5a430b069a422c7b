#include "registry/copy.h"

#include <nlohmann/json.hpp>

#include "common/json.h"
#include "registry/index.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;
using nlohmann::json;

CopyCounts& CopyCounts::operator+=(const CopyCounts& o) {
  manifests_copied += o.manifests_copied;
  manifests_present += o.manifests_present;
  blobs_uploaded += o.blobs_uploaded;
  blobs_mounted += o.blobs_mounted;
  blobs_present += o.blobs_present;
  bytes_uploaded += o.bytes_uploaded;
  return *this;
}

namespace {

// An index inside an index inside an index is legal and rare; deeper nesting is refused.
constexpr int kMaxDepth = 4;

Result<Descriptor> blob_descriptor(const json& d, const std::string& where) {
  if (!d.is_object())
    return make_error(ErrorKind::registry, where + " is not an object");
  auto digest = d.find("digest");
  auto size = d.find("size");
  if (digest == d.end() || !digest->is_string())
    return make_error(ErrorKind::registry, where + " has no string digest");
  if (size == d.end() || !size->is_number_unsigned())
    return make_error(ErrorKind::registry, where + " has no size");
  Descriptor out;
  out.digest = digest->get<std::string>();
  out.size = size->get<std::size_t>();
  if (auto mt = d.find("mediaType"); mt != d.end() && mt->is_string())
    out.media_type = mt->get<std::string>();
  return out;
}

} // namespace

Result<std::vector<Descriptor>> named_blobs(const Manifest& m) {
  if (is_index_type(m.media_type))
    return std::vector<Descriptor>{};
  auto doc = common::parse_strict_json(m.bytes);
  if (!doc)
    return make_error(ErrorKind::registry,
                      "the manifest is not valid JSON: " + doc.error().message());
  const json& j = *doc;
  if (!j.is_object() || !j.contains("config"))
    return make_error(ErrorKind::registry, "the manifest has no config: it is no image manifest");
  std::vector<Descriptor> out;
  auto config = blob_descriptor(j["config"], "the manifest's config");
  ISIGN_TRY(config);
  out.push_back(std::move(*config));
  auto layers = j.find("layers");
  if (layers == j.end() || layers->is_null())
    return out;
  if (!layers->is_array())
    return make_error(ErrorKind::registry, "the manifest's layers is not an array");
  for (std::size_t i = 0; i < layers->size(); ++i) {
    auto l = blob_descriptor((*layers)[i], "the manifest's layer " + std::to_string(i));
    ISIGN_TRY(l);
    out.push_back(std::move(*l));
  }
  return out;
}

Result<void> copy_blob(Client& src, const Repository& from, Client& dst, const Repository& to,
                       const Descriptor& blob, std::size_t max_size, CopyCounts& counts) {
  if (blob.size > max_size)
    return make_error(ErrorKind::limit, "blob " + blob.digest + " is " + std::to_string(blob.size) +
                                            " bytes, over the limit of " +
                                            std::to_string(max_size));
  auto exists = dst.blob_exists(to, blob.digest);
  ISIGN_TRY_CONTEXT(exists, "checking blob " + blob.digest + " at " + to.str());
  if (*exists) {
    ++counts.blobs_present;
    return {};
  }
  // The bytes are read at most once, whichever way they are sent.
  auto fetch = [&]() -> Result<std::string> {
    auto bytes = src.get_blob(from, blob.digest, max_size);
    ISIGN_TRY_CONTEXT(bytes, "fetching blob " + blob.digest + " from " + from.str());
    return bytes;
  };
  // A mount needs one registry and one set of credentials: the same client on the same host.
  if (&src == &dst && from.registry == to.registry && from.name != to.name) {
    auto mounted = dst.mount_blob(to, blob.digest, from, fetch);
    ISIGN_TRY_CONTEXT(mounted, "mounting blob " + blob.digest + " from " + from.str());
    if (*mounted == MountOutcome::mounted) {
      ++counts.blobs_mounted;
      return {};
    }
    if (*mounted == MountOutcome::uploaded) {
      ++counts.blobs_uploaded;
      counts.bytes_uploaded += blob.size;
      return {};
    }
  }
  auto bytes = fetch();
  ISIGN_TRY(bytes);
  ISIGN_TRY_CONTEXT(dst.upload_blob(to, blob.digest, *bytes),
                    "uploading blob " + blob.digest + " to " + to.str());
  ++counts.blobs_uploaded;
  counts.bytes_uploaded += bytes->size();
  return {};
}

Result<void> copy_manifest(Client& src, const Repository& from, const Manifest& m, Client& dst,
                           const Repository& to, std::size_t max_blob_size, CopyCounts& counts) {
  auto there = dst.head_manifest(to, m.digest);
  if (there) {
    ++counts.manifests_present;
    return {};
  }
  if (there.error().kind() != ErrorKind::not_found)
    return std::move(there).error().context("checking " + to.str() + "@" + m.digest);
  auto blobs = named_blobs(m);
  ISIGN_TRY_CONTEXT(blobs, from.str() + "@" + m.digest);
  for (const auto& b : *blobs)
    ISIGN_TRY(copy_blob(src, from, dst, to, b, max_blob_size, counts));
  auto put = dst.put_manifest(to, m.digest, m.bytes, m.media_type);
  ISIGN_TRY_CONTEXT(put, "writing " + to.str() + "@" + m.digest);
  ++counts.manifests_copied;
  return {};
}

namespace {

struct Copier {
  Client& src;
  const Repository& from;
  Client& dst;
  const Repository& to;
  const CopyOptions& options;
  ImageCopy out;

  Result<Manifest> fetch(std::string_view digest) {
    auto m = src.get_manifest(from, digest);
    ISIGN_TRY_CONTEXT(m, "reading " + from.str() + "@" + std::string(digest));
    return m;
  }

  // The manifest and everything below it; children before the index naming them.
  Result<void> tree(const Manifest& m, int depth, std::vector<std::string>* children) {
    if (is_index_type(m.media_type)) {
      if (depth >= kMaxDepth)
        return make_error(ErrorKind::limit, from.str() + "@" + m.digest + ": indexes nested over " +
                                                std::to_string(kMaxDepth) + " deep");
      // An index already at the destination was written after its children: all there.
      if (auto there = dst.head_manifest(to, m.digest); there) {
        ++out.counts.manifests_present;
        if (children) {
          auto entries = parse_index(m.bytes);
          ISIGN_TRY_CONTEXT(entries, from.str() + "@" + m.digest);
          for (const auto& e : *entries)
            children->push_back(e.digest);
        }
        return {};
      }
      auto entries = parse_index(m.bytes);
      ISIGN_TRY_CONTEXT(entries, from.str() + "@" + m.digest);
      for (const auto& e : *entries) {
        auto child = fetch(e.digest);
        ISIGN_TRY(child);
        ISIGN_TRY(tree(*child, depth + 1, nullptr));
        if (children)
          children->push_back(e.digest);
      }
    }
    return copy_manifest(src, from, m, dst, to, options.max_blob_size, out.counts);
  }
};

} // namespace

Result<ImageCopy> copy_image(Client& src, const Repository& from, std::string_view digest,
                             Client& dst, const Repository& to, std::string_view tag,
                             const CopyOptions& options) {
  Copier c{src, from, dst, to, options, {}};
  auto m = c.fetch(digest);
  ISIGN_TRY(m);
  if (options.platform && is_index_type(m->media_type)) {
    auto children = index_children(m->bytes);
    ISIGN_TRY_CONTEXT(children, from.str() + "@" + m->digest);
    auto at = select_platform(*children, *options.platform);
    if (!at)
      return make_error(ErrorKind::not_found, from.str() + "@" + m->digest +
                                                  " has no manifest for platform " +
                                                  options.platform->str());
    auto child = c.fetch((*children)[*at].digest);
    ISIGN_TRY(child);
    m = std::move(child);
  }
  c.out.is_index = is_index_type(m->media_type);
  ISIGN_TRY(c.tree(*m, 0, c.out.is_index ? &c.out.children : nullptr));
  c.out.digest = m->digest;
  c.out.media_type = m->media_type;
  c.out.size = m->bytes.size();
  if (!tag.empty()) {
    auto current = dst.head_manifest(to, tag);
    if (!current || current->digest != m->digest) {
      if (!current && current.error().kind() != ErrorKind::not_found)
        return std::move(current).error().context("reading " + to.str() + ":" + std::string(tag));
      PutCondition condition;
      if (options.tag_annotations)
        condition.index_annotations = options.tag_annotations(*m);
      auto put = dst.put_manifest(to, tag, m->bytes, m->media_type, condition);
      ISIGN_TRY_CONTEXT(put, "tagging " + to.str() + ":" + std::string(tag));
    }
  }
  return std::move(c.out);
}

} // namespace isign::registry
