#include "verify/verifier.h"

#include <algorithm>
#include <functional>
#include <set>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/json.h"
#include "cosign/bundle.h"
#include "cosign/constants.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::quote_for_message;
using common::Result;
using cosign::Payload;
using cosign::StoredLayer;

namespace {

constexpr std::size_t kMaxReasonsListed = 10;

void fail(LayerResult& r, Failure failure, std::string reason) {
  r.failure = failure;
  r.reason = std::move(reason);
}

// A fetch error that says nothing about the signature itself: the registry or the network let us
// down (a payload blob the registry does not have included), so neither "unsigned" nor "forged"
// can be concluded.
bool is_transport_error(const Error& e) {
  switch (e.kind()) {
  case ErrorKind::not_found:
  case ErrorKind::network:
  case ErrorKind::registry:
  case ErrorKind::throttled:
  case ErrorKind::io:
  case ErrorKind::internal:
    return true;
  default:
    return false;
  }
}

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

// The descriptor checks every format shares, then the blob fetched and checked against it. False
// (with r failed) when the layer cannot be judged further. signature_first: legacy layers check
// their annotation before fetching, so that a layer without one costs no request.
bool fetch_layer(LayerResult& r, const StoredLayer& layer, const BlobFetcher& fetch,
                 const VerifyOptions& options, const std::function<bool()>& before_fetch) {
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
         std::string(layer.format == cosign::SignatureFormat::bundle ? "the bundle"
                                                                     : "the payload") +
             " is " + std::to_string(size_value) + " bytes, more than the limit of " +
             std::to_string(options.limits.max_payload_size));
    return false;
  }
  if (before_fetch && !before_fetch())
    return false;
  auto blob = fetch(r.payload_digest, static_cast<std::size_t>(size_value));
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

// Which key verifies: sets r.key_index and r.key_id, or fails r.
bool find_key(LayerResult& r, const std::vector<keys::PublicKey>& keys,
              const std::vector<std::string>& key_ids,
              const std::function<bool(const keys::PublicKey&)>& verifies) {
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (verifies(keys[k])) {
      r.key_index = k;
      r.key_id = key_ids[k];
      return true;
    }
  }
  fail(r, Failure::bad_signature,
       keys.size() == 1 ? "the signature does not verify with the given key"
                        : "the signature does not verify with any of the " +
                              std::to_string(keys.size()) + " given keys");
  return false;
}

// The claims of a verified signature (r.payload) against the image and the rules. what: "the
// payload" or "the statement".
void check_claims(LayerResult& r, std::string_view image_digest, const registry::Reference& named,
                  const VerifyOptions& options, const std::string& what) {
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
                      ", not the repository '" + named.repository.str() + "'");
    std::string rule(identity_rule_name(options.identity));
    if (options.identity == IdentityRule::remap)
      rule += " " + options.remap_prefix + " -> " + options.remap_signed_prefix;
    return fail(r, Failure::identity_mismatch,
                what + " names " + quote_for_message(p.docker_reference) +
                    ", which does not match '" + named.str() + "' under " + rule);
  }
  check_annotations(r, p, options.required_annotations);
}

void verify_legacy(LayerResult& r, const StoredLayer& layer, const BlobFetcher& fetch,
                   std::string_view image_digest, const registry::Reference& named,
                   const std::vector<keys::PublicKey>& keys,
                   const std::vector<std::string>& key_ids, const VerifyOptions& options) {
  std::optional<std::string> der;
  auto annotation_ok = [&] {
    if (!layer.signature) {
      fail(r, Failure::missing_signature,
           "no " + std::string(cosign::kSignatureAnnotation) + " annotation");
      return false;
    }
    der = common::base64_decode(*layer.signature);
    if (!der || der->empty()) {
      fail(r, Failure::bad_encoding, "the signature annotation is not valid base64");
      return false;
    }
    return true;
  };
  if (!fetch_layer(r, layer, fetch, options, annotation_ok))
    return;
  if (!find_key(r, keys, key_ids,
                [&](const keys::PublicKey& k) { return k.verify(r.payload_bytes, *der); }))
    return;
  auto payload = cosign::parse_payload(r.payload_bytes);
  if (!payload)
    return fail(r, Failure::payload_invalid, "payload rule broken: " + payload.error().message());
  r.payload = std::move(*payload);
  check_claims(r, image_digest, named, options, "the payload");
}

// A cosign v3 bundle (FORMATS.md sections 8-10 and 12): the DSSE envelope verified over its
// pre-authentication encoding with the curve's hash, then the statement read strictly. Only an
// image signature (predicateType cosign/sign/v1) counts: cosign v3 also accepts any attestation
// signed by the key, which would let an SBOM stand in for a signature.
void verify_bundle(LayerResult& r, const StoredLayer& layer, const BlobFetcher& fetch,
                   std::string_view image_digest, const registry::Reference& named,
                   const std::vector<keys::PublicKey>& keys,
                   const std::vector<std::string>& key_ids, const VerifyOptions& options) {
  if (!fetch_layer(r, layer, fetch, options, nullptr))
    return;
  auto bundle = cosign::parse_bundle(r.payload_bytes);
  if (!bundle)
    return fail(r, Failure::payload_invalid, "bundle rule broken: " + bundle.error().message());
  if (!bundle->envelope)
    return fail(r, Failure::payload_invalid,
                "bundle rule broken: it signs a blob (messageSignature), not an image statement");
  const cosign::Envelope& envelope = *bundle->envelope;
  const std::string pae = cosign::dsse_pae(envelope.payload_type, envelope.payload);
  if (!find_key(r, keys, key_ids, [&](const keys::PublicKey& k) {
        return k.verify(pae, envelope.signature, keys::default_hash(k.algorithm()));
      }))
    return;
  r.payload_bytes = envelope.payload; // what the key signed: the statement
  auto statement = cosign::parse_statement(envelope.payload);
  if (!statement)
    return fail(r, Failure::payload_invalid,
                "statement rule broken: " + statement.error().message());
  if (statement->predicate_type != cosign::kSignPredicateType)
    return fail(r, Failure::payload_invalid,
                "the statement is not an image signature: its predicateType is " +
                    quote_for_message(statement->predicate_type));
  // cosign's claim check: a subject whose sha256 is the image.
  const std::string hex(image_digest.substr(7));
  const cosign::StatementSubject* subject = nullptr;
  for (const auto& s : statement->subjects) {
    auto it = s.digest.find("sha256");
    if (it != s.digest.end() && it->second == hex) {
      subject = &s;
      break;
    }
  }
  Payload claims;
  if (!subject) {
    const auto& first = statement->subjects.front();
    auto it = first.digest.find("sha256");
    claims.manifest_digest =
        it != first.digest.end() ? "sha256:" + it->second : std::string("another digest");
    r.payload = std::move(claims);
    return fail(r, Failure::digest_mismatch,
                "the statement signs " + r.payload->manifest_digest + ", not " +
                    std::string(image_digest));
  }
  claims.manifest_digest = std::string(image_digest);
  claims.docker_reference = subject->name.value_or("");
  claims.optional_null = false; // no "optional" in a statement: annotations live in the subject
  claims.annotations = subject->annotations;
  r.identity_unbound = !subject->name;
  r.payload = std::move(claims);
  check_claims(r, image_digest, named, options, "the statement");
}

void verify_layer(LayerResult& r, const StoredLayer& layer, const BlobFetcher& fetch,
                  std::string_view image_digest, const registry::Reference& named,
                  const std::vector<keys::PublicKey>& keys, const std::vector<std::string>& key_ids,
                  const VerifyOptions& options) {
  r.format = layer.format;
  r.where = layer.where;
  if (layer.format == cosign::SignatureFormat::bundle)
    verify_bundle(r, layer, fetch, image_digest, named, keys, key_ids, options);
  else
    verify_legacy(r, layer, fetch, image_digest, named, keys, key_ids, options);
}

} // namespace

std::string_view failure_name(Failure failure) {
  switch (failure) {
  case Failure::none:
    return "ok";
  case Failure::bad_descriptor:
    return "bad-descriptor";
  case Failure::too_large:
    return "too-large";
  case Failure::fetch_failed:
    return "fetch-failed";
  case Failure::blob_mismatch:
    return "blob-mismatch";
  case Failure::missing_signature:
    return "missing-signature";
  case Failure::bad_encoding:
    return "bad-encoding";
  case Failure::bad_signature:
    return "bad-signature";
  case Failure::payload_invalid:
    return "payload-invalid";
  case Failure::digest_mismatch:
    return "digest-mismatch";
  case Failure::identity_mismatch:
    return "identity-mismatch";
  case Failure::annotation_mismatch:
    return "annotation-mismatch";
  }
  return "unknown";
}

bool Report::verified() const noexcept {
  // Distinct keys counted without allocating: a valid layer counts when no earlier valid layer
  // has its key.
  const std::size_t required = threshold == 0 ? 1 : threshold;
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    if (!signatures[i].ok())
      continue;
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j)
      seen = signatures[j].ok() && signatures[j].key_id == signatures[i].key_id;
    if (!seen && ++distinct >= required)
      return true;
  }
  return false;
}

std::vector<std::string> Report::valid_keys() const {
  std::vector<std::string> out;
  for (const auto& s : signatures)
    if (s.ok() && std::find(out.begin(), out.end(), s.key_id) == out.end())
      out.push_back(s.key_id);
  return out;
}

std::vector<std::size_t> Report::valid() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < signatures.size(); ++i)
    if (signatures[i].ok())
      out.push_back(i);
  return out;
}

Error Report::failure_error() const {
  if (signatures.empty())
    return make_error(ErrorKind::no_signature,
                      "no signatures: the signature manifest has no " +
                          std::string(cosign::kSimpleSigningMediaType) + " layers" +
                          (ignored_layers ? " (" + std::to_string(ignored_layers) +
                                                " layers of other media types ignored)"
                                          : std::string()));
  for (const auto& s : signatures)
    if (s.fetch_error && is_transport_error(*s.fetch_error))
      return Error(s.fetch_error->kind() == ErrorKind::not_found ? ErrorKind::registry
                                                                 : s.fetch_error->kind(),
                   s.fetch_error->message())
          .context("fetching signature layer " + std::to_string(s.index) + " (" + s.payload_digest +
                   ")");
  auto layer_name = [](const LayerResult& s) {
    return "layer " + std::to_string(s.index) +
           (s.payload_digest.empty() ? std::string() : " (" + s.payload_digest + ")");
  };
  // The failed layers' reasons, at most kMaxReasonsListed of them.
  auto failures = [&] {
    std::string out;
    std::size_t listed = 0, failed = 0;
    for (const auto& s : signatures) {
      if (s.ok())
        continue;
      if (++failed > kMaxReasonsListed)
        continue;
      out += (listed++ ? "; " : "") + layer_name(s) + ": " + std::string(failure_name(s.failure)) +
             ": " + s.reason;
    }
    if (failed > kMaxReasonsListed)
      out += "; and " + std::to_string(failed - kMaxReasonsListed) + " more";
    return out;
  };
  if (auto keys = valid_keys(); !keys.empty()) {
    const std::size_t required = threshold == 0 ? 1 : threshold;
    std::string message = "valid signatures from " + std::to_string(keys.size()) + " distinct key" +
                          (keys.size() == 1 ? "" : "s") + " (";
    for (std::size_t i = 0; i < keys.size(); ++i)
      message += (i ? ", " : "") + keys[i];
    message += "), fewer than the threshold of " + std::to_string(required);
    if (auto rest = failures(); !rest.empty())
      message += "; " + rest;
    return make_error(ErrorKind::verification, message);
  }
  // An oversized payload was never checked: it could have been the valid signature, so the
  // outcome is "refused by a limit", not "invalid".
  for (const auto& s : signatures)
    if (s.failure == Failure::too_large)
      return make_error(ErrorKind::limit, "no valid signature among " +
                                              std::to_string(signatures.size()) + ", and " +
                                              layer_name(s) + " was not checked: " + s.reason);
  return make_error(ErrorKind::verification, "no valid signature among " +
                                                 std::to_string(signatures.size()) + ": " +
                                                 failures());
}

std::string_view identity_rule_name(IdentityRule rule) {
  switch (rule) {
  case IdentityRule::none:
    return "none";
  case IdentityRule::same_repository:
    return "matchRepository";
  case IdentityRule::exact:
    return "matchExact";
  case IdentityRule::repo_digest_or_exact:
    return "matchRepoDigestOrExact";
  case IdentityRule::remap:
    return "remapIdentity";
  }
  return "unknown";
}

std::string key_id(const keys::PublicKey& key) {
  return common::sha256_digest(key.der());
}

std::size_t distinct_keys(const std::vector<keys::PublicKey>& keys) {
  std::set<std::string> ids;
  for (const auto& k : keys)
    ids.insert(key_id(k));
  return ids.size();
}

bool reference_matches(std::string_view docker_reference, const registry::Repository& repo,
                       std::string_view image_digest) {
  auto ref = registry::Reference::parse(docker_reference);
  if (!ref)
    return false;
  if (!(ref->repository == repo))
    return false;
  return ref->digest.empty() || ref->digest == image_digest;
}

namespace {

// A reference without tag and digest means "latest", as docker and containers/image read it.
registry::Reference with_default_tag(registry::Reference ref) {
  if (ref.tag.empty() && ref.digest.empty())
    ref.tag = "latest";
  return ref;
}

bool same_reference(const registry::Reference& a, const registry::Reference& b) {
  return a.repository == b.repository && a.tag == b.tag && a.digest == b.digest;
}

// containers/image's matchRepoDigestOrExact over parsed values: a signature must name a tag or
// digest; an image named by tag needs the same reference, one named by digest only the same
// repository (the payload's manifest digest is checked against the image separately).
bool repo_digest_or_exact(const registry::Reference& intended, const registry::Reference& sig) {
  if (sig.tag.empty() && sig.digest.empty())
    return false;
  if (!intended.tag.empty())
    return same_reference(sig, intended);
  return sig.repository == intended.repository;
}

} // namespace

bool remap_prefix_matches(std::string_view name, std::string_view prefix) {
  if (name.size() < prefix.size() || name.substr(0, prefix.size()) != prefix)
    return false;
  return name.size() == prefix.size() || name[prefix.size()] == '/';
}

bool identity_matches(std::string_view docker_reference, const registry::Reference& named,
                      std::string_view image_digest, const VerifyOptions& options) {
  if (options.identity == IdentityRule::none)
    return true;
  if (options.identity == IdentityRule::same_repository)
    return reference_matches(docker_reference, named.repository, image_digest);
  auto sig = registry::Reference::parse(docker_reference);
  if (!sig)
    return false;
  registry::Reference intended = with_default_tag(named);
  switch (options.identity) {
  case IdentityRule::exact:
    return !(sig->tag.empty() && sig->digest.empty()) && same_reference(*sig, intended);
  case IdentityRule::repo_digest_or_exact:
    return repo_digest_or_exact(intended, *sig);
  case IdentityRule::remap: {
    const std::string name = intended.repository.registry + "/" + intended.repository.name;
    if (!options.remap_prefix.empty() && remap_prefix_matches(name, options.remap_prefix)) {
      std::string rewritten =
          options.remap_signed_prefix + name.substr(options.remap_prefix.size());
      if (!intended.tag.empty())
        rewritten += ":" + intended.tag;
      if (!intended.digest.empty())
        rewritten += "@" + intended.digest;
      auto remapped = registry::Reference::parse(rewritten);
      if (!remapped)
        return false;
      intended = std::move(*remapped);
    }
    if (options.remap_then == IdentityRule::same_repository)
      return reference_matches(docker_reference, intended.repository, image_digest);
    return repo_digest_or_exact(intended, *sig);
  }
  default:
    return false;
  }
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
  if (auto valid = common::validate_sha256_digest(image_digest); !valid)
    return std::move(valid).error();
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
    verify_layer(r, layer, fetch, image_digest, named, keys, key_ids, options);
    report.signatures.push_back(std::move(r));
  }
  return report;
}

} // namespace isign::verify
