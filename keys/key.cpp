// Key objects: private and public keys, ECDSA, RSA and Ed25519 signing and verification, the
// hashes they use, and generating a key.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <utility>

#include "common/digest.h"
#include "common/encoding.h"
#include "keys/keys.h"
#include "keys/openssl_util.h"

namespace isign::keys {

using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::bytes;

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

namespace {

std::string joined(const std::vector<std::string_view>& parts) {
  std::size_t n = 0;
  for (auto p : parts)
    n += p.size();
  std::string out;
  out.reserve(n);
  for (auto p : parts)
    out += p;
  return out;
}

} // namespace

Result<std::string> PrivateKey::sign_parts(const std::vector<std::string_view>& parts,
                                           Hash hash) const {
  // Ed25519 signs the message itself, in one pass: no streaming interface.
  if (impl_->algorithm == Algorithm::ed25519)
    return sign(joined(parts), hash);
  detail::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx)
    return detail::openssl_error(ErrorKind::internal, "signing: out of memory");
  if (EVP_DigestSignInit(ctx.get(), nullptr, digest_for(impl_->algorithm, hash), nullptr,
                         impl_->pkey.get()) != 1)
    return detail::openssl_error(ErrorKind::key, "signing: cannot initialise the signer");
  for (auto p : parts)
    if (EVP_DigestSignUpdate(ctx.get(), p.data(), p.size()) != 1)
      return detail::openssl_error(ErrorKind::key, "signing failed");
  std::size_t len = 0;
  if (EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1)
    return detail::openssl_error(ErrorKind::key, "signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len) != 1)
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

bool PublicKey::verify_parts(const std::vector<std::string_view>& parts, std::string_view signature,
                             Hash hash) const {
  if (impl_->algorithm == Algorithm::ed25519)
    return verify(joined(parts), signature, hash);
  detail::MdCtx ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(impl_->algorithm, hash),
                                        nullptr, impl_->pkey.get()) == 1;
  for (auto p : parts)
    ok = ok && EVP_DigestVerifyUpdate(ctx.get(), p.data(), p.size()) == 1;
  ok = ok && EVP_DigestVerifyFinal(ctx.get(), bytes(signature), signature.size()) == 1;
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

// ---- making keys ------------------------------------------------------------------------------

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

} // namespace detail

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

} // namespace isign::keys
