#include "cosign/referrers_impl.h"

namespace isign::cosign {

namespace detail {

// The referrers API first (distribution-spec 1.1); a registry without it (404, 400, 406 or
// another Content-Type, as the client reports; twice in a row) is remembered for kNoApiMemory and
// the index at the referrers tag read instead. An API that lists nothing of this kind is not the
// last word either: the index is read too, where a signer kept a referrer the API did not list
// (as the spec asks) and where a registry that gained the API later still lists what came
// before. Any other failure is an error: "could not list" is never "none".
Result<Listing> ReferrersStore::list(const Subject& subject) {
  auto tag = referrers_tag(subject.digest);
  ISIGN_TRY(tag);
  ApiState& state = api_state(subject.repository.registry);
  std::unique_lock<std::mutex> probing(state.probe);
  const bool known_api = state.has_api;
  const bool known_none = !known_api && std::chrono::steady_clock::now() < state.no_api_until;
  // Once the answer is known, listings run concurrently.
  if (known_api || known_none)
    probing.unlock();
  if (!known_none) {
    auto api = list_api(subject);
    if (api && !api->api && !known_api)
      api = list_api(subject); // the second opinion
    ISIGN_TRY(api);
    if (probing.owns_lock()) {
      state.has_api = api->api;
      if (!api->api)
        state.no_api_until = std::chrono::steady_clock::now() + kNoApiMemory;
      probing.unlock();
    }
    if (api->api && !api->digests.empty())
      return api;
    if (api->api) {
      // Nothing of this kind listed: an index that cannot be read leaves the API's answer.
      auto index = list_index(subject, *tag);
      if (!index || index->index_digest.empty())
        return api;
      api->where += " and " + index->where;
      api->digests = std::move(index->digests);
      api->skipped += index->skipped;
      api->index_digest = index->index_digest;
      return api;
    }
  }
  return list_index(subject, *tag);
}

// The listing of the referrers API; api false when the registry answered that it has none.
Result<Listing> ReferrersStore::list_api(const Subject& subject) {
  auto api = client_.list_referrers(subject.repository, subject.digest);
  ISIGN_TRY_CONTEXT(api, "listing the referrers of " + subject.digest);
  Listing out;
  if (!api->api)
    return out;
  out.api = true;
  out.where = "the referrers API";
  for (const auto& d : api->descriptors) {
    auto p = d.annotations.find(std::string(kAnnotationPredicateType));
    if (surely_other(kind_, d.artifact_type,
                     p == d.annotations.end() ? "" : std::string_view(p->second)))
      ++out.skipped;
    else
      out.digests.push_back(d.digest);
  }
  if (out.digests.size() > kMaxSignatureReferrers)
    return make_error(ErrorKind::limit, "the image has " + std::to_string(out.digests.size()) +
                                            " referrers, more than the limit of " +
                                            std::to_string(kMaxSignatureReferrers));
  return out;
}

// The listing of the referrers index at tag (none there: an empty listing).
Result<Listing> ReferrersStore::list_index(const Subject& subject, const std::string& tag) {
  Listing out;
  out.where = "the referrers tag " + tag;
  auto index = client_.get_manifest(subject.repository, tag);
  if (!index) {
    if (index.error().kind() == ErrorKind::not_found)
      return out;
    return std::move(index).error().context("reading the referrers tag " + tag);
  }
  // GitLab resolves sha256-<hex> to the subject itself (oras-go#1396): no referrers there.
  if (index->digest == subject.digest)
    return out;
  if (index->media_type != registry::kOciIndex)
    return make_error(ErrorKind::registry, "the referrers tag " + tag + " holds a " +
                                               index->media_type + ", not an OCI index");
  auto entries = read_referrers_index(index->bytes);
  ISIGN_TRY_CONTEXT(entries, tag);
  if (entries->size() > kMaxSignatureReferrers)
    return make_error(ErrorKind::limit, "the referrers index " + tag + " lists " +
                                            std::to_string(entries->size()) +
                                            " referrers, more than the limit of " +
                                            std::to_string(kMaxSignatureReferrers));
  out.index_digest = index->digest;
  for (const auto& e : *entries) {
    if (surely_other(kind_, e.artifact_type, e.predicate_type))
      ++out.skipped;
    else
      out.digests.push_back(*e.descriptor.digest);
  }
  return out;
}

// Whether a bundle of the same statement that verifies under the signer's key is there (ECDSA
// signatures differ on every run, so the bundle bytes differ too): cosign piles up a new referrer
// each time, isign does not.
Result<std::optional<AttachOutcome>> ReferrersStore::already_there(const Subject& subject,
                                                                   const Listing& listing,
                                                                   const NewSignature& sig,
                                                                   const AttachOptions& options) {
  if (!options.signer_key || listing.digests.empty())
    return std::optional<AttachOutcome>();
  auto found = bundles(subject, listing, true);
  if (!found) {
    if (found.error().kind() == ErrorKind::no_signature)
      return std::optional<AttachOutcome>();
    return std::move(found).error();
  }
  // Our own bundle, byte for byte (a recheck after the batch): nothing to fetch or decode.
  const std::string ours = common::sha256_digest(sig.bundle);
  for (const auto& layer : found->layers)
    if (layer.digest == ours && layer.size == sig.bundle.size()) {
      auto exists = client_.blob_exists(subject.repository, ours);
      ISIGN_TRY_CONTEXT(exists, "checking bundle " + ours);
      if (*exists)
        return std::optional(AttachOutcome::already_present);
    }
  for (const auto& layer : found->layers) {
    if (!layer.digest || !layer.size || *layer.size > options.max_payload_size)
      continue;
    auto blob = client_.get_blob(subject.repository, *layer.digest, *layer.size);
    if (!blob) {
      if (blob.error().kind() == ErrorKind::not_found)
        continue; // a referrer whose bundle is lost: a new one is written beside it
      return std::move(blob).error().context("reading bundle " + *layer.digest);
    }
    auto bundle = parse_bundle(*blob);
    *blob = std::string();
    if (!bundle || !bundle->envelope || bundle->envelope->payload != sig.payload)
      continue;
    const auto& envelope = *bundle->envelope;
    const std::string head = dsse_pae_head(envelope.payload_type, envelope.payload.size());
    const keys::PublicKey& key = *options.signer_key;
    if (key.verify_parts({head, envelope.payload}, envelope.signature,
                         keys::default_hash(key.algorithm())))
      return std::optional(AttachOutcome::already_present);
  }
  return std::optional<AttachOutcome>();
}

Result<AttachResult> ReferrersStore::attach(const Subject& subject, const NewSignature& sig,
                                            const AttachOptions& given) {
  const AttachOptions options = detail::for_place(given, client_, subject.repository);
  if (sig.format != Format::bundle || sig.kind != kind_)
    return make_error(ErrorKind::internal, "the referrers store of " +
                                               std::string(kind_name(kind_)) +
                                               "s keeps bundles of them only");
  ISIGN_TRY(
      detail::check_attachment_size("bundle", sig.bundle.size(), kind_, options.max_payload_size));
  registry::Descriptor image{subject.media_type, subject.digest, subject.size};
  if (image.media_type.empty() || image.size == 0) {
    auto head = client_.head_manifest(subject.repository, subject.digest);
    ISIGN_TRY_CONTEXT(head, "reading the image's descriptor");
    image = *head;
  }
  auto listing = list(subject);
  ISIGN_TRY(listing);
  if (sig.kind == Kind::attestation && options.replace && options.signer_key)
    return replace(subject, image, *listing, sig, options);
  auto already = already_there(subject, *listing, sig, options);
  ISIGN_TRY(already);
  if (*already)
    return AttachResult{
        **already, {}, "referrers of " + subject.repository.str() + "@" + subject.digest};

  return push(subject, image, *listing, sig, options);
}

Result<AttachResult> ReferrersStore::push(const Subject& subject, const registry::Descriptor& image,
                                          const Listing& listing_in, const NewSignature& sig,
                                          const AttachOptions& options) {
  const Listing* listing = &listing_in;
  const std::string bundle_digest = common::sha256_digest(sig.bundle);
  const std::string config_digest = common::sha256_digest(kEmptyConfig);
  // Blobs, then the referrer by digest (no tag: it is found through its subject). All
  // content-addressed, so a refusal is retried whole: under concurrent signers distribution
  // answers 400 (DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN) while another one's upload of the same
  // empty config relinks it, and a 5xx may have stored the request anyway.
  const std::string manifest = make_referrer_manifest(image, bundle_digest, sig.bundle.size(),
                                                      predicate_type(sig), now_rfc3339());
  const std::string referrer = common::sha256_digest(manifest);
  auto push = [&]() -> Result<registry::PutResult> {
    ISIGN_TRY_CONTEXT(client_.put_blob(subject.repository, config_digest, kEmptyConfig),
                      "uploading the empty config blob");
    ISIGN_TRY_CONTEXT(client_.upload_blob(subject.repository, bundle_digest, sig.bundle),
                      "uploading bundle " + bundle_digest);
    auto put = client_.put_manifest_with_subject(subject.repository, referrer, manifest,
                                                 registry::kOciManifest);
    ISIGN_TRY_CONTEXT(put, "pushing referrer " + referrer);
    return put;
  };
  auto put = push();
  constexpr int kPushAttempts = 4;
  for (int attempt = 1; !put && attempt < kPushAttempts; ++attempt) {
    if (!detail::retryable_put_failure(put.error()))
      break;
    detail::pause(options, 50 * attempt, 0);
    put = push();
  }
  ISIGN_TRY(put);
  // OCI-Subject: the registry processed the subject and lists the referrer itself. Believed when
  // its listing just answered as an API; a registry whose listing said it has none (a proxy that
  // adds the header, a replica behind a balancer) is asked to show the referrer first: a bundle
  // no listing shows is one no verifier finds.
  const std::string where = subject.repository.str() + "@" + referrer;
  const bool claimed = put->oci_subject == subject.digest;
  if (claimed && listing->api)
    return AttachResult{AttachOutcome::attached, {}, where};
  if (listing->api || claimed) {
    // A registry with the API that did not say so, or one that said so against its listing:
    // confirm it lists the new referrer, else keep the index as the spec asks of a client whose
    // PUT was not processed for its subject.
    auto again = client_.list_referrers(subject.repository, subject.digest);
    if (!again && listing->api)
      return std::move(again).error().context("listing the referrers after pushing " + referrer);
    if (again)
      for (const auto& d : again->descriptors)
        if (d.digest == referrer)
          return AttachResult{AttachOutcome::attached, {}, where};
  }
  return add_to_index(subject, referrer, manifest, options);
}

Result<AttachResult> ReferrersStore::add_to_index(const Subject& subject,
                                                  const std::string& referrer,
                                                  const std::string& manifest,
                                                  const AttachOptions& options) {
  auto tag = referrers_tag(subject.digest);
  ISIGN_TRY(tag);
  auto r = read_referrer(manifest);
  ISIGN_TRY(r);
  const std::string descriptor = referrers_index_descriptor(
      registry::kOciManifest, referrer, manifest.size(), r->artifact_type, r->annotations);
  auto doc = detail::make_index_document(client_, subject, descriptor, referrer);
  auto written = detail::read_modify_write(client_, subject.repository, *tag, *doc, options);
  ISIGN_TRY_CONTEXT(written, "adding referrer " + referrer + " to the index " + *tag);
  // The index had it already only when an earlier, interrupted run listed it: still a new
  // signature for the caller.
  if (written->outcome == AttachOutcome::already_present)
    written->outcome = AttachOutcome::attached;
  written->where = subject.repository.str() + "@" + referrer + ", listed in " +
                   subject.repository.str() + ":" + *tag;
  return written;
}

} // namespace detail

std::unique_ptr<SignatureStore> make_referrers_store(registry::Client& client, Kind kind) {
  return std::make_unique<detail::ReferrersStore>(client, kind);
}

} // namespace isign::cosign
