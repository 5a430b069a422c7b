// Internal to cosign/: the read-modify-write of a document kept at a tag that several writers
// extend at once (the .sig manifest, the referrers index). Distribution 2.8 has no compare-and-
// swap on tags, so one loop holds every guarantee against concurrent and hostile registries, for
// every such document: If-Match / If-None-Match, a 404 confirmed by the tag list and a second read,
// a read-back after a settle delay and another round when a concurrent writer replaced ours, a
// watch after a PUT whose outcome is unknown that puts back entries a late write erased.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/signature_manifest.h"
#include "cosign/store.h"
#include "registry/client.h"

namespace isign::cosign::detail {

// One kind of document at a tag, and the entry a writer adds to it.
class TagDocument {
public:
  virtual ~TagDocument() = default;

  // What the document is called in messages ("signature artifact").
  virtual std::string noun() const = 0;
  // The outcome when current already holds the entry (nothing to write), else nullopt.
  virtual common::Result<std::optional<AttachOutcome>>
  already_there(const registry::Manifest& current) = 0;
  // What to write: current with the entry added, or a new document when current is nullopt.
  virtual common::Result<SignatureArtifact>
  build(const std::optional<registry::Manifest>& current) = 0;
  // Whether m (read back) holds the entry.
  virtual common::Result<bool> has_ours(const registry::Manifest& m) = 0;
  // The entries of m, each with an identity(), for the watch after an unknown-outcome PUT.
  virtual common::Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) = 0;
  // now with missing (entries seen before, whose blobs the repository holds) appended.
  virtual common::Result<SignatureArtifact> restore(const registry::Manifest& now,
                                                    const std::vector<StoredLayer>& missing) = 0;
};

// Adds doc's entry to the document at repo:tag, keeping every other writer's entries.
common::Result<AttachResult> read_modify_write(registry::Client& client,
                                               const registry::Repository& repo,
                                               const std::string& tag, TagDocument& doc,
                                               const AttachOptions& options);

// Whether a refused write is worth another try: the registry's answers but 401/403 (distribution
// refuses PUTs under concurrent writers, e.g. DIGEST_INVALID while another signer's blobs are
// being linked) and network failures.
bool retryable_put_failure(const common::Error& e);

// Limit error when an attachment's blob (what: "payload", "bundle") of size bytes is larger than
// limit: verifiers would not fetch it (signatures: kMaxPayloadSize, verify's default
// --max-payload-size; attestations: attest's --max-predicate-size).
common::Result<void> check_attachment_size(std::string_view what, std::size_t size, Kind kind,
                                           std::size_t limit);

// options for attaching to repo through client: when the client says repo is consistent (an OCI
// layout: every completed write is read at once, PUT conditions are honoured), every wait that
// guards against a registry's lag is zero (confirm_delay, max_settle, unknown_outcome_window),
// PUT conditions are never given up and rounds are many; otherwise options as they are. The
// stores call it once, first thing in attach.
AttachOptions for_place(const AttachOptions& options, const registry::Client& client,
                        const registry::Repository& repo);

// Waits ms (options.sleep when set, for tests) plus up to jitter_ms at random, so that concurrent
// signers retrying do not stay in step.
void pause(const AttachOptions& options, long ms, long jitter_ms);

} // namespace isign::cosign::detail
