// Private keys as DER and PEM: PKCS#8 out (what the encrypted key file holds) and in (v1, and
// v2 for Ed25519), and the import of unencrypted PEM private keys (PKCS#8, SEC1, PKCS#1).
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "common/secret.h"
#include "keys/keys.h"
#include "keys/openssl_util.h"

namespace isign::keys {

using namespace std::string_view_literals;
using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::bytes;

namespace detail {

Result<std::string> pkcs8_der(const PrivateKey& key) {
  Pkcs8Info p8(EVP_PKEY2PKCS8(key.impl().pkey.get()));
  if (!p8)
    return openssl_error(ErrorKind::internal, "encoding the private key as PKCS#8");
  unsigned char* buf = nullptr;
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &buf);
  if (len <= 0)
    return openssl_error(ErrorKind::internal, "encoding the private key as PKCS#8");
  std::string der(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_clear_free(buf, static_cast<std::size_t>(len));
  return der;
}

namespace {

// A minimal DER reader (definite lengths only), used to tell PKCS#8 from SEC1/PKCS#1 and to read
// RFC 8410 Ed25519 keys that OpenSSL 3.0 rejects. It never interprets key material itself.
class DerReader {
public:
  explicit DerReader(std::string_view in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  int peek_tag() const { return in_.empty() ? -1 : static_cast<unsigned char>(in_[0]); }
  // Reads one element; false when malformed or truncated.
  bool next(int* tag, std::string_view* value) {
    if (in_.size() < 2)
      return false;
    *tag = static_cast<unsigned char>(in_[0]);
    std::size_t len = static_cast<unsigned char>(in_[1]);
    std::size_t pos = 2;
    if (len & 0x80) {
      std::size_t n = len & 0x7f;
      if (n == 0 || n > 4 || in_.size() < pos + n)
        return false; // 0: indefinite length
      len = 0;
      for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | static_cast<unsigned char>(in_[pos++]);
    }
    if (in_.size() - pos < len)
      return false;
    *value = in_.substr(pos, len);
    in_.remove_prefix(pos + len);
    return true;
  }

private:
  std::string_view in_;
};

constexpr int kInteger = 0x02, kOctetString = 0x04, kOid = 0x06, kSequence = 0x30,
              kAttributes = 0xa0, kPublicKeyV2 = 0x81;
constexpr std::string_view kEd25519Oid = "\x2b\x65\x70"; // 1.3.101.112

enum class DerShape { pkcs8, sec1, pkcs1, other };

DerShape shape_of(std::string_view der, std::string_view* algorithm_oid) {
  DerReader outer(der);
  int tag = 0;
  std::string_view seq, version, alg;
  if (!outer.next(&tag, &seq) || tag != kSequence || !outer.empty())
    return DerShape::other;
  DerReader inner(seq);
  if (!inner.next(&tag, &version) || tag != kInteger)
    return DerShape::other;
  int next = inner.peek_tag();
  if (next == kSequence) {
    if (inner.next(&tag, &alg)) {
      DerReader alg_reader(alg);
      std::string_view oid;
      if (alg_reader.next(&tag, &oid) && tag == kOid)
        *algorithm_oid = oid;
    }
    return DerShape::pkcs8;
  }
  if (next == kOctetString && version == "\x01")
    return DerShape::sec1;
  if (next == kInteger)
    return DerShape::pkcs1;
  return DerShape::other;
}

// RFC 8410 OneAsymmetricKey for Ed25519, version 1 (PKCS#8 v1) or 2 (v2, with [1] publicKey):
// SEQUENCE { INTEGER, SEQUENCE { OID }, OCTET STRING { OCTET STRING seed(32) }, [0]?, [1]? }.
Result<PrivateKey> parse_ed25519_one_asymmetric_key(std::string_view der) {
  auto malformed = [] {
    return make_error(ErrorKind::key, "malformed Ed25519 PKCS#8 private key");
  };
  DerReader outer(der);
  int tag = 0;
  std::string_view seq, version, alg, wrapped, seed, extra;
  if (!outer.next(&tag, &seq) || tag != kSequence)
    return malformed();
  DerReader r(seq);
  if (!r.next(&tag, &version) || tag != kInteger || (version != "\x00"sv && version != "\x01"sv))
    return malformed();
  if (!r.next(&tag, &alg) || tag != kSequence)
    return malformed();
  DerReader alg_reader(alg);
  std::string_view oid;
  if (!alg_reader.next(&tag, &oid) || tag != kOid || oid != kEd25519Oid || !alg_reader.empty())
    return malformed();
  if (!r.next(&tag, &wrapped) || tag != kOctetString)
    return malformed();
  DerReader seed_reader(wrapped);
  if (!seed_reader.next(&tag, &seed) || tag != kOctetString || seed.size() != 32 ||
      !seed_reader.empty())
    return malformed();
  std::string_view embedded_public;
  if (r.peek_tag() == kAttributes && !r.next(&tag, &extra))
    return malformed();
  if (r.peek_tag() == kPublicKeyV2) {
    if (version != "\x01"sv || !r.next(&tag, &extra) || extra.size() != 33 || extra[0] != '\0')
      return malformed();
    embedded_public = extra.substr(1);
  }
  if (!r.empty())
    return malformed();

  PKey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size()));
  if (!pkey)
    return openssl_error(ErrorKind::key, "invalid Ed25519 private key");
  if (!embedded_public.empty()) {
    std::array<unsigned char, 32> pub{};
    std::size_t len = pub.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != pub.size())
      return openssl_error(ErrorKind::key, "invalid Ed25519 private key");
    if (std::memcmp(pub.data(), embedded_public.data(), pub.size()) != 0)
      return make_error(ErrorKind::key, "Ed25519 PKCS#8 private key: the embedded public key "
                                        "does not match the private key");
  }
  return make_private_key(std::move(pkey));
}

} // namespace

Result<PrivateKey> parse_pkcs8_der(std::string_view der) {
  std::string_view oid;
  switch (shape_of(der, &oid)) {
  case DerShape::pkcs8:
    break;
  case DerShape::sec1:
    return make_error(ErrorKind::key,
                      "the private key is not PKCS#8: it is a SEC1 EC PRIVATE KEY (cosign "
                      "rejects this too); import the key again to convert it");
  case DerShape::pkcs1:
    return make_error(ErrorKind::key,
                      "the private key is not PKCS#8: it is a PKCS#1 RSA PRIVATE KEY");
  case DerShape::other:
    return make_error(ErrorKind::key, "the private key is not PKCS#8 DER");
  }
  const unsigned char* p = bytes(der);
  Pkcs8Info p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (p8 && p == bytes(der) + der.size()) {
    PKey pkey(EVP_PKCS82PKEY(p8.get()));
    if (pkey)
      return make_private_key(std::move(pkey));
  }
  std::string reason = drain_openssl_errors();
  // OpenSSL 3.0 rejects PKCS#8 v2 (RFC 5958 OneAsymmetricKey with a public key), which is what
  // sigstore-rs writes for Ed25519 keys; that layout is simple and fixed, so read it ourselves.
  if (oid == kEd25519Oid)
    return parse_ed25519_one_asymmetric_key(der);
  return make_error(ErrorKind::key, "malformed PKCS#8 private key" +
                                        (reason.empty() ? std::string() : ": " + reason));
}

} // namespace detail

// ---- import -----------------------------------------------------------------------------------

namespace {

// Decodes DER of one exact structure ("type-specific": SEC1 for EC, PKCS#1 for RSA).
Result<PrivateKey> decode_type_specific(std::string_view der, const char* keytype,
                                        const std::string& label) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, detail::Free<&OSSL_DECODER_CTX_free>> dctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", "type-specific", keytype, EVP_PKEY_KEYPAIR,
                                    nullptr, nullptr));
  if (!dctx)
    return detail::openssl_error(ErrorKind::internal, "no decoder for " + label);
  const unsigned char* p = bytes(der);
  std::size_t left = der.size();
  if (OSSL_DECODER_from_data(dctx.get(), &p, &left) != 1 || raw == nullptr) {
    EVP_PKEY_free(raw);
    return detail::openssl_error(ErrorKind::key, "malformed " + label);
  }
  detail::PKey pkey(raw);
  if (left != 0)
    return make_error(ErrorKind::key, "malformed " + label + ": trailing bytes");
  return detail::make_private_key(std::move(pkey));
}

} // namespace

Result<PrivateKey> import_pem_private_key(std::string_view pem) {
  if (pem.size() > (1u << 20))
    return make_error(ErrorKind::key, "too large to be a PEM private key");
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key: skip such blocks.
  std::string_view rest = pem;
  for (;;) {
    auto block = detail::pem_decode(rest);
    if (!block)
      return std::move(block.error());
    common::SecretString der(std::move(block->der));
    const std::string& label = block->label;
    if (label == "EC PARAMETERS") {
      rest.remove_prefix(block->end_offset);
      continue;
    }
    if (label == "PRIVATE KEY")
      return detail::parse_pkcs8_der(der.str());
    if (label == "EC PRIVATE KEY")
      return decode_type_specific(der.str(), "EC", label);
    if (label == "RSA PRIVATE KEY")
      return decode_type_specific(der.str(), "RSA", label);
    if (label == "ENCRYPTED PRIVATE KEY")
      return make_error(ErrorKind::key, "password-protected PKCS#8 ('ENCRYPTED PRIVATE KEY') is "
                                        "not supported: decrypt it first (openssl pkey)");
    if (label == "ENCRYPTED SIGSTORE PRIVATE KEY" || label == "ENCRYPTED COSIGN PRIVATE KEY")
      return make_error(ErrorKind::key,
                        "the key is already an encrypted cosign key ('" + label + "')");
    if (label == "PUBLIC KEY")
      return make_error(ErrorKind::key, "this is a public key, not a private key");
    return make_error(ErrorKind::key, "unsupported PEM block '" + label +
                                          "' (expected PRIVATE KEY, EC PRIVATE KEY or "
                                          "RSA PRIVATE KEY)");
  }
}

} // namespace isign::keys
