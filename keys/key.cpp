// Key objects, signing, verification, PEM, PKCS#8 and the import of unencrypted PEM private keys.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/secret.h"
#include "keys/keys.h"
#include "keys/openssl_util.h"

namespace isign::keys {

using namespace std::string_view_literals;
using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace detail {

std::string drain_openssl_errors() {
  std::string first;
  while (unsigned long code = ERR_get_error()) {
    if (!first.empty())
      continue;
    const char* reason = ERR_reason_error_string(code);
    first = reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
  }
  return first;
}

Error openssl_error(ErrorKind kind, std::string what) {
  std::string reason = drain_openssl_errors();
  if (!reason.empty())
    what += ": " + reason;
  return make_error(kind, std::move(what));
}

Result<Algorithm> supported_algorithm(const EVP_PKEY* pkey) {
  static constexpr std::string_view kSupported = "EC P-256, P-384, P-521, RSA, Ed25519";
  if (EVP_PKEY_is_a(pkey, "EC")) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) != 1)
      return openssl_error(ErrorKind::key, "unsupported EC key: it has no named curve");
    std::string name(group.data(), len);
    // OpenSSL reports the SEC 2 names; accept the NIST aliases too.
    if (name == "prime256v1" || name == "P-256")
      return Algorithm::ecdsa_p256;
    if (name == "secp384r1" || name == "P-384")
      return Algorithm::ecdsa_p384;
    if (name == "secp521r1" || name == "P-521")
      return Algorithm::ecdsa_p521;
    return make_error(ErrorKind::key, "unsupported EC curve '" + name +
                                          "' (supported: " + std::string(kSupported) + ")");
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    // The floor cosign's key validation (sigstore goodkey) applies.
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < 2048)
      return make_error(ErrorKind::key, "unsupported RSA key of " + std::to_string(bits) +
                                            " bits (at least 2048 are required)");
    return Algorithm::rsa;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519"))
    return Algorithm::ed25519;
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return make_error(ErrorKind::key, std::string("unsupported key type '") +
                                        (type != nullptr ? type : "unknown") +
                                        "' (supported: " + std::string(kSupported) + ")");
}

std::string pem_encode(std::string_view label, std::string_view der) {
  std::string b64 = common::base64_encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  out.reserve(out.size() + b64.size() + b64.size() / 64 + 2 * label.size() + 32);
  for (std::size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  common::secure_wipe(b64.data(), b64.size());
  return out;
}

Result<PemBlock> pem_decode(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kDashes = "-----";
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return make_error(ErrorKind::key, "the file is empty, not a PEM block");
  // BEGIN must start a line; text before it is ignored, as Go's pem.Decode does.
  std::size_t begin = 0;
  for (;;) {
    begin = text.find(kBegin, begin);
    if (begin == std::string_view::npos)
      return make_error(ErrorKind::key, "not a PEM block (no '-----BEGIN' line)");
    if (begin == 0 || text[begin - 1] == '\n')
      break;
    begin += kBegin.size();
  }
  std::size_t label_start = begin + kBegin.size();
  std::size_t line_end = text.find('\n', label_start);
  std::string_view first_line =
      text.substr(label_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                  : line_end - label_start);
  if (!first_line.empty() && first_line.back() == '\r')
    first_line.remove_suffix(1);
  if (first_line.size() < kDashes.size() ||
      first_line.substr(first_line.size() - kDashes.size()) != kDashes)
    return make_error(ErrorKind::key, "not a PEM block (malformed '-----BEGIN' line)");
  PemBlock block;
  block.label = std::string(first_line.substr(0, first_line.size() - kDashes.size()));
  if (line_end == std::string_view::npos)
    return make_error(ErrorKind::key,
                      "truncated PEM block: no '-----END " + block.label + "-----' line");

  std::string end_marker = "-----END " + block.label + "-----";
  std::size_t end = text.find(end_marker, line_end + 1);
  if (end == std::string_view::npos || text[end - 1] != '\n') {
    if (text.find("-----END ", line_end + 1) != std::string_view::npos)
      return make_error(ErrorKind::key,
                        "malformed PEM block: its END line does not match '" + block.label + "'");
    return make_error(ErrorKind::key, "truncated PEM block: no '" + end_marker + "' line");
  }
  std::string_view body = text.substr(line_end + 1, end - line_end - 1);
  block.end_offset = end + end_marker.size();
  if (body.find(':') != std::string_view::npos)
    return make_error(ErrorKind::key,
                      "PEM headers (such as 'Proc-Type: 4,ENCRYPTED') are not supported");
  std::string compact;
  compact.reserve(body.size());
  for (char c : body)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
      compact += c;
  auto der = common::base64_decode(compact);
  common::secure_wipe(compact.data(), compact.size());
  if (!der)
    return make_error(ErrorKind::key, "bad base64 in the PEM block '" + block.label + "'");
  block.der = std::move(*der);
  return block;
}

} // namespace detail

// ---- PrivateKey -----------------------------------------------------------------------------

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

Algorithm PrivateKey::algorithm() const noexcept {
  return impl_->algorithm;
}

namespace {

// Ed25519 signs the message itself (no prehash); ECDSA and RSA sign hash(message).
const EVP_MD* digest_for(Algorithm algorithm, Hash hash) {
  if (algorithm == Algorithm::ed25519)
    return nullptr;
  switch (hash) {
  case Hash::sha256:
    return EVP_sha256();
  case Hash::sha384:
    return EVP_sha384();
  case Hash::sha512:
    return EVP_sha512();
  }
  return EVP_sha256();
}

} // namespace

std::string digest(Hash hash, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 digest_for(Algorithm::ecdsa_p256, hash), nullptr) != 1) {
    detail::drain_openssl_errors();
    return {};
  }
  out.resize(len);
  return out;
}

namespace {

std::string public_der(const EVP_PKEY* pkey) {
  unsigned char* buf = nullptr;
  int len = i2d_PUBKEY(pkey, &buf);
  if (len <= 0) {
    detail::drain_openssl_errors();
    return {};
  }
  std::string der(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  OPENSSL_free(buf);
  return der;
}

detail::PKey up_ref(EVP_PKEY* pkey) {
  EVP_PKEY_up_ref(pkey);
  return detail::PKey(pkey);
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

} // namespace

Result<std::string> PrivateKey::sign(std::string_view data) const {
  return sign(data, Hash::sha256);
}

Result<std::string> PrivateKey::sign(std::string_view data, Hash hash) const {
  detail::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx)
    return detail::openssl_error(ErrorKind::internal, "signing: out of memory");
  if (EVP_DigestSignInit(ctx.get(), nullptr, digest_for(impl_->algorithm, hash), nullptr,
                         impl_->pkey.get()) != 1)
    return detail::openssl_error(ErrorKind::key, "signing: cannot initialise the signer");
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1)
    return detail::openssl_error(ErrorKind::key, "signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data),
                     data.size()) != 1)
    return detail::openssl_error(ErrorKind::key, "signing failed");
  sig.resize(len);
  return sig;
}

std::string PrivateKey::public_key_pem() const {
  return detail::pem_encode("PUBLIC KEY", public_der(impl_->pkey.get()));
}

PublicKey PrivateKey::public_key() const {
  // An EVP_PKEY holding a private key also serves as the public key for verification.
  auto impl = std::make_unique<PublicKey::Impl>();
  impl->pkey = up_ref(impl_->pkey.get());
  impl->algorithm = impl_->algorithm;
  impl->der = public_der(impl->pkey.get());
  return PublicKey(std::move(impl));
}

// ---- PublicKey ------------------------------------------------------------------------------

PublicKey::PublicKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PublicKey::PublicKey(const PublicKey& o)
    : impl_(std::make_unique<Impl>(
          Impl{up_ref(o.impl_->pkey.get()), o.impl_->algorithm, o.impl_->der})) {}
PublicKey& PublicKey::operator=(const PublicKey& o) {
  if (this != &o)
    impl_ =
        std::make_unique<Impl>(Impl{up_ref(o.impl_->pkey.get()), o.impl_->algorithm, o.impl_->der});
  return *this;
}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

Algorithm PublicKey::algorithm() const noexcept {
  return impl_->algorithm;
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  if (pem.size() > (1u << 20))
    return make_error(ErrorKind::key, "too large to be a PEM public key");
  auto block = detail::pem_decode(pem);
  if (!block)
    return std::move(block.error());
  if (block->label != "PUBLIC KEY") {
    if (block->label.find("PRIVATE KEY") != std::string::npos)
      return make_error(ErrorKind::key, "this is a private key (PEM '" + block->label +
                                            "'), not a public key (PEM 'PUBLIC KEY')");
    return make_error(ErrorKind::key,
                      "unexpected PEM block '" + block->label + "' (expected 'PUBLIC KEY')");
  }
  const unsigned char* p = bytes(block->der);
  detail::PKey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(block->der.size())));
  if (!pkey)
    return detail::openssl_error(ErrorKind::key,
                                 "malformed PUBLIC KEY (not a SubjectPublicKeyInfo)");
  if (p != bytes(block->der) + block->der.size())
    return make_error(ErrorKind::key, "malformed PUBLIC KEY: trailing bytes after the key");
  auto algorithm = detail::supported_algorithm(pkey.get());
  if (!algorithm)
    return std::move(algorithm.error());
  auto impl = std::make_unique<Impl>();
  impl->pkey = std::move(pkey);
  impl->algorithm = *algorithm;
  impl->der = public_der(impl->pkey.get());
  return PublicKey(std::move(impl));
}

bool PublicKey::verify(std::string_view data, std::string_view signature) const {
  return verify(data, signature, Hash::sha256);
}

bool PublicKey::verify(std::string_view data, std::string_view signature, Hash hash) const {
  detail::MdCtx ctx(EVP_MD_CTX_new());
  bool ok = ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(impl_->algorithm, hash), nullptr,
                                 impl_->pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data),
                             data.size()) == 1;
  // A bad signature queues parse errors; they must not surface in a later, unrelated call.
  detail::drain_openssl_errors();
  return ok;
}

std::string PublicKey::pem() const {
  return detail::pem_encode("PUBLIC KEY", der());
}

std::string PublicKey::der() const {
  return impl_->der;
}

std::string public_key_hint(const PublicKey& key) {
  return common::base64_encode(common::sha256_raw(key.der()));
}

// ---- hashes ---------------------------------------------------------------------------------

Hash default_hash(Algorithm algorithm) noexcept {
  switch (algorithm) {
  case Algorithm::ecdsa_p256:
  case Algorithm::rsa:
    return Hash::sha256;
  case Algorithm::ecdsa_p384:
    return Hash::sha384;
  case Algorithm::ecdsa_p521:
  case Algorithm::ed25519:
    return Hash::sha512;
  }
  return Hash::sha256;
}

std::string_view hash_name(Hash hash) noexcept {
  switch (hash) {
  case Hash::sha256:
    return "SHA2_256";
  case Hash::sha384:
    return "SHA2_384";
  case Hash::sha512:
    return "SHA2_512";
  }
  return "SHA2_256";
}

// ---- PKCS#8 -------------------------------------------------------------------------------

namespace detail {

Result<PrivateKey> make_private_key(PKey pkey) {
  auto algorithm = supported_algorithm(pkey.get());
  if (!algorithm)
    return std::move(algorithm.error());
  // EC and RSA key files carry the public part next to the private one and OpenSSL trusts it as
  // written: a file whose parts disagree (found by fuzzing) would make signatures that never
  // verify under the public key we derive from it. (Ed25519 derives its public key from the seed.)
  if (*algorithm != Algorithm::ed25519) {
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!ctx)
      return openssl_error(ErrorKind::internal, "checking the private key");
    if (EVP_PKEY_pairwise_check(ctx.get()) != 1)
      return openssl_error(ErrorKind::key, "invalid private key: its public part does not match "
                                           "its private part");
  }
  auto impl = std::make_unique<PrivateKey::Impl>();
  impl->pkey = std::move(pkey);
  impl->algorithm = *algorithm;
  return PrivateKey(std::move(impl));
}

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

// ---- generation and import -------------------------------------------------------------------

Result<PrivateKey> generate_ecdsa_p256() {
  detail::PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1)
    return detail::openssl_error(ErrorKind::internal, "generating an ECDSA P-256 key");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1)
    return detail::openssl_error(ErrorKind::internal, "generating an ECDSA P-256 key");
  return detail::make_private_key(detail::PKey(raw));
}

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
