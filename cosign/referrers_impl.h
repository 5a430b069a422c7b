// Internal to cosign/: the referrers store (store.h, make_referrers_store) as a class, so that
// its parts live in files by concern: listing, finding and attaching (referrers_store.cpp),
// attest --replace (referrers_replace.cpp).
#pragma once

#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/index_document.h"
#include "cosign/referrer.h"
#include "cosign/store.h"
#include "cosign/tag_rmw.h"
#include "keys/keys.h"

namespace isign::cosign::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

// A bound on the signature referrers read for one image (each costs a request), below the
// listing's own bound (registry::kMaxReferrers, descriptors of every artifact type).
inline constexpr std::size_t kMaxSignatureReferrers = 1000;

// How long a registry that answered "no referrers API" twice in a row is taken at its word.
inline constexpr std::chrono::minutes kNoApiMemory{10};

inline std::string now_rfc3339() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What a listing found: the referrers' manifest digests, and where they were listed.
struct Listing {
  bool api = false;
  std::string where; // "the referrers API" or the tag
  std::vector<std::string> digests;
  std::string index_digest; // the index read at the tag ("" for the API or when there is none)
  std::size_t skipped = 0;  // referrers the listing shows are no image signature
};

// Whether a listed referrer can be skipped without reading its manifest: its artifactType says it
// is no bundle (an SBOM, say), or its predicateType annotation says it holds the other kind (an
// attestation when signatures are read, a signature when attestations are). Both are unsigned,
// so they only ever make isign read less, never accept more; a descriptor without them (older
// cosign 3.x wrote none, or the empty type) is read.
inline bool surely_other(Kind kind, std::string_view artifact_type,
                         std::string_view predicate_type) {
  if (!artifact_type.empty() && artifact_type != kEmptyMediaType &&
      artifact_type.rfind(kBundleMediaTypePrefix, 0) != 0)
    return true;
  if (predicate_type.empty())
    return false;
  return (predicate_type == kSignPredicateType) != (kind == Kind::signature);
}

// The predicateType a new referrer is annotated with: cosign's sign predicate for a signature, the
// statement's for an attestation.
inline std::string_view predicate_type(const NewSignature& sig) {
  return sig.kind == Kind::signature ? kSignPredicateType : std::string_view(sig.predicate_type);
}

class ReferrersStore final : public SignatureStore {
public:
  ReferrersStore(registry::Client& client, Kind kind) : client_(client), kind_(kind) {}

  Result<StoredSignatures> find(const Subject& subject) override {
    auto listing = list(subject);
    ISIGN_TRY(listing);
    return bundles(subject, *listing);
  }

  Result<std::string> fetch_payload(const Subject& subject, std::string_view digest,
                                    std::size_t max_size) override {
    return client_.get_blob(subject.repository, digest, max_size);
  }

  Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                              const AttachOptions& options) override;

private:
  // The bundle layers of the referrers listed: each referrer manifest read once. A referrer that
  // cannot be read is the error when no bundle is found, unless ignore_unreadable (sign's look
  // for its own bundle, which must not be stopped by another tool's artifact).
  Result<StoredSignatures> bundles(const Subject& subject, const Listing& listing,
                                   bool ignore_unreadable = false) {
    StoredSignatures out;
    out.where = "referrers of " + subject.digest + " (" + listing.where + ")";
    std::optional<Error> unreadable; // the first referrer that is no manifest isign can read
    for (std::size_t i = 0; i < listing.digests.size(); ++i) {
      const std::string& digest = listing.digests[i];
      auto m = client_.get_manifest(subject.repository, digest);
      if (!m) {
        if (m.error().kind() == ErrorKind::not_found)
          continue; // listed, then deleted: nothing to judge
        return std::move(m).error().context("fetching referrer " + digest);
      }
      // Another tool's referrer isign cannot read (an OCI artifact manifest, say) does not stop
      // the others from being judged; it decides only when no bundle is found.
      auto r = read_referrer(m->bytes);
      if (!r) {
        if (!unreadable)
          unreadable = std::move(r).error().context("referrer " + digest);
        continue;
      }
      // A referrer listed for another subject (a planted index entry) says nothing about this
      // image; cosign keeps only those whose layer is a bundle.
      if (!r->bundle || r->subject_digest != subject.digest)
        continue;
      // A referrer whose manifest says it holds the other kind (its listing did not say) is
      // skipped as the listing would have skipped it.
      if (auto type = r->annotations.find(std::string(kAnnotationPredicateType));
          type != r->annotations.end()) {
        if (surely_other(kind_, "", type->second))
          continue;
        r->bundle->predicate_type = type->second;
      }
      r->bundle->index = i;
      r->bundle->kind = kind_;
      r->bundle->where = subject.repository.str() + "@" + digest;
      out.layers.push_back(std::move(*r->bundle));
    }
    if (out.layers.empty() && unreadable && !ignore_unreadable)
      return std::move(*unreadable);
    if (out.layers.empty())
      return make_error(ErrorKind::no_signature,
                        "no " + std::string(kind_name(kind_)) + " bundles found for " +
                            subject.repository.str() + "@" + subject.digest + " (" +
                            std::to_string(listing.digests.size() + listing.skipped) +
                            " referrers in " + listing.where + ")");
    return out;
  }

  Result<Listing> list(const Subject& subject);
  Result<Listing> list_api(const Subject& subject);
  Result<Listing> list_index(const Subject& subject, const std::string& tag);
  Result<std::optional<AttachOutcome>> already_there(const Subject& subject, const Listing& listing,
                                                     const NewSignature& sig,
                                                     const AttachOptions& options);
  Result<AttachResult> add_to_index(const Subject& subject, const std::string& referrer,
                                    const std::string& manifest, const AttachOptions& options);
  Result<AttachResult> push(const Subject& subject, const registry::Descriptor& image,
                            const Listing& listing, const NewSignature& sig,
                            const AttachOptions& options);
  // attest --replace: the signer's referrers of sig's predicateType, and the one holding sig's
  // statement (if any).
  struct SignerBundles {
    std::vector<std::string> referrers;
    std::optional<std::string> same;
  };
  Result<SignerBundles> signer_bundles(const Subject& subject, const Listing& listing,
                                       const NewSignature& sig, const AttachOptions& options);
  Result<AttachResult> replace(const Subject& subject, const registry::Descriptor& image,
                               const Listing& listing, const NewSignature& sig,
                               const AttachOptions& options);

  // What is known of a registry's referrers API. Listers of a registry whose API is not known
  // probe it one at a time while the others wait for the answer, so that a batch asks once, not
  // once per concurrent image. "No API" is believed after two answers in a row say so (one 404
  // from a proxy or a replica is not a fact about the registry), and then only for
  // kNoApiMemory: a long-running process asks again.
  struct ApiState {
    std::mutex probe;
    bool has_api = false;
    std::chrono::steady_clock::time_point no_api_until{};
  };
  ApiState& api_state(const std::string& registry) {
    std::lock_guard<std::mutex> lock(mu_);
    return api_[registry];
  }

  registry::Client& client_;
  Kind kind_;
  std::mutex mu_;
  std::map<std::string, ApiState> api_; // per registry host; nodes never move
};

} // namespace isign::cosign::detail
