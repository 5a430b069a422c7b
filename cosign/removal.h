// Removing what is attached to an image, in both formats: one signer's signatures and
// attestations (isign revoke, the key-based successor of docker trust revoke), or all of them
// (isign clean). One path for both and for attest --replace: .sig/.att layers leave through the
// tag read-modify-write loop (others' layers kept byte for byte, concurrent signers merged),
// referrers are DELETEd and then leave the fallback index.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "cosign/store.h"
#include "cosign/stored.h"
#include "keys/keys.h"
#include "registry/client.h"

namespace isign::cosign {

// What to remove.
struct RemovalQuery {
  // Whose entries: those verifying under key (revoke); nullptr: every entry (clean).
  const keys::PublicKey* key = nullptr;
  bool signatures = true;
  bool attestations = true;
  bool legacy = true; // the .sig/.att tags
  bool bundle = true; // bundle referrers (a single layer of a sigstore bundle media type)
  // Attestations of this predicateType only ("": every type). Signatures are unaffected.
  std::string predicate_type{};
  // Entries larger than this are not read (so never matched by key).
  std::size_t max_size = kMaxAttestationSize;
};

// What happened at one place: the .sig, the .att, or the bundle referrers of one kind.
struct PlaceRemoval {
  Format format = Format::legacy;
  Kind kind = Kind::signature;
  std::string where;       // "reg/app:sha256-<hex>.sig", "reg/app@sha256:<subject> referrers"
  std::size_t removed = 0; // entries removed (layers, referrers)
  std::size_t kept = 0;    // entries of other signers left in place (revoke)
  bool deleted = false;    // legacy: the manifest was deleted (its last layer went)
  std::vector<std::string> notes{}; // what the user should know (a DELETE refused, say)
};

struct Removal {
  std::vector<PlaceRemoval> places; // the places that held anything asked for
  std::size_t removed() const;
};

// Removes what query asks for from subject's attachments. With a key, a .sig/.att loses the
// signer's layers through the tag read-modify-write loop (If-Match, read-back, another round when
// a concurrent signer wrote meanwhile; every other layer kept byte for byte) and is deleted when
// none is left (a registry refusing that DELETE: the empty manifest stays, noted: containers/image
// and cosign read it as unsigned); the signer's bundle referrers are deleted, then taken out of
// the fallback index (one refused DELETE: on a registry without a referrers API they are still
// taken out of the index, noted, as no verifier finds an unlisted referrer; with the API it is the
// error). Without a key (clean), manifests are deleted whole, referrers first: a registry refusing
// the first DELETE leaves everything as it was (registry error naming the refusal).
common::Result<Removal> remove_attached(registry::Client& client, const Subject& subject,
                                        const RemovalQuery& query,
                                        const AttachOptions& options = {});

} // namespace isign::cosign
