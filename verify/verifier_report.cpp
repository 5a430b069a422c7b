// A verify_signatures Report read back: which signatures count, and why verification failed.
#include <algorithm>

#include "cosign/constants.h"
#include "verify/verifier.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::make_error;

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

namespace {

constexpr std::size_t kMaxReasonsListed = 10;

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

} // namespace isign::verify
