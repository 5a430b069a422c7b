#include "cosign/attached.h"

#include <algorithm>
#include <set>

#include "cosign/bundle.h"
#include "cosign/referrer.h"
#include "registry/copy.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;

std::string_view attached_role_name(AttachedRole role) {
  switch (role) {
  case AttachedRole::legacy_tag:
    return "legacy";
  case AttachedRole::referrer:
    return "referrer";
  case AttachedRole::referrers_index:
    return "referrers index";
  }
  return "legacy";
}

std::string AttachedManifest::where(const registry::Repository& repo) const {
  if (role == AttachedRole::referrer)
    return repo.str() + "@" + manifest.digest;
  return repo.str() + ":" + tag;
}

namespace {

class Lister {
public:
  Lister(registry::Client& client, const Subject& subject, const AttachedQuery& query)
      : client_(client), subject_(subject), query_(query) {}

  Result<Attached> run() {
    if (query_.legacy) {
      if (query_.signatures)
        ISIGN_TRY(legacy(Kind::signature));
      if (query_.attestations)
        ISIGN_TRY(legacy(Kind::attestation));
    }
    if (query_.bundle)
      ISIGN_TRY(referrers());
    return std::move(out_);
  }

private:
  const registry::Repository& repo() const { return subject_.repository; }

  Result<void> legacy(Kind kind) {
    auto tag = kind_tag(kind, subject_.digest);
    ISIGN_TRY(tag);
    auto m = client_.get_manifest(repo(), *tag);
    if (!m) {
      if (m.error().kind() == ErrorKind::not_found)
        return {};
      return std::move(m).error().context("reading " + repo().str() + ":" + *tag);
    }
    auto blobs = registry::named_blobs(*m);
    ISIGN_TRY_CONTEXT(blobs, repo().str() + ":" + *tag);
    AttachedManifest a;
    a.role = AttachedRole::legacy_tag;
    a.kind = kind;
    a.tag = std::move(*tag);
    a.manifest = std::move(*m);
    a.blobs = std::move(*blobs);
    out_.manifests.push_back(std::move(a));
    return {};
  }

  void note(const std::string& digest) {
    if (seen_.insert(digest).second)
      digests_.push_back(digest);
  }

  Result<void> referrers() {
    auto api = client_.list_referrers(repo(), subject_.digest);
    ISIGN_TRY_CONTEXT(api, "listing the referrers of " + subject_.digest);
    out_.referrers_api = api->api;
    for (const auto& d : api->descriptors)
      note(d.digest);
    auto tag = referrers_tag(subject_.digest);
    ISIGN_TRY(tag);
    std::optional<AttachedManifest> index;
    auto m = client_.get_manifest(repo(), *tag);
    if (!m && m.error().kind() != ErrorKind::not_found)
      return std::move(m).error().context("reading the referrers tag " + *tag);
    // GitLab resolves sha256-<hex> to the subject itself (oras-go#1396): no index there.
    if (m && m->digest != subject_.digest) {
      if (m->media_type != registry::kOciIndex)
        return make_error(ErrorKind::registry, "the referrers tag " + *tag + " holds a " +
                                                   m->media_type + ", not an OCI index");
      auto entries = read_referrers_index(m->bytes);
      ISIGN_TRY_CONTEXT(entries, *tag);
      index.emplace();
      index->role = AttachedRole::referrers_index;
      index->tag = *tag;
      for (const auto& e : *entries) {
        note(*e.descriptor.digest);
        index->lists.push_back(*e.descriptor.digest);
      }
      index->manifest = std::move(*m);
    }
    for (const auto& digest : digests_)
      ISIGN_TRY(referrer(digest));
    if (index)
      out_.manifests.push_back(std::move(*index));
    return {};
  }

  bool wanted(const AttachedManifest& a) const {
    if (!a.bundle || !a.kind)
      return query_.other_referrers;
    return *a.kind == Kind::signature ? query_.signatures : query_.attestations;
  }

  Result<void> referrer(const std::string& digest) {
    auto m = client_.get_manifest(repo(), digest);
    if (!m) {
      if (m.error().kind() == ErrorKind::not_found)
        return {}; // listed, then deleted
      return std::move(m).error().context("fetching referrer " + digest);
    }
    auto r = read_referrer(m->bytes);
    if (!r) {
      // Another tool's artifact isign cannot read (an index, say): what it holds is unknown.
      if (!query_.other_referrers)
        return {};
      if (!query_.unreadable_as_other)
        return std::move(r).error().context("referrer " + digest);
      AttachedManifest a;
      a.role = AttachedRole::referrer;
      a.artifact_type = m->media_type;
      a.manifest = std::move(*m);
      out_.manifests.push_back(std::move(a));
      return {};
    }
    if (r->subject_digest != subject_.digest)
      return {}; // a planted entry: it says nothing about this image
    AttachedManifest a;
    a.role = AttachedRole::referrer;
    a.artifact_type = r->artifact_type;
    a.bundle = r->bundle.has_value();
    if (auto p = r->annotations.find(std::string(kAnnotationPredicateType));
        p != r->annotations.end()) {
      a.predicate_type = p->second;
      if (a.bundle)
        a.kind = p->second == kSignPredicateType ? Kind::signature : Kind::attestation;
    }
    if (!wanted(a))
      return {};
    auto blobs = registry::named_blobs(*m);
    ISIGN_TRY_CONTEXT(blobs, "referrer " + digest);
    a.blobs = std::move(*blobs);
    a.manifest = std::move(*m);
    out_.manifests.push_back(std::move(a));
    return {};
  }

  registry::Client& client_;
  const Subject& subject_;
  const AttachedQuery& query_;
  Attached out_;
  std::set<std::string> seen_;
  std::vector<std::string> digests_;
};

} // namespace

Result<Attached> list_attached(registry::Client& client, const Subject& subject,
                               const AttachedQuery& query) {
  return Lister(client, subject, query).run();
}

} // namespace isign::cosign
