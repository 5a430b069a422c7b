#include "common/digest.h"
#include "cosign/constants.h"
#include "cosign/signature_manifest.h"

namespace isign::cosign {

using common::Result;

Result<SignatureArtifact> rebuild_signature_artifact(const std::vector<StoredLayer>& kept,
                                                     const NewSignature* first) {
  SignatureArtifact base;
  if (first) {
    base = new_signature_artifact(*first);
  } else {
    // go-containerregistry's empty image config: no layer, so no diff_id and no history entry.
    base.config = "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[],"
                  "\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{}}";
    const std::string config_digest = common::sha256_digest(base.config);
    base.manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(registry::kOciManifest) +
                    "\",\"config\":{\"mediaType\":\"" + std::string(kOciConfigMediaType) +
                    "\",\"size\":" + std::to_string(base.config.size()) + ",\"digest\":\"" +
                    config_digest + "\"},\"layers\":[]}";
    base.media_type = std::string(registry::kOciManifest);
    base.blobs_to_upload.push_back(Blob{config_digest, base.config});
  }
  if (kept.empty())
    return base;
  auto existing = parse_existing_artifact(base.manifest);
  ISIGN_TRY(existing);
  auto out = extend_with_layers(*existing, base.config, kept);
  ISIGN_TRY(out);
  if (first) // the new entry's payload, before the config that names it
    out->blobs_to_upload.insert(out->blobs_to_upload.begin(), base.blobs_to_upload.front());
  return out;
}

} // namespace isign::cosign
