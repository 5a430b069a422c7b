// revoke's half over the .sig/.att: the signer's layers out, through the tag read-modify-write
// loop that attach uses, so a concurrent signer's layer is never lost (its own read-back merges it
// again) and a layer of ours a concurrent writer put back is removed in another round.
#include <map>
#include <set>

#include "cosign/removal_impl.h"
#include "cosign/signature_manifest.h"
#include "cosign/signer_match.h"

namespace isign::cosign::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

class SignerLayerRemoval final : public LayerRemoval {
public:
  SignerLayerRemoval(registry::Client& client, const registry::Repository& repo, Kind kind,
                     const RemovalQuery& query)
      : client_(client), repo_(repo), kind_(kind), query_(query) {}

  std::string noun() const override { return "signature artifact"; }
  std::size_t removed() const override { return removed_; }
  std::size_t kept() const override { return kept_; }

  Result<std::optional<AttachOutcome>> already_there(const registry::Manifest& current) override {
    auto split = matching(current);
    ISIGN_TRY(split);
    kept_ = split->kept.size();
    if (split->removed == 0)
      return std::optional(AttachOutcome::already_present);
    return std::optional<AttachOutcome>();
  }

  // Only a manifest sign could extend is rewritten (never drop what isign does not understand).
  Result<SignatureArtifact> build(const std::optional<registry::Manifest>& current) override {
    removed_ = 0;
    if (!current) {
      SignatureArtifact none;
      none.changed = false;
      return none;
    }
    ISIGN_TRY(parse_existing_artifact(current->bytes));
    auto split = matching(*current);
    ISIGN_TRY(split);
    removed_ = split->removed;
    kept_ = split->kept.size();
    return rebuild_signature_artifact(split->kept);
  }

  Result<bool> has_ours(const registry::Manifest& m) override {
    auto split = matching(m);
    ISIGN_TRY(split);
    return split->removed == 0;
  }

  Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) override {
    auto read = read_signature_manifest(m.bytes, kind_);
    ISIGN_TRY(read);
    return std::move(read->layers);
  }

  // What a late write erased is put back, never a layer this removal took out.
  Result<SignatureArtifact> restore(const registry::Manifest& now,
                                    const std::vector<StoredLayer>& missing) override {
    std::vector<StoredLayer> back;
    for (const auto& l : missing)
      if (auto it = verdicts_.find(l.identity()); it == verdicts_.end() || !it->second)
        back.push_back(l);
    auto existing = parse_existing_artifact(now.bytes);
    ISIGN_TRY(existing);
    if (back.empty()) {
      SignatureArtifact same;
      same.manifest = now.bytes;
      same.media_type = existing->media_type;
      return same;
    }
    auto config = client_.get_blob(repo_, existing->config.digest, 4u << 20);
    ISIGN_TRY(config);
    return extend_with_layers(*existing, *config, back);
  }

private:
  struct Split {
    std::vector<StoredLayer> kept;
    std::size_t removed = 0;
  };

  // The layers of m the query matches (each verified once per identity, whatever the round).
  Result<Split> matching(const registry::Manifest& m) {
    auto read = read_signature_manifest(m.bytes, kind_);
    ISIGN_TRY(read);
    Split out;
    for (auto& layer : read->layers) {
      auto mine = matches(layer);
      ISIGN_TRY(mine);
      if (*mine)
        ++out.removed;
      else
        out.kept.push_back(std::move(layer));
    }
    return out;
  }

  Result<bool> matches(const StoredLayer& layer) {
    const std::string id = layer.identity();
    if (auto it = verdicts_.find(id); it != verdicts_.end())
      return it->second;
    // An attestation layer annotated with another type is not read (cosign writes the
    // annotation; a layer without one is read and judged by its signed statement).
    if (kind_ == Kind::attestation && !query_.predicate_type.empty() &&
        !layer.predicate_type.empty() && layer.predicate_type != query_.predicate_type)
      return verdicts_[id] = false;
    auto entry = legacy_signed_by(client_, repo_, layer, kind_, *query_.key, query_.max_size);
    ISIGN_TRY(entry);
    bool mine = entry->has_value();
    if (mine && kind_ == Kind::attestation && !query_.predicate_type.empty())
      mine = (*entry)->predicate_type == query_.predicate_type;
    return verdicts_[id] = mine;
  }

  registry::Client& client_;
  const registry::Repository& repo_;
  Kind kind_;
  const RemovalQuery& query_;
  std::map<std::string, bool> verdicts_; // by layer identity
  std::size_t removed_ = 0, kept_ = 0;
};

} // namespace

std::unique_ptr<LayerRemoval> make_layer_removal(registry::Client& client,
                                                 const registry::Repository& repo, Kind kind,
                                                 const RemovalQuery& query) {
  return std::make_unique<SignerLayerRemoval>(client, repo, kind, query);
}

} // namespace isign::cosign::detail
