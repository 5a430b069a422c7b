// Moving what is attached to an image with the image (copy, save, load): the .sig and .att
// manifests, merged into the destination's when it has its own; each referrer, byte for byte, and
// its entry in the destination's referrers index when the destination has no referrers API.
// Idempotent: a rerun writes only what is missing, and a copy interrupted then rerun leaves the
// destination as an uninterrupted one would.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "registry/client.h"
#include "registry/copy.h"

namespace isign::cosign {

struct TransferOptions {
  // What to carry (isign copy --only): the .sig tag, the .att tag, the referrers (bundles of both
  // kinds and other tools' artifacts). All three by default.
  bool sig = true;
  bool att = true;
  bool bundle = true;
  // A destination .sig/.att that differs from the source's is replaced by it (its other layers
  // dropped); without force the source's layers it lacks are added, every other layer kept.
  bool force = false;
  std::size_t max_blob_size = std::size_t{1} << 30;
  AttachOptions attach; // the tag read-modify-write's settings (tests: no sleeps)
};

// What copy_attached did, beyond the manifests and blobs of counts.
struct TransferCounts {
  registry::CopyCounts copy;     // attached manifests written or present, their blobs
  std::size_t tags_merged = 0;   // a .sig/.att extended with the source's layers
  std::size_t tags_replaced = 0; // --force: a different .sig/.att replaced
  std::size_t index_entries = 0; // referrers added to the destination's referrers index

  TransferCounts& operator+=(const TransferCounts& o);
};

// Copies what is attached to `from` (src) to `to` (dst); both name the same digest (a copy keeps
// digests: a referrer names its subject). The source's legacy tags and referrers in listing
// order; the source's referrers index is not copied but each entry added to the destination's
// (with the source's descriptor text when it had one), so that the result does not depend on
// where an earlier run stopped. An error names what was being copied; what was copied stays.
common::Result<TransferCounts> copy_attached(registry::Client& src, const Subject& from,
                                             registry::Client& dst, const Subject& to,
                                             const TransferOptions& options);

// What copy_signed_image copied.
struct SignedImageCopy {
  registry::ImageCopy image;
  TransferCounts attached;
};

// Copies from@digest (the image; with copy.platform, one platform's child of an index) to `to`,
// tagged tag unless empty, then what is attached to it and, for an index, to each child.
common::Result<SignedImageCopy>
copy_signed_image(registry::Client& src, const registry::Repository& from, std::string_view digest,
                  registry::Client& dst, const registry::Repository& to, std::string_view tag,
                  const registry::CopyOptions& copy, const TransferOptions& options);

// Whether tag is one cosign keeps beside an image rather than an image's own: "sha256-<64 hex>"
// (the referrers index) or that with a suffix (".sig", ".att", ".sbom"). What load skips.
bool is_attachment_tag(std::string_view tag);

} // namespace isign::cosign
