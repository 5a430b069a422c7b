#include "verify/verifier_layer.h"

#include <cstdint>

#include "common/digest.h"
#include "common/json.h"

namespace isign::verify::verifier_layer {

using common::quote_for_message;
using cosign::Payload;
using cosign::StoredLayer;

namespace {

void check_annotations(LayerResult& r, const Payload& p,
                       const std::map<std::string, std::string>& required) {
  for (const auto& [key, want] : required) {
    auto it = p.annotations.find(key);
    if (it == p.annotations.end()) {
      // Present but not a string, or absent: either way it cannot equal a string.
      fail(
          r, Failure::annotation_mismatch,
          "annotation " + quote_for_message(key) +
              (p.optional_null ? " is missing (optional is null)" : " is missing or not a string"));
      return;
    }
    if (it->second != want) {
      fail(r, Failure::annotation_mismatch,
           "annotation " + quote_for_message(key) + " is " + quote_for_message(it->second) +
               ", not " + quote_for_message(want));
      return;
    }
  }
}

} // namespace

void fail(LayerResult& r, Failure failure, std::string reason) {
  r.failure = failure;
  r.reason = std::move(reason);
}

bool fetch_layer(LayerResult& r, const StoredLayer& layer, const Check& check,
                 const std::function<bool()>& before_fetch) {
  const VerifyOptions& options = check.options;
  if (!layer.digest || !common::validate_sha256_digest(*layer.digest)) {
    fail(r, Failure::bad_descriptor, "the layer digest is not sha256:<64 hex>");
    return false;
  }
  r.payload_digest = *layer.digest;
  if (!layer.size) {
    fail(r, Failure::bad_descriptor, "the layer size is not a non-negative integer");
    return false;
  }
  const std::uint64_t size_value = *layer.size;
  if (size_value > options.limits.max_payload_size) {
    fail(r, Failure::too_large,
         std::string(layer.format == cosign::Format::bundle ? "the bundle" : "the payload") +
             " is " + std::to_string(size_value) + " bytes, more than the limit of " +
             std::to_string(options.limits.max_payload_size));
    return false;
  }
  if (before_fetch && !before_fetch())
    return false;
  auto blob = check.fetch(r.payload_digest, static_cast<std::size_t>(size_value));
  if (!blob) {
    r.fetch_error = blob.error();
    fail(r, Failure::fetch_failed, "fetching the payload: " + blob.error().message());
    return false;
  }
  if (blob->size() != size_value || common::sha256_digest(*blob) != r.payload_digest) {
    fail(r, Failure::blob_mismatch,
         "the payload blob does not match its descriptor (digest or size differs)");
    return false;
  }
  r.payload_bytes = std::move(*blob);
  return true;
}

bool find_key(LayerResult& r, const Check& check,
              const std::function<bool(const keys::PublicKey&)>& verifies) {
  const auto& keys = check.keys;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (verifies(keys[k])) {
      r.key_index = k;
      r.key_id = check.key_ids[k];
      return true;
    }
  }
  fail(r, Failure::bad_signature,
       keys.size() == 1 ? "the signature does not verify with the given key"
                        : "the signature does not verify with any of the " +
                              std::to_string(keys.size()) + " given keys");
  return false;
}

void check_claims(LayerResult& r, const Check& check, const std::string& what) {
  const std::string_view image_digest = check.image_digest;
  const registry::Reference& named = check.named;
  const VerifyOptions& options = check.options;
  const Payload& p = *r.payload;
  if (p.manifest_digest != image_digest)
    return fail(r, Failure::digest_mismatch,
                what + " signs " + p.manifest_digest + ", not " + std::string(image_digest));
  if (r.identity_unbound) {
    if (options.require_identity)
      return fail(r, Failure::identity_mismatch,
                  what + " names no repository (cosign v3 signs a digest only) and the policy "
                         "requires an identity");
  } else if (!identity_matches(p.docker_reference, named, image_digest, options)) {
    if (options.identity == IdentityRule::same_repository)
      return fail(r, Failure::identity_mismatch,
                  what + " names " + quote_for_message(p.docker_reference) +
                      ", not the repository '" +
                      options.checked_as.value_or(named.repository).str() + "'");
    std::string rule(identity_rule_name(options.identity));
    if (options.identity == IdentityRule::remap)
      rule += " " + options.remap_prefix + " -> " + options.remap_signed_prefix;
    return fail(r, Failure::identity_mismatch,
                what + " names " + quote_for_message(p.docker_reference) +
                    ", which does not match '" + named.str() + "' under " + rule);
  }
  check_annotations(r, p, options.required_annotations);
}

} // namespace isign::verify::verifier_layer
