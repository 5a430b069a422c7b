// Reading the entries of an image index (OCI index or Docker manifest list): shared by signing
// (--recursive) and verifying (--recursive, --platform).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace isign::registry {

struct IndexEntry {
  std::string digest;     // "sha256:<hex>", validated
  std::string media_type; // as the entry gives it; may be empty
  std::size_t size = 0;   // as the entry gives it; 0 when it gives none (or not a positive integer)
  bool has_platform = false;
  std::string os, architecture, variant; // the entry's platform, when has_platform
};

// More entries than this in one index is a limit error.
inline constexpr std::size_t kMaxIndexEntries = 1000;

// The entries of an index, in order. A limit error past kMaxIndexEntries. A registry error when the
// bytes are not a JSON object with a "manifests" list, or an entry is not an object with a sha256
// digest.
common::Result<std::vector<IndexEntry>> parse_index(std::string_view bytes);

} // namespace isign::registry
