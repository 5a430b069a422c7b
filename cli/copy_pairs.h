// What isign copy is asked to copy: SRC DST pairs from the command line or a file, and --only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/transfer.h"
#include "registry/reference.h"

namespace isign::cli {

// One copy: the source reference, the destination (a repository, a tag, or a digest that must be
// the source's) and the tag to give the copy ("" for none).
struct CopyPair {
  std::string src_text, dst_text; // as given
  registry::Reference src;
  registry::Reference dst;
  std::string dst_tag;  // DST's tag; else SRC's tag ("latest" when SRC names neither)
  std::size_t line = 0; // in --from-file, 1-based; 0 on the command line
};

// The pair SRC DST. Usage error when either does not parse, or both name different digests.
common::Result<CopyPair> make_copy_pair(std::string_view src, std::string_view dst);

// The pairs of a --from-file: "SRC DST" a line, blank lines and '#' comments skipped. Usage error
// naming path and the line number of the first bad line.
common::Result<std::vector<CopyPair>> parse_copy_pairs(std::string_view text,
                                                       std::string_view path);

// Sets what options carries from --only's comma-separated list of sig, att, bundle. Usage error
// naming an unknown item.
common::Result<void> parse_only(std::string_view list, cosign::TransferOptions& options);

// One line saying what a copy did: "<verb> SRC -> DST@digest: N manifests written, ...".
std::string copy_summary(std::string_view verb, std::string_view src, std::string_view dst,
                         const cosign::SignedImageCopy& c);

} // namespace isign::cli
