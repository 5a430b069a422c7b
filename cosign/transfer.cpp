#include "cosign/transfer.h"

#include <algorithm>
#include <map>
#include <set>

#include "cosign/attached.h"
#include "cosign/constants.h"
#include "cosign/index_document.h"
#include "cosign/referrer.h"
#include "cosign/signature_manifest.h"
#include "cosign/tag_rmw.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;

TransferCounts& TransferCounts::operator+=(const TransferCounts& o) {
  copy += o.copy;
  tags_merged += o.tags_merged;
  tags_replaced += o.tags_replaced;
  index_entries += o.index_entries;
  return *this;
}

namespace {

// A config blob of a .sig/.att manifest is a few hundred bytes per layer.
constexpr std::size_t kMaxConfigSize = 4u << 20;

std::set<std::string> identities(const std::vector<StoredLayer>& layers) {
  std::set<std::string> out;
  for (const auto& l : layers)
    out.insert(l.identity());
  return out;
}

// The destination's .sig (.att) as a tag document whose entry is every layer of the source's:
// written as the source's exact bytes where the destination has none, else the layers it lacks
// appended to it (every other signer's layer kept byte for byte, as sign adds one).
class MergeDocument final : public detail::TagDocument {
public:
  MergeDocument(registry::Client& dst, const registry::Repository& repo,
                const AttachedManifest& src, std::vector<StoredLayer> layers)
      : dst_(dst), repo_(repo), src_(src), layers_(std::move(layers)) {}

  std::string noun() const override { return "signature artifact"; }

  Result<std::optional<AttachOutcome>> already_there(const registry::Manifest& current) override {
    auto has = has_ours(current);
    ISIGN_TRY(has);
    if (*has)
      return std::optional(AttachOutcome::already_present);
    return std::optional<AttachOutcome>();
  }

  Result<SignatureArtifact> build(const std::optional<registry::Manifest>& current) override {
    if (!current) {
      SignatureArtifact fresh;
      fresh.manifest = src_.manifest.bytes;
      fresh.media_type = src_.manifest.media_type;
      return fresh; // its blobs were copied first
    }
    auto now = entries(*current);
    ISIGN_TRY(now);
    return restore(*current, missing(*now));
  }

  Result<bool> has_ours(const registry::Manifest& m) override {
    if (m.digest == src_.manifest.digest)
      return true;
    auto now = entries(m);
    ISIGN_TRY(now);
    return missing(*now).empty();
  }

  Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) override {
    auto read = read_signature_manifest(m.bytes, *src_.kind);
    ISIGN_TRY_CONTEXT(read, "the destination's " + src_.tag);
    return std::move(read->layers);
  }

  Result<SignatureArtifact> restore(const registry::Manifest& now,
                                    const std::vector<StoredLayer>& missing_layers) override {
    auto existing = parse_existing_artifact(now.bytes);
    ISIGN_TRY_CONTEXT(existing, "the destination's " + src_.tag);
    auto config = dst_.get_blob(repo_, existing->config.digest, kMaxConfigSize);
    ISIGN_TRY_CONTEXT(config, "reading the config of the destination's " + src_.tag);
    return extend_with_layers(*existing, *config, missing_layers);
  }

private:
  std::vector<StoredLayer> missing(const std::vector<StoredLayer>& now) const {
    const auto have = identities(now);
    std::vector<StoredLayer> out;
    for (const auto& l : layers_)
      if (!have.count(l.identity()))
        out.push_back(l);
    return out;
  }

  registry::Client& dst_;
  const registry::Repository& repo_;
  const AttachedManifest& src_;
  std::vector<StoredLayer> layers_;
};

class Transfer {
public:
  Transfer(registry::Client& src, const Subject& from, registry::Client& dst, const Subject& to,
           const TransferOptions& options)
      : src_(src), from_(from), dst_(dst), to_(to), options_(options) {}

  Result<TransferCounts> run() {
    if (from_.digest != to_.digest)
      return make_error(ErrorKind::usage, "copying what is attached to " + from_.digest +
                                              " to another digest (" + to_.digest + ")");
    AttachedQuery query;
    query.legacy = options_.sig || options_.att;
    query.signatures = options_.sig || options_.bundle;
    query.attestations = options_.att || options_.bundle;
    query.bundle = options_.bundle;
    query.other_referrers = options_.bundle;
    auto attached = list_attached(src_, from_, query);
    ISIGN_TRY_CONTEXT(attached,
                      "listing what is attached to " + from_.repository.str() + "@" + from_.digest);
    ISIGN_TRY(source_descriptors(*attached));
    for (const auto& a : attached->manifests) {
      if (a.role == AttachedRole::legacy_tag) {
        if ((*a.kind == Kind::signature && !options_.sig) ||
            (*a.kind == Kind::attestation && !options_.att))
          continue;
        ISIGN_TRY_CONTEXT(legacy(a), "copying " + a.where(from_.repository));
      } else if (a.role == AttachedRole::referrer) {
        ISIGN_TRY_CONTEXT(referrer(a), "copying " + a.where(from_.repository));
      }
    }
    return out_;
  }

private:
  const registry::Repository& repo() const { return to_.repository; }

  Result<void> blobs(const AttachedManifest& a, bool layers_only) {
    for (std::size_t i = layers_only ? 1 : 0; i < a.blobs.size(); ++i)
      ISIGN_TRY(registry::copy_blob(src_, from_.repository, dst_, repo(), a.blobs[i],
                                    options_.max_blob_size, out_.copy));
    return {};
  }

  // In an OCI layout, the .sig and .att entries carry cosign save's kind.
  AttachOptions attach_options(const AttachedManifest& a) const {
    AttachOptions out = options_.attach;
    if (repo().is_layout())
      out.index_annotations = {
          {std::string(kLayoutKindAnnotation),
           std::string(*a.kind == Kind::signature ? kLayoutKindSigs : kLayoutKindAtts)}};
    return out;
  }

  Result<void> legacy(const AttachedManifest& a) {
    const AttachOptions attach = attach_options(a);
    auto current = dst_.get_manifest(repo(), a.tag);
    if (!current && current.error().kind() != ErrorKind::not_found)
      return std::move(current).error().context("reading the destination's " + a.tag);
    if (current && current->digest == a.manifest.digest) {
      ++out_.copy.manifests_present;
      return {};
    }
    if (current && options_.force) {
      ISIGN_TRY(blobs(a, false));
      registry::PutCondition condition;
      condition.index_annotations = attach.index_annotations;
      auto put =
          dst_.put_manifest(repo(), a.tag, a.manifest.bytes, a.manifest.media_type, condition);
      ISIGN_TRY_CONTEXT(put, "replacing the destination's " + a.tag);
      ++out_.copy.manifests_copied;
      ++out_.tags_replaced;
      return {};
    }
    auto read = read_signature_manifest(a.manifest.bytes, *a.kind);
    ISIGN_TRY(read);
    // A merge names the source's layers, not its config: the destination's config is extended.
    ISIGN_TRY(blobs(a, static_cast<bool>(current)));
    MergeDocument doc(dst_, repo(), a, std::move(read->layers));
    auto written = detail::read_modify_write(dst_, repo(), a.tag, doc, attach);
    ISIGN_TRY(written);
    switch (written->outcome) {
    case AttachOutcome::created:
      ++out_.copy.manifests_copied;
      break;
    case AttachOutcome::attached:
      ++out_.copy.manifests_copied;
      ++out_.tags_merged;
      break;
    default:
      ++out_.copy.manifests_present;
    }
    return {};
  }

  // The exact descriptor texts of the source's referrers index, by digest.
  Result<void> source_descriptors(const Attached& attached) {
    for (const auto& a : attached.manifests) {
      if (a.role != AttachedRole::referrers_index)
        continue;
      auto entries = read_referrers_index(a.manifest.bytes);
      ISIGN_TRY_CONTEXT(entries, "the source's referrers index " + a.tag);
      for (const auto& e : *entries)
        descriptors_.emplace(*e.descriptor.digest, e.descriptor.text);
    }
    return {};
  }

  // Whether the destination has a referrers API, and what its referrers index lists: asked once.
  Result<void> destination_referrers() {
    if (dst_listed_)
      return {};
    auto api = dst_.list_referrers(repo(), to_.digest);
    ISIGN_TRY_CONTEXT(api, "listing the destination's referrers of " + to_.digest);
    dst_api_ = api->api;
    auto tag = referrers_tag(to_.digest);
    ISIGN_TRY(tag);
    auto index = dst_.get_manifest(repo(), *tag);
    if (!index && index.error().kind() != ErrorKind::not_found)
      return std::move(index).error().context("reading the destination's " + *tag);
    if (index && index->digest != to_.digest && index->media_type == registry::kOciIndex) {
      auto entries = read_referrers_index(index->bytes);
      ISIGN_TRY_CONTEXT(entries, "the destination's referrers index " + *tag);
      for (const auto& e : *entries)
        dst_index_.insert(*e.descriptor.digest);
    }
    dst_listed_ = true;
    return {};
  }

  Result<void> referrer(const AttachedManifest& a) {
    ISIGN_TRY(destination_referrers());
    bool needs_index = !dst_api_;
    auto there = dst_.head_manifest(repo(), a.manifest.digest);
    if (!there && there.error().kind() != ErrorKind::not_found)
      return std::move(there).error().context("checking the destination's " + a.manifest.digest);
    if (there) {
      ++out_.copy.manifests_present;
    } else {
      ISIGN_TRY(blobs(a, false));
      auto put = dst_.put_manifest_with_subject(repo(), a.manifest.digest, a.manifest.bytes,
                                                a.manifest.media_type);
      ISIGN_TRY_CONTEXT(put, "writing " + a.where(repo()));
      ++out_.copy.manifests_copied;
      // A registry that does not answer OCI-Subject leaves the referrers tag to us (spec).
      needs_index = needs_index || put->oci_subject != to_.digest;
    }
    if (!needs_index || dst_index_.count(a.manifest.digest))
      return {};
    std::string descriptor;
    if (auto d = descriptors_.find(a.manifest.digest); d != descriptors_.end()) {
      descriptor = d->second;
    } else {
      auto r = read_referrer(a.manifest.bytes);
      ISIGN_TRY(r);
      descriptor =
          referrers_index_descriptor(a.manifest.media_type, a.manifest.digest,
                                     a.manifest.bytes.size(), r->artifact_type, r->annotations);
    }
    auto tag = referrers_tag(to_.digest);
    ISIGN_TRY(tag);
    auto doc = detail::make_index_document(dst_, to_, descriptor, a.manifest.digest);
    auto written = detail::read_modify_write(dst_, repo(), *tag, *doc, options_.attach);
    ISIGN_TRY_CONTEXT(written, "adding " + a.manifest.digest + " to the destination's " + *tag);
    dst_index_.insert(a.manifest.digest);
    ++out_.index_entries;
    return {};
  }

  registry::Client& src_;
  const Subject& from_;
  registry::Client& dst_;
  const Subject& to_;
  const TransferOptions& options_;
  TransferCounts out_;
  std::map<std::string, std::string> descriptors_;
  bool dst_listed_ = false;
  bool dst_api_ = false;
  std::set<std::string> dst_index_;
};

} // namespace

Result<TransferCounts> copy_attached(registry::Client& src, const Subject& from,
                                     registry::Client& dst, const Subject& to,
                                     const TransferOptions& options) {
  return Transfer(src, from, dst, to, options).run();
}

bool is_attachment_tag(std::string_view tag) {
  constexpr std::string_view kPrefix = "sha256-";
  if (tag.substr(0, kPrefix.size()) != kPrefix || tag.size() < kPrefix.size() + 64)
    return false;
  for (char c : tag.substr(kPrefix.size(), 64))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return tag.size() == kPrefix.size() + 64 || tag[kPrefix.size() + 64] == '.';
}

Result<SignedImageCopy> copy_signed_image(registry::Client& src, const registry::Repository& from,
                                          std::string_view digest, registry::Client& dst,
                                          const registry::Repository& to, std::string_view tag,
                                          const registry::CopyOptions& copy,
                                          const TransferOptions& options) {
  SignedImageCopy out;
  registry::CopyOptions image_options = copy;
  if (to.is_layout() && !image_options.tag_annotations)
    image_options.tag_annotations = [](const registry::Manifest& m) {
      return std::map<std::string, std::string>{
          {std::string(kLayoutKindAnnotation),
           std::string(registry::is_index_type(m.media_type) ? kLayoutKindImageIndex
                                                             : kLayoutKindImage)}};
    };
  auto image = registry::copy_image(src, from, digest, dst, to, tag, image_options);
  ISIGN_TRY(image);
  out.image = std::move(*image);
  std::vector<std::string> subjects{out.image.digest};
  subjects.insert(subjects.end(), out.image.children.begin(), out.image.children.end());
  for (const auto& d : subjects) {
    Subject s{from, d, {}, 0};
    Subject t{to, d, {}, 0};
    if (d == out.image.digest) {
      s.media_type = t.media_type = out.image.media_type;
      s.size = t.size = out.image.size;
    }
    auto attached = copy_attached(src, s, dst, t, options);
    ISIGN_TRY(attached);
    out.attached += *attached;
  }
  return out;
}

} // namespace isign::cosign
