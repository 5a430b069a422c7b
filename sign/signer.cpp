#include "sign/signer.h"

#include <chrono>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/index.h"

namespace isign::sign {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

bool is_index(std::string_view media_type) {
  return media_type == registry::kOciIndex || media_type == registry::kDockerManifestList;
}

// Child manifest digests of an index, in order.
void sleep_ms(long ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

long jitter(long max_ms) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<long>(0, max_ms)(rng);
}

// True when the artifact already has a simple-signing layer over exactly payload whose signature
// verifies under key.
bool signed_by(std::string_view manifest, std::string_view payload, const keys::PublicKey& key) {
  auto doc = nlohmann::json::parse(manifest, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("layers") ||
      !doc["layers"].is_array())
    return false;
  const std::string digest = common::sha256_digest(payload);
  for (const auto& layer : doc["layers"]) {
    if (!layer.is_object() || layer.value("mediaType", "") != kSimpleSigningMediaType ||
        layer.value("digest", "") != digest || !layer.contains("annotations") ||
        !layer["annotations"].is_object())
      continue;
    const auto& ann = layer["annotations"];
    auto it = ann.find(std::string(kSignatureAnnotation));
    if (it == ann.end() || !it->is_string())
      continue;
    auto raw = common::base64_decode(it->get<std::string>());
    if (raw && key.verify(payload, *raw))
      return true;
  }
  return false;
}

bool retryable_put_failure(const common::Error& e) {
  if (e.kind() != ErrorKind::registry && e.kind() != ErrorKind::network) return false;
  const auto& m = e.message();
  return m.find(": 401 ") == std::string::npos && m.find(": 403 ") == std::string::npos;
}

} // namespace

Result<std::vector<Target>> resolve_targets(registry::Client& client,
                                            const registry::Reference& ref, bool recursive) {
  auto head = client.head_manifest(ref.repository, ref.identifier());
  if (!head)
    return std::move(head).error();
  if (ref.by_digest() && head->digest != ref.digest)
    return make_error(ErrorKind::registry,
                      "the registry answered digest " + head->digest + " for " + ref.digest);
  std::vector<Target> targets{
      {ref.repository, head->digest, head->media_type, !ref.by_digest(), false}};
  if (!recursive || !is_index(head->media_type))
    return targets;

  auto index = client.get_manifest(ref.repository, head->digest);
  if (!index)
    return std::move(index).error();
  auto children = registry::parse_index(index->bytes);
  if (!children)
    return std::move(children).error();
  for (auto& child : *children)
    targets.push_back({ref.repository, std::move(child.digest), "", false, true});
  return targets;
}

Result<AttachOutcome> attach_signature(registry::Client& client, const registry::Repository& repo,
                                       const std::string& image_digest, const NewSignature& sig,
                                       const AttachOptions& options) {
  auto tag = signature_tag(image_digest);
  if (!tag)
    return std::move(tag).error();
  // Registries that honour conditional PUTs get a compare-and-swap: If-Match with the ETag of
  // the artifact read, If-None-Match: * when there was none. After a few refusals (412) the
  // registry's ETags are not usable and only the read-back below protects concurrent signers.
  int precondition_failures = 0;
  constexpr int kMaxPreconditionFailures = 3;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    auto started = std::chrono::steady_clock::now();
    // Read: the current artifact, if any.
    SignatureArtifact artifact;
    registry::PutCondition condition;
    auto current = client.get_manifest(repo, *tag);
    if (!current) {
      if (current.error().kind() != ErrorKind::not_found)
        return std::move(current).error().context("reading the existing signatures");
      artifact = new_signature_artifact(sig);
      condition.if_none_match_any = true;
    } else {
      condition.if_match = current->etag;
      if (options.signer_key && signed_by(current->bytes, sig.payload, *options.signer_key))
        return AttachOutcome::already_present;
      auto existing = parse_existing_artifact(current->bytes);
      if (!existing)
        return std::move(existing).error().context("existing " + *tag);
      auto config = client.get_blob(repo, existing->config.digest, 4u << 20);
      if (!config)
        return std::move(config).error().context("reading the existing signature config");
      auto extended = extend_signature_artifact(*existing, *config, sig);
      if (!extended)
        return std::move(extended).error().context("existing " + *tag);
      artifact = std::move(*extended);
    }
    if (!artifact.changed)
      return AttachOutcome::already_present;

    // Write: blobs first, the manifest last, so a failure never leaves a dangling manifest.
    for (const auto& blob : artifact.blobs_to_upload)
      if (auto put = client.put_blob(repo, blob.digest, blob.bytes); !put)
        return std::move(put).error().context("uploading signature blob " + blob.digest);
    if (precondition_failures >= kMaxPreconditionFailures)
      condition = registry::PutCondition{};
    auto put = client.put_manifest(repo, *tag, artifact.manifest, artifact.media_type, condition);
    if (!put) {
      if (put.error().message().find(": 412 ") != std::string::npos)
        ++precondition_failures;
      // Under concurrent writers distribution can refuse a PUT (e.g. DIGEST_INVALID while another
      // signer's blobs are being linked). Redoing the whole read-modify-write is safe: blobs are
      // content-addressed and the manifest is rebuilt from what is there now.
      if (retryable_put_failure(put.error()) && attempt < options.max_attempts) {
        sleep_ms(20 + jitter(100 * attempt));
        continue;
      }
      return std::move(put).error().context("pushing " + *tag);
    }

    // Check: distribution has no compare-and-swap on tags, so a concurrent signer that read the
    // artifact before our PUT may overwrite it with a copy lacking our layer. Such a writer's
    // read-to-PUT window is about as long as ours, so waiting a few times our own round trip
    // before reading back catches it; then we merge again.
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
    sleep_ms(std::min<long>(2000, 3 * elapsed + 20 + jitter(30)));
    auto back = client.get_manifest(repo, *tag);
    if (!back)
      return std::move(back).error().context("reading back " + *tag);
    auto present = artifact_has_signature(back->bytes, sig);
    if (!present)
      return std::move(present).error().context("reading back " + *tag);
    if (*present)
      return AttachOutcome::attached;
    sleep_ms(jitter(50 * attempt));
  }
  return make_error(ErrorKind::registry,
                    "pushing " + *tag + ": other signers kept replacing the signature artifact; " +
                        std::to_string(options.max_attempts) + " attempts failed, try again");
}

} // namespace isign::sign
