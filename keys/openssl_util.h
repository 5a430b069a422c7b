// Internal to keys/: RAII owners for OpenSSL objects and error-queue draining. Not installed, not
// included by any public header.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "keys/keys.h"

namespace isign::keys::detail {

template <auto Fn> struct Free {
  template <class T> void operator()(T* p) const noexcept { Fn(p); }
};

using PKey = std::unique_ptr<EVP_PKEY, Free<&EVP_PKEY_free>>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, Free<&EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Free<&EVP_MD_CTX_free>>;
using Pkcs8Info = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Free<&PKCS8_PRIV_KEY_INFO_free>>;

// The bytes of s as OpenSSL's functions take them.
inline const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Pops every queued OpenSSL error; returns the first reason text ("" when the queue was empty).
// Called after every failed OpenSSL call so errors never leak into an unrelated later call.
std::string drain_openssl_errors();

// An Error of kind whose message is what, followed by ": <OpenSSL reason>" when there is one.
common::Error openssl_error(common::ErrorKind kind, std::string what);

// The key's algorithm, or a key error naming what is unsupported (only EC P-256, P-384 and P-521,
// RSA >= 2048 bits and Ed25519 are).
common::Result<Algorithm> supported_algorithm(const EVP_PKEY* pkey);

// Standard PEM: "-----BEGIN label-----\n", base64 in 64-character lines, "-----END label-----\n".
std::string pem_encode(std::string_view label, std::string_view der);

struct PemBlock {
  std::string label;
  std::string der;
  std::size_t end_offset = 0; // just past the END line's dashes in the decoded text
};
// The first PEM block of text (text before it is ignored, as Go's pem.Decode does). Key error
// when there is none, its END line is missing or does not match, or its body is not base64.
common::Result<PemBlock> pem_decode(std::string_view text);

} // namespace isign::keys::detail

namespace isign::keys {

struct PrivateKey::Impl {
  detail::PKey pkey;
  Algorithm algorithm;
};

struct PublicKey::Impl {
  detail::PKey pkey;
  Algorithm algorithm;
  std::string der; // the SubjectPublicKeyInfo, encoded once when the key is made
};

namespace detail {
// Takes ownership of pkey after checking it holds a supported private key.
common::Result<PrivateKey> make_private_key(PKey pkey);
// The PKCS#8 DER of key (what the encrypted key file holds). Wiped by the caller.
common::Result<std::string> pkcs8_der(const PrivateKey& key);
// Parses PKCS#8 DER (v1, and v2 for Ed25519); a SEC1 or PKCS#1 input is a key error naming it.
common::Result<PrivateKey> parse_pkcs8_der(std::string_view der);
} // namespace detail

} // namespace isign::keys
