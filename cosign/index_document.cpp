#include "cosign/index_document.h"

#include <algorithm>

#include "cosign/referrer.h"

namespace isign::cosign::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

std::vector<StoredLayer> descriptors(std::vector<IndexEntry> entries) {
  std::vector<StoredLayer> out;
  for (auto& e : entries)
    out.push_back(std::move(e.descriptor));
  return out;
}

// now with the missing entries appended, but those of the referrers `except`.
Result<SignatureArtifact> with_entries(const registry::Manifest& now,
                                       const std::vector<StoredLayer>& missing,
                                       const std::vector<std::string>& except) {
  std::string joined;
  for (const auto& l : missing)
    if (std::find(except.begin(), except.end(), l.digest.value_or("")) == except.end())
      joined += (joined.empty() ? "" : ",") + l.text;
  auto edited = edit_referrers_index(now.bytes, joined, {});
  ISIGN_TRY(edited);
  SignatureArtifact out;
  out.media_type = std::string(registry::kOciIndex);
  out.manifest = std::move(*edited);
  return out;
}

// The referrers index at the tag as a tag document: its entries are referrer descriptors.
class IndexDocument final : public TagDocument {
public:
  IndexDocument(registry::Client& client, const Subject& subject, std::string descriptor,
                std::string referrer_digest)
      : client_(client), subject_(subject), descriptor_(std::move(descriptor)),
        referrer_(std::move(referrer_digest)) {}

  std::string noun() const override { return "referrers index"; }

  Result<std::optional<AttachOutcome>> already_there(const registry::Manifest& current) override {
    auto entries = read(current);
    ISIGN_TRY(entries);
    for (const auto& e : *entries)
      if (e.descriptor.digest == referrer_ && e.has_artifact_type)
        return std::optional(AttachOutcome::attached);
    return std::optional<AttachOutcome>();
  }

  Result<SignatureArtifact> build(const std::optional<registry::Manifest>& current) override {
    SignatureArtifact out;
    out.media_type = std::string(registry::kOciIndex);
    if (!current) {
      auto edited = edit_referrers_index(empty_referrers_index(), descriptor_, {});
      ISIGN_TRY(edited);
      out.manifest = std::move(*edited);
      return out;
    }
    auto entries = read(*current);
    ISIGN_TRY(entries);
    // The spec wants artifactType (and annotations) copied into each descriptor; older cosign
    // 3.x left them out. Rewriting the index anyway, repair those from their manifests.
    std::vector<std::pair<std::size_t, std::string>> repairs;
    bool listed = false;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const auto& e = (*entries)[i];
      if (e.descriptor.digest == referrer_)
        listed = true;
      if (e.has_artifact_type)
        continue;
      auto m = client_.get_manifest(subject_.repository, *e.descriptor.digest);
      if (!m)
        continue; // a stale entry: left as it is
      auto r = read_referrer(m->bytes);
      if (!r || r->artifact_type.empty())
        continue;
      repairs.emplace_back(i, referrers_index_descriptor(e.descriptor.media_type,
                                                         *e.descriptor.digest, *e.descriptor.size,
                                                         r->artifact_type, r->annotations));
    }
    auto edited = edit_referrers_index(current->bytes, listed ? "" : descriptor_, repairs);
    ISIGN_TRY(edited);
    out.manifest = std::move(*edited);
    return out;
  }

  Result<bool> has_ours(const registry::Manifest& m) override {
    auto entries = read(m);
    ISIGN_TRY(entries);
    for (const auto& e : *entries)
      if (e.descriptor.digest == referrer_)
        return true;
    return false;
  }

  Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) override {
    auto entries = read(m);
    ISIGN_TRY(entries);
    return descriptors(std::move(*entries));
  }

  Result<SignatureArtifact> restore(const registry::Manifest& now,
                                    const std::vector<StoredLayer>& missing) override {
    return with_entries(now, missing, {});
  }

private:
  // GitLab's registry answers the referrers tag with the image itself (oras-go#1396): such an
  // answer is not an index of referrers, and rewriting it would be writing over the image's tag.
  Result<std::vector<IndexEntry>> read(const registry::Manifest& m) {
    if (m.digest == subject_.digest || m.media_type != registry::kOciIndex)
      return make_error(
          ErrorKind::registry,
          "the referrers tag holds " +
              std::string(m.digest == subject_.digest ? "the image itself" : "a " + m.media_type) +
              ", not an OCI index of referrers; refusing to rewrite it");
    return read_referrers_index(m.bytes);
  }

  registry::Client& client_;
  const Subject& subject_;
  std::string descriptor_;
  std::string referrer_;
};

// The referrers index without some referrers (attest --replace).
class IndexRemoval final : public TagDocument {
public:
  IndexRemoval(const Subject& subject, std::vector<std::string> digests)
      : subject_(subject), digests_(std::move(digests)) {}

  std::string noun() const override { return "referrers index"; }

  Result<std::optional<AttachOutcome>> already_there(const registry::Manifest& current) override {
    auto listed = positions(current);
    ISIGN_TRY(listed);
    if (listed->empty())
      return std::optional(AttachOutcome::already_present);
    return std::optional<AttachOutcome>();
  }

  Result<SignatureArtifact> build(const std::optional<registry::Manifest>& current) override {
    SignatureArtifact out;
    out.media_type = std::string(registry::kOciIndex);
    if (!current) {
      out.manifest = empty_referrers_index();
      return out;
    }
    auto listed = positions(*current);
    ISIGN_TRY(listed);
    auto edited = remove_from_referrers_index(current->bytes, *listed);
    ISIGN_TRY(edited);
    out.manifest = std::move(*edited);
    return out;
  }

  Result<bool> has_ours(const registry::Manifest& m) override {
    auto listed = positions(m);
    ISIGN_TRY(listed);
    return listed->empty();
  }

  Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) override {
    auto entries = read_referrers_index(m.bytes);
    ISIGN_TRY(entries);
    return descriptors(std::move(*entries));
  }

  // What a late write erased is put back, but never what this removal took out.
  Result<SignatureArtifact> restore(const registry::Manifest& now,
                                    const std::vector<StoredLayer>& missing) override {
    return with_entries(now, missing, digests_);
  }

private:
  Result<std::vector<std::size_t>> positions(const registry::Manifest& m) {
    if (m.digest == subject_.digest || m.media_type != registry::kOciIndex)
      return make_error(
          ErrorKind::registry,
          "the referrers tag holds no OCI index of referrers; refusing to rewrite it");
    auto entries = read_referrers_index(m.bytes);
    ISIGN_TRY(entries);
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < entries->size(); ++i)
      if (std::find(digests_.begin(), digests_.end(),
                    (*entries)[i].descriptor.digest.value_or("")) != digests_.end())
        out.push_back(i);
    return out;
  }

  const Subject& subject_;
  std::vector<std::string> digests_;
};

} // namespace

std::unique_ptr<TagDocument> make_index_removal(const Subject& subject,
                                                std::vector<std::string> digests) {
  return std::make_unique<IndexRemoval>(subject, std::move(digests));
}

std::unique_ptr<TagDocument> make_index_document(registry::Client& client, const Subject& subject,
                                                 std::string descriptor,
                                                 std::string referrer_digest) {
  return std::make_unique<IndexDocument>(client, subject, std::move(descriptor),
                                         std::move(referrer_digest));
}

} // namespace isign::cosign::detail
