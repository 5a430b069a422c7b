// The encrypted private key file shared with cosign (docs/formats.md section 1): PEM around JSON
// holding scrypt parameters, a nacl/secretbox nonce and the sealed PKCS#8 DER.
#include <sodium.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/encoding.h"
#include "common/secret.h"
#include "keys/keys.h"
#include "keys/openssl_util.h"

namespace isign::keys {

using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;

namespace {

constexpr std::string_view kSigstoreLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
constexpr std::string_view kCosignLabel = "ENCRYPTED COSIGN PRIVATE KEY";
constexpr std::size_t kSaltSize = 32;
constexpr std::size_t kKeySize = crypto_secretbox_KEYBYTES;
constexpr std::size_t kNonceSize = crypto_secretbox_NONCEBYTES;
constexpr std::size_t kTagSize = crypto_secretbox_MACBYTES;
constexpr std::uint32_t kScryptR = 8, kScryptP = 1;
// Larger than any real key file (an encrypted RSA-4096 key is about 3.4 KB).
constexpr std::size_t kMaxKeyFileSize = 1u << 20;

static_assert(kKeySize == 32 && kNonceSize == 24 && kTagSize == 16);

// The scrypt work factors a reader accepts. Anything else is refused before scrypt runs: an
// attacker-supplied N is a memory and CPU exhaustion vector.
bool accepted_n(std::int64_t n) {
  return n == 32768 || n == 65536 || n == 131072;
}

// A password-derived secretbox key, wiped when it goes out of scope.
struct DerivedKey {
  std::array<unsigned char, kKeySize> bytes{};
  ~DerivedKey() { common::secure_wipe(bytes.data(), bytes.size()); }
};

Result<void> init_sodium() {
  static const int rc = sodium_init(); // thread-safe; 1 means already initialised
  if (rc < 0)
    return make_error(ErrorKind::internal, "libsodium failed to initialise");
  return {};
}

Result<void> derive_key(const SecretString& password, std::string_view salt, std::uint64_t n,
                        DerivedKey* key) {
  if (crypto_pwhash_scryptsalsa208sha256_ll(
          reinterpret_cast<const std::uint8_t*>(password.str().data()), password.size(),
          reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size(), n, kScryptR, kScryptP,
          key->bytes.data(), key->bytes.size()) != 0)
    return make_error(ErrorKind::internal,
                      "scrypt key derivation failed (N=" + std::to_string(n) + ": out of memory?)");
  return {};
}

// Reads field name of object obj as a string; key error naming path when missing or not one.
Result<std::string> string_field(const nlohmann::json& obj, const char* name, const char* path) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string())
    return make_error(ErrorKind::key,
                      std::string("bad key file JSON: '") + path + "' is missing or not a string");
  return it->get<std::string>();
}

Result<const nlohmann::json*> object_field(const nlohmann::json& obj, const char* name,
                                           const char* path) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_object())
    return make_error(ErrorKind::key,
                      std::string("bad key file JSON: '") + path + "' is missing or not an object");
  return &*it;
}

// An integer scrypt parameter; std::nullopt-like -1 marks "absent or not an integer".
std::int64_t int_param(const nlohmann::json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_number_integer())
    return -1;
  if (it->is_number_unsigned()) {
    auto u = it->get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? -1 : static_cast<std::int64_t>(u);
  }
  return it->get<std::int64_t>();
}

std::string param_text(const nlohmann::json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end())
    return "missing";
  return it->dump();
}

// Everything the file says, checked and decoded, before any expensive work.
struct Envelope {
  std::string salt;
  std::string nonce;
  std::string ciphertext;
  std::uint64_t n = 0;
};

// The PEM body of an encrypted private key file (either label), or an error saying what the file
// is instead.
Result<std::string> encrypted_key_body(std::string_view file_contents) {
  if (file_contents.size() > kMaxKeyFileSize)
    return make_error(ErrorKind::key, "too large to be an encrypted private key (" +
                                          std::to_string(file_contents.size()) + " bytes)");
  auto block = detail::pem_decode(file_contents);
  ISIGN_TRY(block);
  if (block->label != kSigstoreLabel && block->label != kCosignLabel) {
    if (block->label == "PUBLIC KEY")
      return make_error(ErrorKind::key, "this is a public key (PEM 'PUBLIC KEY'), not an "
                                        "encrypted private key");
    std::string what = "unknown PEM label '" + block->label + "' (expected '" +
                       std::string(kSigstoreLabel) + "' or '" + std::string(kCosignLabel) + "')";
    if (block->label.find("PRIVATE KEY") != std::string::npos)
      what += "; an unencrypted private key must be imported first";
    return make_error(ErrorKind::key, std::move(what));
  }

  return std::move(block->der);
}

Result<Envelope> parse_envelope(std::string_view file_contents) {
  auto body = encrypted_key_body(file_contents);
  ISIGN_TRY(body);

  // nlohmann stops at a NUL byte as at the end of input: text after one would go unread.
  auto json = body->find('\0') == std::string::npos
                  ? nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false)
                  : nlohmann::json(nlohmann::json::value_t::discarded);
  if (json.is_discarded())
    return make_error(ErrorKind::key, "bad key file JSON: the PEM body is not valid JSON");
  if (!json.is_object())
    return make_error(ErrorKind::key, "bad key file JSON: expected an object with 'kdf', "
                                      "'cipher' and 'ciphertext'");
  auto kdf = object_field(json, "kdf", "kdf");
  if (!kdf)
    return std::move(kdf.error());
  auto kdf_name = string_field(**kdf, "name", "kdf.name");
  if (!kdf_name)
    return std::move(kdf_name.error());
  if (*kdf_name != "scrypt")
    return make_error(ErrorKind::key, "unsupported kdf '" + *kdf_name + "' (only scrypt)");
  auto params = object_field(**kdf, "params", "kdf.params");
  if (!params)
    return std::move(params.error());
  std::int64_t n = int_param(**params, "N"), r = int_param(**params, "r"),
               p = int_param(**params, "p");
  if (!accepted_n(n) || r != kScryptR || p != kScryptP)
    return make_error(ErrorKind::key, "unsupported kdf parameters N=" + param_text(**params, "N") +
                                          ", r=" + param_text(**params, "r") +
                                          ", p=" + param_text(**params, "p") +
                                          " (accepted: N=32768, 65536 or 131072 with r=8, p=1)");
  auto salt_b64 = string_field(**kdf, "salt", "kdf.salt");
  if (!salt_b64)
    return std::move(salt_b64.error());

  auto cipher = object_field(json, "cipher", "cipher");
  if (!cipher)
    return std::move(cipher.error());
  auto cipher_name = string_field(**cipher, "name", "cipher.name");
  if (!cipher_name)
    return std::move(cipher_name.error());
  if (*cipher_name != "nacl/secretbox")
    return make_error(ErrorKind::key,
                      "unsupported cipher '" + *cipher_name + "' (only nacl/secretbox)");
  auto nonce_b64 = string_field(**cipher, "nonce", "cipher.nonce");
  if (!nonce_b64)
    return std::move(nonce_b64.error());
  auto ct_b64 = string_field(json, "ciphertext", "ciphertext");
  if (!ct_b64)
    return std::move(ct_b64.error());

  Envelope env;
  env.n = static_cast<std::uint64_t>(n);
  auto salt = common::base64_decode(*salt_b64);
  if (!salt)
    return make_error(ErrorKind::key, "bad base64 in 'kdf.salt'");
  if (salt->size() != kSaltSize)
    return make_error(ErrorKind::key, "bad salt: " + std::to_string(salt->size()) +
                                          " bytes, expected " + std::to_string(kSaltSize));
  auto nonce = common::base64_decode(*nonce_b64);
  if (!nonce)
    return make_error(ErrorKind::key, "bad base64 in 'cipher.nonce'");
  if (nonce->size() != kNonceSize)
    return make_error(ErrorKind::key, "bad nonce: " + std::to_string(nonce->size()) +
                                          " bytes, expected " + std::to_string(kNonceSize));
  auto ct = common::base64_decode(*ct_b64);
  if (!ct)
    return make_error(ErrorKind::key, "bad base64 in 'ciphertext'");
  if (ct->size() <= kTagSize)
    return make_error(ErrorKind::key, "truncated ciphertext: " + std::to_string(ct->size()) +
                                          " bytes, not more than the " + std::to_string(kTagSize) +
                                          "-byte authentication tag");
  env.salt = std::move(*salt);
  env.nonce = std::move(*nonce);
  env.ciphertext = std::move(*ct);
  return env;
}

} // namespace

Result<void> check_encrypted_key_file(std::string_view file_contents) {
  auto env = parse_envelope(file_contents);
  if (!env)
    return std::move(env.error());
  return {};
}

Result<PrivateKey> decrypt_private_key(std::string_view file_contents,
                                       const SecretString& password) {
  auto env = parse_envelope(file_contents);
  if (!env)
    return std::move(env.error());
  if (auto s = init_sodium(); !s)
    return std::move(s.error());

  DerivedKey key;
  if (auto d = derive_key(password, env->salt, env->n, &key); !d)
    return std::move(d.error());
  SecretString plaintext(std::string(env->ciphertext.size() - kTagSize, '\0'));
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(plaintext.mut().data()),
          reinterpret_cast<const unsigned char*>(env->ciphertext.data()), env->ciphertext.size(),
          reinterpret_cast<const unsigned char*>(env->nonce.data()), key.bytes.data()) != 0)
    return make_error(ErrorKind::password, "incorrect password");
  return detail::parse_pkcs8_der(plaintext.str());
}

Result<std::string> encrypt_private_key(const PrivateKey& key, const SecretString& password,
                                        KeyFileFormat format) {
  if (auto s = init_sodium(); !s)
    return std::move(s.error());
  auto der = detail::pkcs8_der(key);
  if (!der)
    return std::move(der.error());
  SecretString plaintext(std::move(*der));

  const std::uint64_t n = format == KeyFileFormat::legacy ? 32768 : 65536;
  std::string salt(kSaltSize, '\0'), nonce(kNonceSize, '\0');
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());

  DerivedKey box_key;
  if (auto d = derive_key(password, salt, n, &box_key); !d)
    return std::move(d.error());
  std::string ciphertext(plaintext.size() + kTagSize, '\0');
  if (crypto_secretbox_easy(reinterpret_cast<unsigned char*>(ciphertext.data()),
                            reinterpret_cast<const unsigned char*>(plaintext.str().data()),
                            plaintext.size(), reinterpret_cast<const unsigned char*>(nonce.data()),
                            box_key.bytes.data()) != 0)
    return make_error(ErrorKind::internal, "nacl secretbox encryption failed");

  // Field order and compactness are those of cosign (go-securesystemslib's encrypted package);
  // base64 output needs no JSON escaping.
  std::string json = R"({"kdf":{"name":"scrypt","params":{"N":)" + std::to_string(n) +
                     R"(,"r":8,"p":1},"salt":")" + common::base64_encode(salt) +
                     R"("},"cipher":{"name":"nacl/secretbox","nonce":")" +
                     common::base64_encode(nonce) + R"("},"ciphertext":")" +
                     common::base64_encode(ciphertext) + R"("})";
  return detail::pem_encode(format == KeyFileFormat::legacy ? kCosignLabel : kSigstoreLabel, json);
}

} // namespace isign::keys
