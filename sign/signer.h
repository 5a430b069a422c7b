// Attaching a signature to an image's .sig artifact without losing anyone else's signature (what
// to sign comes from registry/resolve.h).
#pragma once

#include <chrono>
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

enum class AttachOutcome {
  created,         // no artifact existed (confirmed twice): a new one holds only this signature
  attached,        // added to the existing artifact
  already_present, // a layer verify accepts, by the same key over the same payload, was there
  repaired,        // such a layer was there but its payload blob was missing: uploaded again
};

// What attach_signature did, with what the user should know about how it went (e.g. "the
// registry answered 500 to the PUT but had stored it").
struct AttachResult {
  AttachOutcome outcome = AttachOutcome::attached;
  std::vector<std::string> notes;
};

// Larger payloads are refused: verify's default --max-payload-size would never fetch them.
inline constexpr std::size_t kMaxPayloadSize = 1u << 20;

struct AttachOptions {
  int max_attempts = 8; // read-modify-write rounds when concurrent signers overwrite each other
  // When set, an existing layer with the same payload bytes whose signature verifies under this
  // key counts as already present (ECDSA signatures differ on every run, so comparing signature
  // strings alone would add a layer each time the same key signs the same payload again).
  const keys::PublicKey* signer_key = nullptr;
  // After a PUT whose outcome is unknown (timed out, connection lost, 5xx), the abandoned request
  // may still land later and replace what was written since. For this long after success the
  // artifact is read again (every poll_interval) and repaired if that happens.
  std::chrono::milliseconds unknown_outcome_window{3000};
  std::chrono::milliseconds poll_interval{250};
  // Pause before the second read that confirms a 404 (a cache or replica may lag).
  std::chrono::milliseconds confirm_delay{200};
  // Waits between steps; unset: std::this_thread::sleep_for. Tests record the waits instead.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Adds sig to <repo>:sha256-<hex>.sig without losing anyone else's signature: fetch the existing
// artifact (a 404 is confirmed by the tag list and a second read before a new artifact is made),
// extend it, upload blobs, PUT the manifest (If-Match / If-None-Match), then read it back after a
// short settle delay; when another signer's write replaced ours, merge again (bounded). Blobs are
// pushed before the manifest, so a failure leaves the existing artifact as it was. Errors say
// what happened: a registry that acknowledges PUTs without storing them, a PUT that failed.
common::Result<AttachResult> attach_signature(registry::Client& client,
                                              const registry::Repository& repo,
                                              const std::string& image_digest,
                                              const NewSignature& sig,
                                              const AttachOptions& options = {});

} // namespace isign::sign
