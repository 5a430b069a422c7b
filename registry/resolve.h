// Resolving what a reference names to the manifests to sign or verify: the image, an index and
// its children, or the child one platform would pull. Shared by signing and verifying.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::registry {

// An OCI platform: "os/architecture[/variant]".
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant; // may be empty

  // Usage error unless text is two or three non-empty '/'-separated parts.
  static common::Result<Platform> parse(std::string_view text);
  std::string str() const;
};

// One manifest to sign or verify.
struct Target {
  enum class Role { image, index, child };
  Role role = Role::image;
  std::string digest;     // "sha256:<hex>"
  std::string media_type; // as the registry or the index entry gave it
  std::size_t size = 0; // the manifest's size in bytes (children: the index entry's); 0 if unknown
  std::optional<Platform> platform; // children: the index entry's platform, if it has one
};

// Which manifests a reference stands for. Without either flag: the manifest it names (an index
// is signed or verified as itself, as cosign does).
struct Selection {
  bool recursive = false;           // an index and every child, in index order
  std::optional<Platform> platform; // the child of an index this platform would pull
};

// What a reference resolved to, and the manifests to sign or verify for it.
struct Resolution {
  std::string digest; // of the manifest the reference names (an index, for an index)
  std::string media_type;
  bool is_index = false;
  std::vector<Target> targets;
};

// Resolves ref (not_found when it does not exist). Without a selection: one target, found with
// HEAD. Otherwise one GET decides whether ref is an index, by its Content-Type and body together
// (an index served with an image manifest's Content-Type cannot have its children skipped).
// Selection::recursive on an index: the index, then each child. Selection::platform on an index:
// only the matching child (not_found naming the platforms the index has when none matches); on a
// single image, that image. An index that is not JSON with a manifests list is a registry error.
common::Result<Resolution> resolve_targets(Client& client, const Reference& ref,
                                           const Selection& selection);

// The children of an index's bytes, in order (role child, with each entry's platform). Fails as
// parse_index does.
common::Result<std::vector<Target>> index_children(std::string_view index_bytes);

// The child of an index entry list that a node of `want` would pull: same os and architecture;
// with a variant, the same variant (arm64's "v8" and "" are the same); without, an entry without
// variant (or arm64/v8) first, else the first entry of that os and architecture.
std::optional<std::size_t> select_platform(const std::vector<Target>& children,
                                           const Platform& want);

} // namespace isign::registry
