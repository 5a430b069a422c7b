// attest --replace over referrers: the signer's older attestations of the type are deleted where
// the registry allows and leave the fallback index (revoke's path, removal_impl.h).
#include "cosign/referrers_impl.h"
#include "cosign/removal_impl.h"
#include "cosign/signer_match.h"

namespace isign::cosign::detail {

Result<ReferrersStore::SignerBundles> ReferrersStore::signer_bundles(const Subject& subject,
                                                                     const Listing& listing,
                                                                     const NewSignature& sig,
                                                                     const AttachOptions& options) {
  SignerBundles out;
  if (listing.digests.empty())
    return out;
  auto found = bundles(subject, listing, true);
  if (!found) {
    if (found.error().kind() == ErrorKind::no_signature)
      return out;
    return std::move(found).error();
  }
  for (const auto& layer : found->layers) {
    if (!layer.predicate_type.empty() && layer.predicate_type != sig.predicate_type)
      continue;
    if (!layer.digest || !layer.size || *layer.size > options.max_payload_size)
      continue;
    auto blob = client_.get_blob(subject.repository, *layer.digest, *layer.size);
    if (!blob) {
      if (blob.error().kind() == ErrorKind::not_found)
        continue;
      return std::move(blob).error().context("reading bundle " + *layer.digest);
    }
    auto entry = bundle_signed_by(*blob, *options.signer_key);
    *blob = std::string();
    if (!entry || entry->predicate_type != sig.predicate_type)
      continue;
    const std::string& referrer = listing.digests[layer.index];
    out.referrers.push_back(referrer);
    if (!out.same && entry->statement_digest == common::sha256_digest(sig.payload))
      out.same = referrer;
  }
  return out;
}

// The new attestation first (or the one already there with the same statement), then the
// signer's others of its type removed as revoke removes them (remove_referrers: deleted, then out
// of the fallback index; with a referrers API a referrer is listed until deleted). Never fewer
// than one.
Result<AttachResult> ReferrersStore::replace(const Subject& subject,
                                             const registry::Descriptor& image,
                                             const Listing& listing, const NewSignature& sig,
                                             const AttachOptions& options) {
  auto mine = signer_bundles(subject, listing, sig, options);
  ISIGN_TRY(mine);
  AttachResult result{AttachOutcome::already_present,
                      {},
                      "referrers of " + subject.repository.str() + "@" + subject.digest};
  if (!mine->same) {
    auto pushed = push(subject, image, listing, sig, options);
    ISIGN_TRY(pushed);
    result = std::move(*pushed);
  }
  std::vector<std::string> old;
  for (const auto& r : mine->referrers)
    if (r != mine->same)
      old.push_back(r);
  if (old.empty())
    return result;
  auto removed = remove_referrers(
      client_, subject, old, !listing.index_digest.empty() || !listing.api, !listing.api, options);
  ISIGN_TRY_CONTEXT(removed, "removing the replaced attestations");
  if (removed->refusal) {
    if (listing.api)
      return std::move(*removed->refusal)
          .context("the new attestation is stored, but deleting the replaced referrer " +
                   removed->left.front() + " failed (the registry still lists it)");
    for (const auto& r : removed->unlisted)
      result.notes.push_back("the replaced referrer " + r +
                             " is no longer listed, but the registry refused to delete its "
                             "manifest (" +
                             removed->refusal->message() + ")");
  }
  result.replaced = old.size();
  return result;
}

} // namespace isign::cosign::detail
