#include "cli/attached_targets.h"

#include "cli/key_source.h"
#include "registry/resolve.h"

namespace isign::cli {

common::Result<std::vector<AttachedTarget>>
resolve_attached_targets(registry::Client& client, const registry::Reference& ref, bool children) {
  registry::Selection selection;
  selection.recursive = children;
  auto resolved = registry::resolve_targets(client, ref, selection);
  ISIGN_TRY_CONTEXT(resolved, "resolving '" + ref.str() + "'");
  std::vector<AttachedTarget> out;
  for (const auto& t : resolved->targets) {
    const char* role = t.role == registry::Target::Role::child   ? "child"
                       : t.role == registry::Target::Role::index ? "index"
                                                                 : "image";
    out.push_back({cosign::Subject{ref.repository, t.digest, t.media_type, t.size}, role});
  }
  return out;
}

common::Result<std::vector<cosign::TreeKey>> load_tree_keys(const std::vector<std::string>& paths) {
  auto keys = load_public_keys(paths);
  ISIGN_TRY(keys);
  std::vector<cosign::TreeKey> out;
  for (std::size_t i = 0; i < paths.size(); ++i)
    out.push_back({paths[i], std::move((*keys)[i])});
  return out;
}

} // namespace isign::cli
