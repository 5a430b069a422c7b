// Signing images end to end: resolve a reference, build and sign the payload, and attach the
// signature to the image's .sig artifact without losing anyone else's signature.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "sign/artifact.h"
#include "sign/payload.h"

namespace isign::sign {

// An image manifest digest to sign, resolved from what the user typed.
struct Target {
  registry::Repository repository;
  std::string digest;     // "sha256:<hex>"
  std::string media_type; // the manifest's media type
  bool named_by_tag = false;
  bool is_child = false; // reached through --recursive from an index
};

// Resolves ref to its manifest digest (HEAD by tag or digest; not_found if the image does not
// exist). With recursive and an index, the index is followed by each child manifest.
common::Result<std::vector<Target>> resolve_targets(registry::Client& client,
                                                    const registry::Reference& ref, bool recursive);

enum class AttachOutcome { attached, already_present };

struct AttachOptions {
  int max_attempts = 8; // read-modify-write rounds when concurrent signers overwrite each other
  // When set, an existing layer with the same payload bytes whose signature verifies under this
  // key counts as already present (ECDSA signatures differ on every run, so comparing signature
  // strings alone would add a layer each time the same key signs the same payload again).
  const keys::PublicKey* signer_key = nullptr;
};

// Adds sig to <repo>:sha256-<hex>.sig: fetch the existing artifact (if any), extend it, upload
// blobs, PUT the manifest, then read it back after a short settle delay; when another signer's
// write replaced ours, merge again (bounded). Blobs are pushed before the manifest, so a failure
// leaves the existing artifact as it was.
common::Result<AttachOutcome> attach_signature(registry::Client& client,
                                               const registry::Repository& repo,
                                               const std::string& image_digest,
                                               const NewSignature& sig,
                                               const AttachOptions& options = {});

} // namespace isign::sign
