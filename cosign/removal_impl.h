// Internal to cosign/: the two halves of removal.h, each shared with attest --replace: layers out
// of a .sig/.att through the tag read-modify-write loop, referrers deleted and unlisted.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cosign/removal.h"
#include "cosign/tag_rmw.h"

namespace isign::cosign::detail {

// The .sig/.att at tag without the layers query matches (its key must be set), as a tag document.
class LayerRemoval : public TagDocument {
public:
  // Layers the last build took out, and left in.
  virtual std::size_t removed() const = 0;
  virtual std::size_t kept() const = 0;
};
std::unique_ptr<LayerRemoval> make_layer_removal(registry::Client& client,
                                                 const registry::Repository& repo, Kind kind,
                                                 const RemovalQuery& query);

// What remove_referrers did.
struct ReferrerRemoval {
  std::vector<std::string> deleted;     // DELETEd (or already gone), and no longer listed
  std::vector<std::string> unlisted;    // DELETE refused, taken out of the index only
  std::vector<std::string> left;        // DELETE refused and still listed (or never tried)
  std::optional<common::Error> refusal; // the first refused DELETE
};

// Deletes the referrers `digests` of subject, then takes them out of the fallback index (where
// there is one, or no API: index_in_use) with the tag read-modify-write loop, others' entries kept.
// DELETE comes first so that a registry refusing DELETE leaves the index as it was; after the
// first refusal no other DELETE is tried. unlist_refused: the refused ones leave the index too
// (revoke, --replace: unlisted is unseen by every verifier when there is no API). Errors: the
// index could not be rewritten (what was deleted stays deleted: a listed, deleted referrer is
// skipped by verifiers as "listed, then deleted").
common::Result<ReferrerRemoval> remove_referrers(registry::Client& client, const Subject& subject,
                                                 const std::vector<std::string>& digests,
                                                 bool index_in_use, bool unlist_refused,
                                                 const AttachOptions& options);

} // namespace isign::cosign::detail
