// Copying an image between repositories (of one registry or two, through one client or two):
// blobs before the manifests that name them (cosign#5030), each manifest PUT byte for byte by its
// digest so that digests (and the signatures about them) survive. Generic OCI: no cosign here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client.h"
#include "registry/resolve.h"

namespace isign::registry {

// What a copy did, for its report.
struct CopyCounts {
  std::size_t manifests_copied = 0;  // PUT at the destination
  std::size_t manifests_present = 0; // already there (by digest): not written
  std::size_t blobs_uploaded = 0;    // fetched from the source and sent
  std::size_t blobs_mounted = 0;     // linked from the source repository of the same host
  std::size_t blobs_present = 0;     // already at the destination
  std::uint64_t bytes_uploaded = 0;

  CopyCounts& operator+=(const CopyCounts& o);
  std::size_t blobs() const { return blobs_uploaded + blobs_mounted + blobs_present; }
};

struct CopyOptions {
  // For an index: copy only the child this platform would pull, and point the destination tag
  // at it (skopeo copy without --multi-arch all, cosign copy --platform). On an image: the image.
  std::optional<Platform> platform;
  // A blob larger than this is a limit error. Each blob is held in memory while it is copied.
  std::size_t max_blob_size = std::size_t{1} << 30;
  // When set: the annotations of the tag's entry in a layout's index.json (PutCondition), given
  // the manifest the tag names.
  std::function<std::map<std::string, std::string>(const Manifest&)> tag_annotations;
};

// What copy_image copied.
struct ImageCopy {
  std::string digest; // what the destination now names: the image, the index, or the platform's
  std::string media_type;
  std::size_t size = 0;
  bool is_index = false;
  std::vector<std::string> children; // an index copied whole: its children, in index order
  CopyCounts counts;
};

// Copies blob from src (from) to dst (to) unless dst has it: mounted when both are one client and
// one registry host, else fetched (up to max_size) and uploaded. Counted in counts.
common::Result<void> copy_blob(Client& src, const Repository& from, Client& dst,
                               const Repository& to, const Descriptor& blob, std::size_t max_size,
                               CopyCounts& counts);

// The blobs an image manifest names, config first then layers (an index names none: empty).
// Registry error when the bytes are neither.
common::Result<std::vector<Descriptor>> named_blobs(const Manifest& m);

// Copies the manifest m (read from src's from, by digest) to dst's to: its blobs unless the
// manifest is already there, then the exact bytes by digest. Not an index's children.
common::Result<void> copy_manifest(Client& src, const Repository& from, const Manifest& m,
                                   Client& dst, const Repository& to, std::size_t max_blob_size,
                                   CopyCounts& counts);

// Copies from@digest to `to` with everything it names (an index: each child, then the index),
// then tags the result with tag when not empty. not_found when the source has no such manifest,
// or (with options.platform) no child for that platform.
common::Result<ImageCopy> copy_image(Client& src, const Repository& from, std::string_view digest,
                                     Client& dst, const Repository& to, std::string_view tag,
                                     const CopyOptions& options = {});

} // namespace isign::registry
