#include "verify/blob.h"

#include "common/encoding.h"
#include "cosign/bundle.h"

namespace isign::verify {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

Result<std::size_t> first_verifying(const std::vector<keys::PublicKey>& keys, std::string_view blob,
                                    std::string_view der, bool also_sha256) {
  if (keys.empty())
    return make_error(ErrorKind::usage, "no public key to verify with");
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const keys::Hash hash = keys::default_hash(keys[k].algorithm());
    if (keys[k].verify(blob, der, hash) ||
        (also_sha256 && hash != keys::Hash::sha256 && keys[k].verify(blob, der)))
      return k;
  }
  return make_error(ErrorKind::verification,
                    keys.size() == 1 ? "the signature does not verify with the given key"
                                     : "the signature does not verify with any of the " +
                                           std::to_string(keys.size()) + " given keys");
}

} // namespace

Result<std::size_t> verify_blob_bundle(std::string_view bundle_bytes, std::string_view blob,
                                       const std::vector<keys::PublicKey>& keys) {
  auto bundle = cosign::parse_bundle(bundle_bytes);
  ISIGN_TRY(bundle);
  if (!bundle->message)
    return make_error(ErrorKind::verification,
                      "the bundle holds a DSSE envelope (an image signature or an attestation), "
                      "not a blob's messageSignature");
  const cosign::MessageSignature& m = *bundle->message;
  if (keys.empty())
    return make_error(ErrorKind::usage, "no public key to verify with");
  std::string reasons;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const keys::Hash hash = keys::default_hash(keys[k].algorithm());
    if (m.algorithm != keys::hash_name(hash)) {
      reasons = "the bundle's digest algorithm is " + m.algorithm + ", not the key's " +
                std::string(keys::hash_name(hash));
      continue;
    }
    if (m.digest != keys::digest(hash, blob)) {
      reasons = "the bundle signs another file (its messageDigest is not this file's)";
      continue;
    }
    if (keys[k].verify(blob, m.signature, hash))
      return k;
    reasons = "the signature does not verify with the given key";
  }
  return make_error(ErrorKind::verification, reasons);
}

Result<std::size_t> verify_blob_signature(std::string_view signature_b64, std::string_view blob,
                                          const std::vector<keys::PublicKey>& keys) {
  const auto first = signature_b64.find_first_not_of(" \t\r\n");
  const auto last = signature_b64.find_last_not_of(" \t\r\n");
  const std::string_view trimmed = first == std::string_view::npos
                                       ? std::string_view()
                                       : signature_b64.substr(first, last - first + 1);
  auto der = common::base64_decode(trimmed);
  if (!der || der->empty())
    return make_error(ErrorKind::verification, "the signature is not valid base64");
  return first_verifying(keys, blob, *der, true);
}

} // namespace isign::verify
