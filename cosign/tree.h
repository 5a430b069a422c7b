// What tree shows: every entry attached to an image in both formats (each .sig and .att layer,
// each bundle referrer, other referrers), where it lives, whose key it verifies under, what it
// says, and which verifiers can see it. Built on list_attached (attached.h); the JSON report is
// versioned ("schema": 1) and documented in README.md's tree section.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/stored.h"
#include "keys/keys.h"
#include "registry/client.h"

namespace isign::cosign {

// A key tree may name an entry with: its sigstore hint (keys::public_key_hint) and where it came
// from (the --key path).
struct TreeKey {
  std::string name;
  keys::PublicKey key;
};

struct TreeEntry {
  Format format = Format::legacy;
  std::optional<Kind> kind; // nullopt: another tool's referrer (or a bundle of unknown kind)
  std::string where;        // "reg/app:sha256-<hex>.sig" or "reg/app@sha256:<referrer>"
  std::optional<std::size_t> layer; // legacy: the layer's position in the manifest
  std::string digest;               // legacy: the layer blob's; referrer: the manifest's
  // A bundle's public key hint; a legacy layer's: the hint of the TreeKey it verifies under
  // ("" when none does). Unsigned for bundles: a label, not a verification.
  std::string key_id;
  std::string key_name; // the TreeKey the entry verifies under, "" when none was given or matched
  std::string predicate_type;
  std::string artifact_type; // referrers: the manifest's artifactType (else its config's type)
  // .sig: the signed payload's optional annotations; referrer: the manifest's annotations.
  std::map<std::string, std::string> annotations;
  std::string created; // referrer: its org.opencontainers.image.created; legacy: ""
  // Which verifiers read it: "containers/image" (podman, skopeo, CRI-O: the .sig only),
  // "cosign v2" (.sig/.att), "cosign v3" (bundles, the .sig/.att only where no bundle is kept),
  // "isign" (both).
  std::vector<std::string> seen_by;
};

// One manifest and what is attached to it.
struct ImageTree {
  Subject subject;
  std::string role; // "image", "index" or "child"
  std::vector<TreeEntry> entries;
};

// The entries attached to subject: the .sig's layers, the .att's, the referrers (as list_attached
// orders them). Legacy layers are matched against keys (their blobs read, up to the payload and
// attestation limits); errors as list_attached's (a place that cannot be read is the error).
common::Result<std::vector<TreeEntry>> describe_attached(registry::Client& client,
                                                         const Subject& subject,
                                                         const std::vector<TreeKey>& keys);

// The JSON report, one line: {"schema":1,"images":[{"digest":..,"role":..,"entries":[..]}]}.
std::string tree_json(const std::vector<ImageTree>& images);

} // namespace isign::cosign
