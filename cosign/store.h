// Where signatures and attestations live: the seam between what a signer or verifier does and the
// place that keeps them. sign/ and verify/ talk to a SignatureStore only. A store holds one kind
// (stored.h) in one format: the sha256-<hex>.sig or .att tag (legacy), sigstore bundle referrers
// (bundle); a composite reads several in order. Each backend is a class hidden in its own .cpp
// behind a factory, as ccache hides its storage backends; the places they read and write are
// registry::Clients (a registry over HTTP, or anything else that answers the same calls).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "cosign/stored.h"
#include "keys/keys.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::cosign {

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
  std::size_t replaced = 0; // entries of the signer's removed (AttachOptions::replace)
};

// Larger payloads are refused: verify's default --max-payload-size would never fetch them.
inline constexpr std::size_t kMaxPayloadSize = 1u << 20;
// Attestations carry SBOMs and scan reports of tens of MB: cosign reads up to 128 MiB
// (COSIGN_MAX_ATTACHMENT_SIZE), attest and verify-attestation default to the same.
inline constexpr std::size_t kMaxAttestationSize = 128u << 20;

struct AttachOptions {
  int max_attempts = 8; // read-modify-write rounds when concurrent signers overwrite each other
  // Refused conditional PUTs (412) after which the registry's ETags are taken as unusable and
  // only the read-back protects concurrent signers.
  int max_precondition_failures = 3;
  // When set, an existing layer with the same payload bytes whose signature verifies under this
  // key counts as already present (ECDSA signatures differ on every run, so comparing signature
  // strings alone would add a layer each time the same key signs the same payload again).
  const keys::PublicKey* signer_key = nullptr;
  // The largest entry (legacy payload or envelope, bundle) written or read back: kMaxPayloadSize
  // for signatures, attest's --max-predicate-size for attestations.
  std::size_t max_payload_size = kMaxPayloadSize;
  // Attestations only, with signer_key: the signer's earlier attestations of the new entry's
  // predicateType are removed (cosign attest --replace), every other signer's kept byte for byte.
  bool replace = false;
  // After a PUT whose outcome is unknown (timed out, connection lost, 5xx), the abandoned request
  // may still land later and replace what was written since. For this long after success the
  // artifact is read again (every poll_interval) and repaired if that happens.
  std::chrono::milliseconds unknown_outcome_window{3000};
  std::chrono::milliseconds poll_interval{250};
  // Pause before the second read that confirms a 404 (a cache or replica may lag).
  std::chrono::milliseconds confirm_delay{200};
  // The longest settle before reading back what was written (a few times the read-to-PUT time,
  // so that a concurrent signer's write built on an older read has landed).
  std::chrono::milliseconds max_settle{2000};
  // Waits between steps; unset: std::this_thread::sleep_for. Tests record the waits instead.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Annotations of the document's entry when the place is an OCI layout (its index.json), e.g.
  // cosign's kind; registries ignore them.
  std::map<std::string, std::string> index_annotations{};
};

class SignatureStore {
public:
  virtual ~SignatureStore() = default;

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
  // stored as it was, and errors say what happened. Limit error for an entry over
  // options.max_payload_size. An attestation already stored by options.signer_key with the same
  // statement is already_present.
  virtual common::Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                                              const AttachOptions& options = {}) = 0;
};

// The formats a store reads (in this order) and writes: one or both, no repeats.
using Formats = std::vector<Format>;
inline const Formats kBothFormats{Format::legacy, Format::bundle};

// The legacy backend for kind: the image manifest at <repo>:sha256-<hex>.sig (signatures) or .att
// (attestations), as cosign v2 and containers/image keep them. attach reads, extends and writes
// it (If-Match / If-None-Match, a 404 confirmed by the tag list and a second read, a read-back
// after a settle delay and a bounded merge when a concurrent signer replaced it, a watch after a
// PUT whose outcome is unknown). client must outlive the store.
std::unique_ptr<SignatureStore> make_tag_store(registry::Client& client,
                                               Kind kind = Kind::signature);

// The cosign v3 backend for kind: a referrer manifest per bundle (docs/formats.md section 11),
// found through the registry's referrers API or, where it has none (two answers in a row say so;
// believed for ten minutes) or lists nothing of the kind, the referrers index at tag sha256-<hex>.
// Referrers whose descriptors say they hold another kind (cosign's sign
// predicateType for a signature, any other for an attestation) are skipped unread. attach takes a
// bundle NewSignature of kind; it is a no-op when a bundle with the same statement verifying under
// options.signer_key is already there; it pushes the bundle, the empty config and the referrer
// manifest (annotated with the predicateType) by digest, and on registries without the API adds
// the referrer to the index with the tag store's guarantees (If-Match, read-back, merge, watch),
// repairing descriptors without an artifactType on the way. find returns one bundle layer per
// referrer whose single layer is a bundle (where: repo@digest of the referrer); a listing that
// fails is an error, never "nothing stored". Thread-safe.
std::unique_ptr<SignatureStore> make_referrers_store(registry::Client& client,
                                                     Kind kind = Kind::signature);

// The backend of one format for kind (make_tag_store or make_referrers_store).
std::unique_ptr<SignatureStore> make_format_store(registry::Client& client, Format format,
                                                  Kind kind = Kind::signature);

// One store over several, each holding one format: find reads them in order (a place that fails
// while another was read lands in unread; find_until stops after the first that settles the
// caller's rule), attach writes an entry to the backend of its format. Usage error when there
// are none or two of one format.
struct FormatStore {
  Format format;
  std::unique_ptr<SignatureStore> store;
};
common::Result<std::unique_ptr<SignatureStore>>
make_composite_store(std::vector<FormatStore> stores);

// The composite of kind's backends for formats, in that order (make_format_store each).
common::Result<std::unique_ptr<SignatureStore>>
make_store(registry::Client& client, const Formats& formats, Kind kind = Kind::signature);

} // namespace isign::cosign
