// Where signatures live: the seam between what a signer or verifier does and the place that keeps
// signatures. sign/ and verify/ talk to a SignatureStore only; each backend (today the legacy
// sha256-<hex>.sig tag; next the sigstore bundle referrers, an OCI layout on disk) is a class
// hidden in its own .cpp behind a factory, as ccache hides its storage backends.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/signature_manifest.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::cosign {

// The image manifest whose signatures are stored: its repository and digest, and, when the caller
// knows them, its media type and size (a bundle's referrer names them; unset, the store asks the
// registry).
struct Subject {
  registry::Repository repository;
  std::string digest; // "sha256:<hex>"
  std::string media_type{};
  std::size_t size = 0;
};

// The signatures a store holds for a subject, as stored.
struct StoredSignatures {
  std::string where;               // for messages: the artifact read ("sha256-<hex>.sig")
  std::vector<StoredLayer> layers; // in stored order
  // Places that could not be read while others could (a failed referrers listing beside a
  // readable .sig): when what was found does not verify, this is the error to report, never
  // "unsigned".
  std::vector<common::Error> unread{};
};

enum class AttachOutcome {
  created,         // no artifact existed (confirmed twice): a new one holds only this signature
  attached,        // added to the existing artifact
  already_present, // a layer verify accepts, by the same key over the same payload, was there
  repaired,        // such a layer was there but its payload blob was missing: uploaded again
};

// What attach did, with what the user should know about how it went (e.g. "the registry answered
// 500 to the PUT but had stored it").
struct AttachResult {
  AttachOutcome outcome = AttachOutcome::attached;
  std::vector<std::string> notes;
  std::string where{}; // where the signature is, as a user names it ("reg/repo:sha256-<hex>.sig")
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

class SignatureStore {
public:
  virtual ~SignatureStore() = default;

  // Where the subject's signatures live, as a user names it ("reg/repo:sha256-<hex>.sig"). Usage
  // error when the digest is not "sha256:<64 hex>".
  virtual common::Result<std::string> location(const Subject& subject) const = 0;

  // The stored signature layers of subject. no_signature when nothing is stored; a registry error
  // when what is stored cannot be read (never "unsigned": it may hold valid signatures);
  // network/throttled/... errors keep their kinds.
  virtual common::Result<StoredSignatures> find(const Subject& subject) = 0;

  // Decides whether the signatures found so far settle what the caller asks (a verifier: its rule
  // is met by them).
  using Enough = std::function<bool(const StoredSignatures&)>;
  // find, reading the places in order (the .sig, then the referrers) and stopping at the first
  // after which enough(what was found so far) holds: the places after it are not read. A store of
  // one place reads it. With enough empty, or never true: find.
  virtual common::Result<StoredSignatures> find_until(const Subject& subject,
                                                      const Enough& enough) {
    (void)enough;
    return find(subject);
  }

  // The payload blob `digest` named by one of subject's stored layers, refusing more than
  // max_size bytes; errors keep their kinds (not_found for a blob the store lost).
  virtual common::Result<std::string> fetch_payload(const Subject& subject, std::string_view digest,
                                                    std::size_t max_size) = 0;

  // Adds sig to subject's signatures without losing anyone else's: a failure leaves what was
  // stored as it was, and errors say what happened. Limit error for a payload over
  // kMaxPayloadSize.
  virtual common::Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                                              const AttachOptions& options = {}) = 0;
};

// Which formats a store reads and writes.
struct Formats {
  bool legacy = true; // the sha256-<hex>.sig tag
  bool bundle = true; // sigstore bundles in referrers (API, else the sha256-<hex> index)
};

// The legacy backend: the image manifest at <repo>:sha256-<hex>.sig (cosign v2, containers/image).
// attach reads, extends and writes it (If-Match / If-None-Match, a 404 confirmed by the tag list
// and a second read, a read-back after a settle delay and a bounded merge when a concurrent
// signer replaced it, a watch after a PUT whose outcome is unknown). client must outlive the
// store.
std::unique_ptr<SignatureStore> make_tag_store(registry::Client& client);

// The cosign v3 backend: a referrer manifest per bundle (FORMATS.md section 11), found through the
// registry's referrers API or, where it has none (remembered per registry for the run), the
// referrers index at tag sha256-<hex>. attach takes a bundle NewSignature; it is a no-op when a
// bundle with the same statement verifying under options.signer_key is already there; it
// pushes the bundle, the empty config and the referrer manifest by digest, and on registries
// without the API adds the referrer to the index with the tag store's guarantees (If-Match,
// read-back, merge, watch), repairing descriptors without an artifactType on the way. find
// returns one bundle layer per referrer whose single layer is a bundle (where: repo@digest of
// the referrer); a listing that fails is an error, never "no signatures". Thread-safe.
std::unique_ptr<SignatureStore> make_referrers_store(registry::Client& client);

// The store of formats: find reads each (a place that fails while another was read lands in
// unread), attach writes a signature to the backend of its format. Usage error when formats
// selects none.
common::Result<std::unique_ptr<SignatureStore>> make_store(registry::Client& client,
                                                           Formats formats);

} // namespace isign::cosign
