// An existing .sig manifest (and its config blob) that sign reads before adding a signature:
// written by cosign, containers/image, another isign, or anyone with push access.
// Input: the manifest, then "\n--config--\n" and the config blob. In the manifest, the text
// @CONFIG_DIGEST@ becomes the config's sha256 digest and @CONFIG_SIZE@ its size, so mutations can
// keep a matching config descriptor and reach the editing code.
// Invariants: an extended artifact is one parse_existing_artifact accepts, with one more layer,
// the new signature in it, a config matching its descriptor; extending it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "cosign/signature_manifest.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

namespace {

// testdata/payloads/containers-image.json and its signature (also the layer of
// testdata/manifests/containers-image-sig.json).
const cosign::NewSignature kContainersImage{
    R"({"critical":{"identity":{"docker-reference":"127.0.0.1:5000/test/app:signed"},"image":{"docker-manifest-digest":"sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7"},"type":"cosign container image signature"},"optional":{"creator":"containers/image 5.23.1","timestamp":1700000000}})",
    "MEUCIQC32LNsX+YrTV6/mucWWOjNku3CPZFG8/"
    "STNLlHPEblrwIgY91Kz+lmh5l50C0bVemd9irfhPpJqf2V50qKknFTJGo="};
// testdata/signatures/sigstore-rs: a cosign payload and signature.
const cosign::NewSignature kSigstoreRs{
    R"({"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},"image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},"type":"cosign container image signature"},"optional":null})",
    "MEUCIQD6q/"
    "COgzOyW0YH1Dk+CCYSt4uAhm3FDHUwvPI55zwnlwIgE0ZK58ZOWpZw8YVmBapJhBqCfdPekIknimuO0xH8Jh8="};

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

void check_extend(const cosign::ExistingArtifact& existing, std::string_view config,
                  const cosign::NewSignature& sig) {
  auto out = cosign::extend_signature_artifact(existing, config, sig);
  if (!out) {
    ISIGN_FUZZ_CHECK(!out.error().message().empty());
    return;
  }
  if (!out->changed) {
    ISIGN_FUZZ_CHECK(out->blobs_to_upload.empty());
    ISIGN_FUZZ_CHECK(out->manifest == existing.manifest);
    auto has = cosign::artifact_has_signature(existing.manifest, sig);
    ISIGN_FUZZ_CHECK(has.ok() && *has);
    return;
  }
  auto reparsed = cosign::parse_existing_artifact(out->manifest);
  ISIGN_FUZZ_CHECK(reparsed.ok());
  auto layers_before = cosign::read_signature_manifest(existing.manifest);
  auto layers_after = cosign::read_signature_manifest(out->manifest);
  ISIGN_FUZZ_CHECK(layers_before.ok() && layers_after.ok());
  ISIGN_FUZZ_CHECK(layers_after->layers.size() == layers_before->layers.size() + 1);
  ISIGN_FUZZ_CHECK(reparsed->media_type == existing.media_type);
  ISIGN_FUZZ_CHECK(out->media_type == existing.media_type);
  ISIGN_FUZZ_CHECK(reparsed->config.digest == common::sha256_digest(out->config));
  ISIGN_FUZZ_CHECK(reparsed->config.size == out->config.size());
  auto has = cosign::artifact_has_signature(out->manifest, sig);
  ISIGN_FUZZ_CHECK(has.ok() && *has);
  bool payload_uploaded = false, config_uploaded = false;
  for (const auto& blob : out->blobs_to_upload) {
    ISIGN_FUZZ_CHECK(blob.digest == common::sha256_digest(blob.bytes));
    payload_uploaded = payload_uploaded || blob.bytes == sig.payload;
    config_uploaded = config_uploaded || blob.bytes == out->config;
  }
  ISIGN_FUZZ_CHECK(payload_uploaded && config_uploaded);
  // Signing twice with the same signature adds nothing the second time.
  auto again = cosign::extend_signature_artifact(*reparsed, out->config, sig);
  ISIGN_FUZZ_CHECK(again.ok() && !again->changed);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [manifest_template, config] = fuzz::split(fuzz::as_view(data, size), "\n--config--\n");
  std::string manifest(manifest_template);
  replace_all(manifest, "@CONFIG_DIGEST@", common::sha256_digest(config));
  replace_all(manifest, "@CONFIG_SIZE@", std::to_string(config.size()));

  auto existing = cosign::parse_existing_artifact(manifest);
  if (!existing) {
    ISIGN_FUZZ_CHECK(!existing.error().message().empty());
    auto has = cosign::artifact_has_signature(manifest, kSigstoreRs);
    ISIGN_FUZZ_CHECK(!has.ok());
    return 0;
  }
  ISIGN_FUZZ_CHECK(existing->manifest == manifest);
  check_extend(*existing, config, kContainersImage);
  check_extend(*existing, config, kSigstoreRs);
  return 0;
}
