// Verifying images end to end: resolve what the user named to the manifests to check (the image,
// an index and its children, or the child one platform would pull), fetch each one's .sig
// artifact once through the registry client, and check it against a policy rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "verify/policy.h"
#include "verify/verifier.h"

namespace isign::verify {

// An OCI platform: "os/architecture[/variant]".
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant; // may be empty

  // Usage error unless text is two or three non-empty '/'-separated parts.
  static common::Result<Platform> parse(std::string_view text);
  std::string str() const;
};

// One manifest to verify.
struct Target {
  enum class Role { image, index, child };
  Role role = Role::image;
  std::string digest;     // "sha256:<hex>"
  std::string media_type; // as the registry or the index entry gave it
  std::optional<Platform> platform; // children: the index entry's platform, if it has one
};

// Which manifests a reference stands for. Without either flag: the manifest it names (an index
// is verified as itself, as cosign does).
struct Selection {
  bool recursive = false;           // an index and every child, in index order
  std::optional<Platform> platform; // the child of an index this platform would pull
};

// What a reference resolved to, and the manifests to verify for it.
struct Resolution {
  std::string digest;     // of the manifest the reference names (an index, for an index)
  std::string media_type;
  bool is_index = false;
  std::vector<Target> targets;
};

// Resolves ref (not_found when it does not exist). Selection::recursive on an index: the index,
// then each child. Selection::platform on an index: only the matching child (not_found naming the
// platforms the index has when none matches); on a single image, that image. Otherwise one
// target, found with HEAD. An index that is not JSON with a manifests list is a registry error.
common::Result<Resolution> resolve_targets(registry::Client& client,
                                           const registry::Reference& ref,
                                           const Selection& selection);

// The child of an index entry list that a node of `want` would pull: same os and architecture;
// with a variant, the same variant (arm64's "v8" and "" are the same); without, an entry without
// variant (or arm64/v8) first, else the first entry of that os and architecture.
std::optional<std::size_t> select_platform(const std::vector<Target>& children,
                                           const Platform& want);

// The outcome of one target under a rule.
struct TargetResult {
  Target target;
  // One per requirement of the rule, in order; empty reports for requirements that are not
  // signed_by, and when the .sig artifact could not be read.
  std::vector<Report> reports;
  std::optional<common::Error> error; // why the target failed; none: it passed
  bool rejected_by_policy = false;    // the rule's type is reject
  bool accepted_unsigned = false;     // passed through insecureAcceptAnything alone
};

// Whether checking rule needs the registry at all: false when a requirement rejects or cannot be
// checked (the image fails anyway), or when every requirement accepts anything.
bool rule_needs_registry(const Rule& rule);

// Checks target (of the image the user named `named`) against every requirement of rule: the
// .sig artifact and its payload blobs are fetched once, whatever the number of requirements.
// Never fails as a whole: errors land in TargetResult::error with their kinds (no_signature for
// a missing artifact, throttled, limit, verification, ...). limits override each requirement's.
TargetResult verify_target(registry::Client& client, const registry::Reference& named,
                           const Target& target, const Rule& rule, const Limits& limits);

} // namespace isign::verify
