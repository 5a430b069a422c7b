// What is attached to one image manifest, as manifests: the .sig and .att manifests (cosign v2),
// each referrer (cosign v3 bundles, and other tools' artifacts), and the referrers index at tag
// sha256-<hex> where a registry without a referrers API keeps them. The stores (store.h) answer
// "which signatures", this answers "which manifests and blobs": what copy, save and load move,
// what tree shows, what revoke and clean remove.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/stored.h"
#include "registry/client.h"

namespace isign::cosign {

enum class AttachedRole {
  legacy_tag,      // the sha256-<hex>.sig or .att manifest
  referrer,        // a manifest whose subject is the image
  referrers_index, // the OCI index at tag sha256-<hex>
};

// "legacy", "referrer" or "referrers index", for messages and JSON.
std::string_view attached_role_name(AttachedRole role);

// One attached manifest, as read.
struct AttachedManifest {
  AttachedRole role = AttachedRole::legacy_tag;
  // What it holds: the tag's kind (legacy_tag); for a bundle referrer, signature when its
  // predicateType annotation is cosign sign's, attestation for any other, nullopt without one;
  // nullopt for other referrers and the index.
  std::optional<Kind> kind;
  std::string tag;             // legacy_tag and referrers_index: the tag; referrer: ""
  registry::Manifest manifest; // its exact bytes, media type and digest
  std::string artifact_type;   // referrer: its artifactType, else its config's media type
  std::string predicate_type;  // referrer: its dev.sigstore.bundle.predicateType annotation
  bool bundle = false;         // referrer: its single layer is a sigstore bundle
  // The blobs it names: its config, then its layers, in order (none for the index).
  std::vector<registry::Descriptor> blobs;
  // referrers_index: the referrer digests it lists, in order
  std::vector<std::string> lists;

  Format format() const {
    return role == AttachedRole::legacy_tag ? Format::legacy : Format::bundle;
  }
  // As a user names it: "repo:sha256-<hex>.sig", "repo@sha256:<referrer>".
  std::string where(const registry::Repository& repo) const;
};

// Which attached manifests to read.
struct AttachedQuery {
  bool legacy = true;          // the .sig and .att tags
  bool bundle = true;          // the referrers (API and index) and the index itself
  bool signatures = true;      // the .sig; referrers holding signatures
  bool attestations = true;    // the .att; referrers holding attestations
  bool other_referrers = true; // referrers that hold no bundle, or a bundle of unknown kind
  // A referrer isign cannot read as an image manifest (another tool's index, say): false, the
  // error (copy must not leave it behind); true, listed as another referrer with no blobs (tree
  // shows it; revoke, clean and download never match it).
  bool unreadable_as_other = false;
};

struct Attached {
  // The .sig, the .att, the referrers (the API's order, then the index's not listed by the API),
  // then the referrers index.
  std::vector<AttachedManifest> manifests;
  bool referrers_api = false; // the registry has a referrers API (it answered a listing)
};

// Every manifest attached to subject that query asks for. A place that cannot be read is the
// error (never "nothing attached": a copy must not silently leave signatures behind); a tag that
// is absent, or a listed referrer that is gone, is nothing. A referrer listed for another subject
// is left out. Registry error for a manifest isign cannot read (a .sig that is not a manifest).
common::Result<Attached> list_attached(registry::Client& client, const Subject& subject,
                                       const AttachedQuery& query = {});

} // namespace isign::cosign
