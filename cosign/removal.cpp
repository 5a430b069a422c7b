#include "cosign/removal.h"

#include "cosign/attached.h"
#include "cosign/bundle.h"
#include "cosign/index_document.h"
#include "cosign/referrer.h"
#include "cosign/removal_impl.h"
#include "cosign/signature_manifest.h"
#include "cosign/signer_match.h"

namespace isign::cosign {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

std::size_t Removal::removed() const {
  std::size_t n = 0;
  for (const auto& p : places)
    n += p.removed;
  return n;
}

namespace detail {

// DELETE before the index: a registry that refuses DELETE (distribution without
// storage.delete.enabled answers 405 UNSUPPORTED) then refuses before anything changed, and a
// referrer deleted but still listed is skipped by verifiers as "listed, then deleted".
Result<ReferrerRemoval> remove_referrers(registry::Client& client, const Subject& subject,
                                         const std::vector<std::string>& digests, bool index_in_use,
                                         bool unlist_refused, const AttachOptions& options) {
  ReferrerRemoval out;
  for (const auto& d : digests) {
    if (out.refusal) {
      (unlist_refused ? out.unlisted : out.left).push_back(d);
      continue;
    }
    auto deleted = client.delete_manifest(subject.repository, d);
    if (deleted || deleted.error().kind() == ErrorKind::not_found) {
      out.deleted.push_back(d);
      continue;
    }
    out.refusal = std::move(deleted).error();
    (unlist_refused ? out.unlisted : out.left).push_back(d);
  }
  std::vector<std::string> unlist = out.deleted;
  unlist.insert(unlist.end(), out.unlisted.begin(), out.unlisted.end());
  if (!index_in_use || unlist.empty())
    return out;
  auto tag = referrers_tag(subject.digest);
  ISIGN_TRY(tag);
  auto doc = make_index_removal(subject, unlist);
  auto removed = read_modify_write(client, subject.repository, *tag, *doc, options);
  ISIGN_TRY_CONTEXT(removed, "removing " + std::to_string(unlist.size()) +
                                 " referrer(s) from the index " + *tag);
  return out;
}

} // namespace detail

namespace {

// Passes over a .sig/.att at most (the first, and more while one still finds the signer's
// layers), and the settle before each after the first (milliseconds).
constexpr int kLegacyPasses = 3;
constexpr long kPassSettleMs = 1000;

std::string refusal_text(const Error& e) {
  return e.message();
}

class Remover {
public:
  Remover(registry::Client& client, const Subject& subject, const RemovalQuery& query,
          const AttachOptions& options)
      : client_(client), subject_(subject), query_(query), options_(options) {}

  Result<Removal> run() {
    AttachedQuery q;
    q.legacy = query_.legacy;
    q.bundle = query_.bundle;
    q.signatures = query_.signatures;
    q.attestations = query_.attestations;
    // A bundle without a predicateType annotation is of unknown kind until its statement is read.
    q.other_referrers = true;
    q.unreadable_as_other = true;
    auto attached = list_attached(client_, subject_, q);
    ISIGN_TRY(attached);
    // Referrers first: clean's first DELETE is then one whose refusal changes nothing.
    if (query_.bundle)
      ISIGN_TRY(referrers(*attached));
    if (query_.legacy)
      for (const auto& m : attached->manifests)
        if (m.role == AttachedRole::legacy_tag && m.kind)
          ISIGN_TRY(legacy(m));
    return std::move(out_);
  }

private:
  bool wanted(Kind kind) const {
    return kind == Kind::signature ? query_.signatures : query_.attestations;
  }

  // The kind of a bundle referrer that query matches, or nullopt.
  Result<std::optional<Kind>> bundle_match(const AttachedManifest& m) {
    std::optional<Kind> none;
    if (!m.bundle || m.blobs.size() != 2)
      return none;
    if (!query_.key) {
      // clean: a bundle of unknown kind (no predicateType annotation) goes with --type all only.
      if (m.kind)
        return wanted(*m.kind) ? m.kind : none;
      return query_.signatures && query_.attestations ? std::optional(Kind::attestation) : none;
    }
    const auto& layer = m.blobs[1];
    if (layer.size > query_.max_size)
      return none;
    auto blob = client_.get_blob(subject_.repository, layer.digest, layer.size);
    if (!blob) {
      if (blob.error().kind() == ErrorKind::not_found)
        return none;
      return std::move(blob).error().context("reading bundle " + layer.digest);
    }
    auto entry = detail::bundle_signed_by(*blob, *query_.key);
    if (!entry)
      return none;
    const Kind kind =
        entry->predicate_type == kSignPredicateType ? Kind::signature : Kind::attestation;
    if (!wanted(kind))
      return none;
    if (kind == Kind::attestation && !query_.predicate_type.empty() &&
        entry->predicate_type != query_.predicate_type)
      return none;
    return std::optional(kind);
  }

  Result<void> referrers(const Attached& attached) {
    bool has_index = false;
    std::vector<std::string> digests[2];
    std::size_t bundles[2] = {0, 0};
    for (const auto& m : attached.manifests) {
      if (m.role == AttachedRole::referrers_index)
        has_index = true;
      if (m.role != AttachedRole::referrer || !m.bundle)
        continue;
      auto kind = bundle_match(m);
      ISIGN_TRY(kind);
      const std::size_t k = m.kind == Kind::signature ? 0 : 1;
      ++bundles[k];
      if (*kind)
        digests[*kind == Kind::signature ? 0 : 1].push_back(m.manifest.digest);
    }
    for (Kind kind : {Kind::signature, Kind::attestation}) {
      const std::size_t k = kind == Kind::signature ? 0 : 1;
      if (digests[k].empty())
        continue;
      PlaceRemoval place;
      place.format = Format::bundle;
      place.kind = kind;
      place.where = subject_.repository.str() + "@" + subject_.digest + " referrers";
      const bool revoke = query_.key != nullptr;
      auto removed = detail::remove_referrers(
          client_, subject_, digests[k], has_index || !attached.referrers_api, revoke, options_);
      ISIGN_TRY(removed);
      place.removed = removed->deleted.size() + removed->unlisted.size();
      place.kept = bundles[k] > place.removed ? bundles[k] - place.removed : 0;
      if (removed->refusal) {
        const std::string why = refusal_text(*removed->refusal);
        if (!revoke || attached.referrers_api) {
          if (place.removed > 0)
            out_.places.push_back(place);
          return make_error(removed->refusal->kind(),
                            "the registry refused to delete referrer manifest(s) (" + why +
                                "): " + std::to_string(removed->left.size()) + " " +
                                std::string(kind_name(kind)) + " bundle(s) left in place" +
                                (out_.removed() == 0 ? ", nothing was removed" : "") +
                                (!revoke ? " (enable deletes on the registry, e.g. distribution's "
                                           "storage.delete.enabled)"
                                         : ""));
        }
        place.notes.push_back(std::to_string(removed->unlisted.size()) +
                              " referrer(s) no longer listed in the referrers index, but the "
                              "registry refused to delete their manifests (" +
                              why + ")");
      }
      out_.places.push_back(std::move(place));
    }
    return {};
  }

  Result<void> legacy(const AttachedManifest& m) {
    const Kind kind = *m.kind;
    if (!wanted(kind))
      return {};
    PlaceRemoval place;
    place.format = Format::legacy;
    place.kind = kind;
    place.where = m.where(subject_.repository);
    if (!query_.key) {
      auto read = read_signature_manifest(m.manifest.bytes, kind);
      ISIGN_TRY_CONTEXT(read, place.where);
      ISIGN_TRY(delete_whole(m.manifest.digest, place));
      place.removed = read->layers.size();
      place.deleted = true;
      out_.places.push_back(std::move(place));
      return {};
    }
    // Distribution has no compare-and-swap: a signer whose read came before our PUT may land a
    // copy holding the signer's layers after our read-back. Another pass after a settle (the
    // layers' verdicts are cached, so it costs a read) removes what such a copy put back.
    auto doc = detail::make_layer_removal(client_, subject_.repository, kind, query_);
    for (int pass = 0; pass < kLegacyPasses; ++pass) {
      if (pass > 0)
        detail::pause(options_, kPassSettleMs, kPassSettleMs / 4);
      auto written = detail::read_modify_write(client_, subject_.repository, m.tag, *doc, options_);
      ISIGN_TRY_CONTEXT(written, "removing layers from " + place.where);
      if (written->outcome == AttachOutcome::already_present)
        break; // none (left) of the signer's
      if (pass > 0)
        place.notes.push_back(std::to_string(doc->removed()) +
                              " layer(s) a concurrent writer's older copy put back were removed "
                              "again");
      else
        place.removed = doc->removed();
      place.kept = doc->kept();
      place.notes.insert(place.notes.end(), written->notes.begin(), written->notes.end());
    }
    if (place.removed == 0)
      return {};
    if (place.kept == 0)
      ISIGN_TRY(delete_if_empty(m.tag, place));
    out_.places.push_back(std::move(place));
    return {};
  }

  // clean: the first refused DELETE is the error, before anything else changed.
  Result<void> delete_whole(const std::string& digest, const PlaceRemoval& place) {
    auto deleted = client_.delete_manifest(subject_.repository, digest);
    if (deleted || deleted.error().kind() == ErrorKind::not_found)
      return {};
    return make_error(deleted.error().kind(),
                      "the registry refused to delete " + place.where + " (" +
                          deleted.error().message() + "): its " +
                          std::string(kind_name(place.kind)) + "s are left in place" +
                          (out_.removed() == 0 ? ", nothing was removed" : "") +
                          " (enable deletes on the registry, e.g. distribution's "
                          "storage.delete.enabled)");
  }

  // A .sig/.att whose last layer went is deleted (by the digest of the empty manifest read back,
  // so a concurrent signer's newer version is untouched); a refusal leaves the empty manifest,
  // which containers/image and cosign read as unsigned.
  Result<void> delete_if_empty(const std::string& tag, PlaceRemoval& place) {
    auto now = client_.get_manifest(subject_.repository, tag);
    if (!now)
      return now.error().kind() == ErrorKind::not_found
                 ? Result<void>()
                 : Result<void>(std::move(now).error().context("reading back " + place.where));
    auto read = read_signature_manifest(now->bytes, place.kind);
    if (!read || !read->layers.empty())
      return {};
    auto deleted = client_.delete_manifest(subject_.repository, now->digest);
    if (deleted || deleted.error().kind() == ErrorKind::not_found) {
      place.deleted = true;
      return {};
    }
    place.notes.push_back("left with no layers: the registry refused to delete it (" +
                          deleted.error().message() + "); verifiers read it as unsigned");
    return {};
  }

  registry::Client& client_;
  const Subject& subject_;
  const RemovalQuery& query_;
  const AttachOptions& options_;
  Removal out_;
};

} // namespace

Result<Removal> remove_attached(registry::Client& client, const Subject& subject,
                                const RemovalQuery& query, const AttachOptions& options) {
  return Remover(client, subject, query, options).run();
}

} // namespace isign::cosign
