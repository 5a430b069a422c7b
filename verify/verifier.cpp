#include "verify/verifier.h"

#include <set>

#include "common/digest.h"
#include "verify/verifier_layer.h"

namespace isign::verify {

using common::ErrorKind;
using common::make_error;
using common::Result;
using cosign::StoredLayer;

namespace {

void verify_layer(LayerResult& r, const StoredLayer& layer, const verifier_layer::Check& check) {
  r.format = layer.format;
  r.where = layer.where;
  if (layer.format == cosign::Format::bundle)
    verifier_layer::verify_bundle(r, layer, check);
  else
    verifier_layer::verify_legacy(r, layer, check);
}

} // namespace

std::string key_id(const keys::PublicKey& key) {
  return common::sha256_digest(key.der());
}

std::size_t distinct_keys(const std::vector<keys::PublicKey>& keys) {
  std::set<std::string> ids;
  for (const auto& k : keys)
    ids.insert(key_id(k));
  return ids.size();
}

Result<Report> verify_signatures(const std::vector<StoredLayer>& layers, const BlobFetcher& fetch,
                                 std::string_view image_digest,
                                 const registry::Repository& image_repository,
                                 const std::vector<keys::PublicKey>& keys,
                                 const VerifyOptions& options) {
  registry::Reference named;
  named.repository = image_repository;
  named.digest = std::string(image_digest);
  return verify_signatures(layers, fetch, image_digest, named, keys, options);
}

Result<Report> verify_signatures(const std::vector<StoredLayer>& layers, const BlobFetcher& fetch,
                                 std::string_view image_digest, const registry::Reference& named,
                                 const std::vector<keys::PublicKey>& keys,
                                 const VerifyOptions& options) {
  if (keys.empty())
    return make_error(ErrorKind::usage, "no public key to verify with");
  ISIGN_TRY(common::validate_sha256_digest(image_digest));
  if (layers.size() > options.limits.max_layers)
    return make_error(ErrorKind::limit,
                      std::to_string(layers.size()) +
                          " signatures are stored (.sig layers and bundles), more than the limit "
                          "of " +
                          std::to_string(options.limits.max_layers) + " (--max-signature-layers)");

  std::vector<std::string> key_ids;
  key_ids.reserve(keys.size());
  for (const auto& k : keys)
    key_ids.push_back(key_id(k));

  const verifier_layer::Check check{fetch, image_digest, named, keys, key_ids, options};
  Report report;
  report.threshold = options.threshold == 0 ? 1 : options.threshold;
  for (const auto& layer : layers) {
    if (!layer.is_object)
      return make_error(ErrorKind::registry, "the signature manifest layer " +
                                                 std::to_string(layer.index) +
                                                 " is not a JSON object");
    if (!layer.is_signature()) {
      ++report.ignored_layers;
      continue;
    }
    LayerResult r;
    r.index = layer.index;
    verify_layer(r, layer, check);
    report.signatures.push_back(std::move(r));
  }
  return report;
}

} // namespace isign::verify
