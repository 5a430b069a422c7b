// attest --replace over referrers: the signer's older attestations of the type leave the
// fallback index and are deleted where the registry allows.
#include "cosign/referrers_impl.h"

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
  const keys::PublicKey& key = *options.signer_key;
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
    auto bundle = parse_bundle(*blob);
    *blob = std::string();
    if (!bundle || !bundle->envelope)
      continue;
    const auto& envelope = *bundle->envelope;
    const std::string head = dsse_pae_head(envelope.payload_type, envelope.payload.size());
    if (!key.verify_parts({head, envelope.payload}, envelope.signature,
                          keys::default_hash(key.algorithm())))
      continue;
    auto statement = parse_statement(envelope.payload);
    if (!statement || statement->predicate_type != sig.predicate_type)
      continue;
    const std::string& referrer = listing.digests[layer.index];
    out.referrers.push_back(referrer);
    if (!out.same && envelope.payload == sig.payload)
      out.same = referrer;
  }
  return out;
}

// The new attestation first (or the one already there with the same statement), then the
// signer's others of its type removed: from the fallback index, and deleted where the registry
// allows (with a referrers API a referrer is listed until deleted). Never fewer than one.
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
  if (!listing.index_digest.empty() || !listing.api) {
    auto tag = referrers_tag(subject.digest);
    ISIGN_TRY(tag);
    auto doc = detail::make_index_removal(subject, old);
    auto removed = detail::read_modify_write(client_, subject.repository, *tag, *doc, options);
    ISIGN_TRY_CONTEXT(removed, "removing the replaced attestations from the index " + *tag);
  }
  for (const auto& r : old) {
    auto deleted = client_.delete_manifest(subject.repository, r);
    if (!deleted && deleted.error().kind() != ErrorKind::not_found) {
      if (listing.api)
        return std::move(deleted).error().context(
            "the new attestation is stored, but deleting the replaced referrer " + r +
            " failed (the registry still lists it)");
      result.notes.push_back("the replaced referrer " + r +
                             " is no longer listed, but the registry refused to delete its "
                             "manifest (" +
                             deleted.error().message() + ")");
    }
  }
  result.replaced = old.size();
  return result;
}

} // namespace isign::cosign::detail
