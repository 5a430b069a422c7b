// What tree, download, revoke and clean work on: the manifests a reference stands for, as
// subjects of cosign/attached.h, and the --key files they name entries with.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/stored.h"
#include "cosign/tree.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::cli {

struct AttachedTarget {
  cosign::Subject subject;
  std::string role; // "image", "index" or "child"
};

// The manifest ref names and, with children, each child of an index (in index order). Errors
// keep their kinds (not_found for a reference that does not exist), with "resolving 'REF'".
common::Result<std::vector<AttachedTarget>>
resolve_attached_targets(registry::Client& client, const registry::Reference& ref, bool children);

// Each --key path's public key, named by its path.
common::Result<std::vector<cosign::TreeKey>> load_tree_keys(const std::vector<std::string>& paths);

} // namespace isign::cli
