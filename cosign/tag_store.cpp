#include "cosign/store.h"

#include <algorithm>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/constants.h"
#include "cosign/tag_rmw.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// The .sig (.att) manifest as a tag document: its entries are simple-signing (DSSE) layers.
class SigDocument final : public detail::TagDocument {
public:
  SigDocument(registry::Client& client, const registry::Repository& repo, std::string tag,
              const NewSignature& sig, const AttachOptions& options)
      : client_(client), repo_(repo), tag_(std::move(tag)), sig_(sig), options_(options) {}

  std::string noun() const override { return "signature artifact"; }

  // The outcome when current already has a layer that verify would accept for our payload and
  // key: same digest and size, a signature that verifies, and the payload blob present (a layer
  // whose blob is missing is repaired by uploading it again). nullopt when there is none.
  // An attestation's envelope carries its signature and ECDSA signs differently each time: with
  // the signer's key, the same statement verifying under it is the same entry.
  Result<std::optional<AttachOutcome>> already_there(const registry::Manifest& current) override {
    if (!options_.signer_key && sig_.kind == Kind::signature)
      return std::optional<AttachOutcome>();
    // Only a manifest sign could rewrite counts: one holding a layer verify refuses as damaged
    // (not an object, say) would make "already signed" a promise verify never keeps.
    ISIGN_TRY_CONTEXT(parse_existing_artifact(current.bytes), "existing " + tag_);
    auto read = read_signature_manifest(current.bytes, sig_.kind);
    ISIGN_TRY_CONTEXT(read, "existing " + tag_);
    if (sig_.kind == Kind::attestation && options_.signer_key) {
      // Our own envelope, byte for byte (a rerun's recheck): nothing to decode.
      if (!options_.replace)
        if (auto exact = exact_layer(read->layers)) {
          ISIGN_TRY(*exact);
          return std::optional(**exact);
        }
      auto mine = signer_entries(current, read->layers);
      ISIGN_TRY(mine);
      if (mine->same_statement && (!options_.replace || mine->same_type.size() == 1))
        return std::optional(AttachOutcome::already_present);
      if (options_.replace)
        return std::optional<AttachOutcome>();
    }
    const std::string digest = common::sha256_digest(sig_.payload);
    for (const auto& layer : read->layers) {
      if (!layer.is_signature() || !layer.signature || layer.digest != digest ||
          layer.size != sig_.payload.size())
        continue;
      if (sig_.kind == Kind::signature) {
        auto raw = common::base64_decode(*layer.signature);
        if (!raw || raw->empty() || !options_.signer_key->verify(sig_.payload, *raw))
          continue;
      }
      auto exists = client_.blob_exists(repo_, digest);
      ISIGN_TRY_CONTEXT(exists, "checking the payload blob " + digest);
      if (*exists)
        return std::optional(AttachOutcome::already_present);
      ISIGN_TRY_CONTEXT(client_.put_blob(repo_, digest, sig_.payload),
                        "uploading the missing payload blob " + digest);
      return std::optional(AttachOutcome::repaired);
    }
    return std::optional<AttachOutcome>();
  }

  // The artifact to write over current (or a new one when there is none). --replace: a new
  // artifact with our layer first (as cosign puts it), then every layer but the signer's earlier
  // attestations of our predicateType, each descriptor byte for byte.
  Result<SignatureArtifact> build(const std::optional<registry::Manifest>& current) override {
    replaced_ = 0;
    if (!current)
      return new_signature_artifact(sig_);
    auto existing = parse_existing_artifact(current->bytes);
    ISIGN_TRY_CONTEXT(existing, "existing " + tag_);
    if (options_.replace && sig_.kind == Kind::attestation && options_.signer_key) {
      auto read = read_signature_manifest(current->bytes, sig_.kind);
      ISIGN_TRY_CONTEXT(read, "existing " + tag_);
      auto mine = signer_entries(*current, read->layers);
      ISIGN_TRY(mine);
      if (!mine->same_type.empty()) {
        std::vector<StoredLayer> kept;
        for (const auto& l : read->layers)
          if (std::find(mine->same_type.begin(), mine->same_type.end(), l.index) ==
              mine->same_type.end())
            kept.push_back(l);
        SignatureArtifact fresh = new_signature_artifact(sig_);
        auto base = parse_existing_artifact(fresh.manifest);
        ISIGN_TRY(base);
        auto out = extend_with_layers(*base, fresh.config, kept);
        ISIGN_TRY(out);
        out->blobs_to_upload.insert(out->blobs_to_upload.begin(), fresh.blobs_to_upload.front());
        replaced_ = mine->same_type.size();
        return out;
      }
    }
    auto config = client_.get_blob(repo_, existing->config.digest, 4u << 20);
    if (!config) {
      // The artifact names a config blob the registry does not have: the registry's fault, and
      // not one sign can repair without knowing the config's bytes.
      if (config.error().kind() == ErrorKind::not_found)
        return make_error(ErrorKind::registry,
                          "the existing " + tag_ + " names config blob " + existing->config.digest +
                              ", which the registry does not have; the artifact is damaged");
      return std::move(config).error().context("reading the existing signature config");
    }
    auto extended = extend_signature_artifact(*existing, *config, sig_);
    ISIGN_TRY_CONTEXT(extended, "existing " + tag_);
    return extended;
  }

  // How many of the signer's attestations the last build removed.
  std::size_t replaced() const { return replaced_; }

  Result<bool> has_ours(const registry::Manifest& m) override {
    return artifact_has_signature(m.bytes, sig_);
  }

  Result<std::vector<StoredLayer>> entries(const registry::Manifest& m) override {
    auto read = read_signature_manifest(m.bytes, sig_.kind);
    ISIGN_TRY(read);
    return std::move(read->layers);
  }

  Result<SignatureArtifact> restore(const registry::Manifest& now,
                                    const std::vector<StoredLayer>& missing) override {
    auto existing = parse_existing_artifact(now.bytes);
    ISIGN_TRY(existing);
    auto config = client_.get_blob(repo_, existing->config.digest, 4u << 20);
    ISIGN_TRY(config);
    return extend_with_layers(*existing, *config, missing);
  }

private:
  // When layers hold our envelope itself (same digest and size): already_present, or repaired
  // when its blob was lost and uploaded again. nullopt otherwise.
  std::optional<Result<AttachOutcome>> exact_layer(const std::vector<StoredLayer>& layers) {
    const std::string digest = common::sha256_digest(sig_.payload);
    for (const auto& layer : layers) {
      if (!layer.is_signature() || layer.digest != digest || layer.size != sig_.payload.size())
        continue;
      auto exists = client_.blob_exists(repo_, digest);
      if (!exists)
        return Result<AttachOutcome>(
            std::move(exists).error().context("checking the payload blob " + digest));
      if (*exists)
        return Result<AttachOutcome>(AttachOutcome::already_present);
      if (auto put = client_.put_blob(repo_, digest, sig_.payload); !put)
        return Result<AttachOutcome>(
            std::move(put).error().context("uploading the missing payload blob " + digest));
      return Result<AttachOutcome>(AttachOutcome::repaired);
    }
    return std::nullopt;
  }

  // The signer's attestations of our predicateType among layers: their indices, and whether one
  // holds our statement. Layers annotated with another predicateType are not read (cosign writes
  // the annotation; a layer without one is read); envelopes that do not verify under the
  // signer's key are another signer's, whatever they claim.
  struct SignerEntries {
    std::vector<std::size_t> same_type;
    bool same_statement = false;
  };
  Result<SignerEntries> signer_entries(const registry::Manifest& current,
                                       const std::vector<StoredLayer>& layers) {
    if (cached_ && cached_digest_ == current.digest && !current.digest.empty())
      return *cached_;
    if (!statement_) {
      if (!sig_.statement_digest.empty()) {
        statement_ = sig_.statement_digest;
      } else {
        auto ours = parse_envelope_document(sig_.payload);
        ISIGN_TRY_CONTEXT(ours, "the new attestation");
        statement_ = common::sha256_digest(ours->payload);
      }
    }
    const keys::PublicKey& key = *options_.signer_key;
    SignerEntries out;
    for (const auto& layer : layers) {
      if (!layer.is_signature() || !layer.digest || !layer.size ||
          *layer.size > options_.max_payload_size)
        continue;
      if (!layer.predicate_type.empty() && layer.predicate_type != sig_.predicate_type)
        continue;
      auto blob = client_.get_blob(repo_, *layer.digest, static_cast<std::size_t>(*layer.size));
      if (!blob) {
        if (blob.error().kind() == ErrorKind::not_found)
          continue; // a lost envelope: nothing of it to keep or to match
        return std::move(blob).error().context("reading attestation " + *layer.digest);
      }
      auto envelope = parse_envelope_document(*blob);
      *blob = std::string(); // envelopes run to tens of MB: one copy at a time
      if (!envelope)
        continue;
      const std::string head = dsse_pae_head(envelope->payload_type, envelope->payload.size());
      if (!key.verify_parts({head, envelope->payload}, envelope->signature,
                            keys::default_hash(key.algorithm())))
        continue;
      auto statement = parse_statement(envelope->payload);
      if (!statement || statement->predicate_type != sig_.predicate_type)
        continue;
      out.same_type.push_back(layer.index);
      out.same_statement =
          out.same_statement || common::sha256_digest(envelope->payload) == *statement_;
    }
    cached_ = out;
    cached_digest_ = current.digest;
    return out;
  }

  registry::Client& client_;
  const registry::Repository& repo_;
  std::string tag_;
  const NewSignature& sig_;
  const AttachOptions& options_;
  std::optional<std::string> statement_; // the digest of ours
  std::optional<SignerEntries> cached_;
  std::string cached_digest_;
  std::size_t replaced_ = 0;
};

// The .sig (or .att) tag of a repository, through one registry client.
class TagStore final : public SignatureStore {
public:
  TagStore(registry::Client& client, Kind kind) : client_(client), kind_(kind) {}

  Result<StoredSignatures> find(const Subject& subject) override {
    auto tag = kind_tag(kind_, subject.digest);
    ISIGN_TRY(tag);
    auto sig = client_.get_manifest(subject.repository, *tag);
    if (!sig) {
      if (sig.error().kind() == ErrorKind::not_found)
        return make_error(ErrorKind::no_signature, "no " + std::string(kind_name(kind_)) +
                                                       "s found for " + subject.repository.str() +
                                                       "@" + subject.digest + " (no " + *tag +
                                                       " in the repository)");
      return std::move(sig).error().context("fetching " + *tag);
    }
    auto layers = read_signature_layers(sig->bytes, kind_);
    ISIGN_TRY_CONTEXT(layers, *tag);
    return StoredSignatures{*tag, std::move(*layers)};
  }

  Result<std::string> fetch_payload(const Subject& subject, std::string_view digest,
                                    std::size_t max_size) override {
    return client_.get_blob(subject.repository, digest, max_size);
  }

  Result<AttachResult> attach(const Subject& subject, const NewSignature& sig,
                              const AttachOptions& given) override {
    const AttachOptions options = detail::for_place(given, client_, subject.repository);
    auto tag = kind_tag(kind_, subject.digest);
    ISIGN_TRY(tag);
    ISIGN_TRY(detail::check_attachment_size(kind_ == Kind::attestation ? "envelope" : "payload",
                                            sig.payload.size(), kind_, options.max_payload_size));
    if (sig.format != Format::legacy || sig.kind != kind_)
      return make_error(ErrorKind::internal, "the " + *tag + " tag stores legacy " +
                                                 std::string(kind_name(kind_)) + "s only");
    SigDocument doc(client_, subject.repository, *tag, sig, options);
    auto written = detail::read_modify_write(client_, subject.repository, *tag, doc, options);
    if (written) {
      written->where = subject.repository.str() + ":" + *tag;
      written->replaced = doc.replaced();
    }
    return written;
  }

private:
  registry::Client& client_;
  Kind kind_;
};

} // namespace

std::unique_ptr<SignatureStore> make_tag_store(registry::Client& client, Kind kind) {
  return std::make_unique<TagStore>(client, kind);
}

} // namespace isign::cosign
