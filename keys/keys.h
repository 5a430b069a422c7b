// Key pairs: generation, the encrypted private key file format shared with cosign, public keys,
// signing and signature verification. OpenSSL and libsodium stay inside keys/*.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/secret.h"

namespace isign::keys {

enum class Algorithm { ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa, ed25519 };

// The message digest an ECDSA or RSA signature is computed over.
enum class Hash { sha256, sha384, sha512 };

// The hash sigstore pairs with a key for DSSE and blob signatures (sigstore/sigstore
// GetDefaultPublicKeyDetails): P-256 SHA-256, P-384 SHA-384, P-521 SHA-512, RSA SHA-256. Ed25519
// signs the message itself; for it this returns sha512, which signing ignores.
Hash default_hash(Algorithm algorithm) noexcept;

// The protobuf-specs HashAlgorithm name: "SHA2_256", "SHA2_384" or "SHA2_512".
std::string_view hash_name(Hash hash) noexcept;

// The raw digest of data under hash (32, 48 or 64 bytes).
std::string digest(Hash hash, std::string_view data);

// Which encrypted-key layout to write (reading accepts every layout of docs/formats.md section 1).
enum class KeyFileFormat {
  sigstore, // "ENCRYPTED SIGSTORE PRIVATE KEY", scrypt N=65536 (cosign >= 2.2)
  legacy, // "ENCRYPTED COSIGN PRIVATE KEY", scrypt N=32768 (containers/image 5.23, podman, skopeo)
};

class PublicKey;

// A private key held in memory. Move-only; the key material is freed by OpenSSL on destruction.
class PrivateKey {
public:
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  Algorithm algorithm() const noexcept;
  // Signs SHA-256(data): ECDSA -> ASN.1 DER; RSA -> PKCS#1 v1.5; Ed25519 -> pure Ed25519 over data.
  // The legacy .sig format signs SHA-256 whatever the key.
  common::Result<std::string> sign(std::string_view data) const;
  // The same over hash(data) for ECDSA and RSA; Ed25519 ignores hash and signs data itself.
  common::Result<std::string> sign(std::string_view data, Hash hash) const;
  // sign(data, hash) of data = the parts one after another, without joining them (a DSSE
  // pre-authentication encoding's head and a payload of tens of MB).
  common::Result<std::string> sign_parts(const std::vector<std::string_view>& parts,
                                         Hash hash) const;
  // PEM "PUBLIC KEY" (SubjectPublicKeyInfo), 64-char lines, trailing newline.
  std::string public_key_pem() const;
  PublicKey public_key() const;

  struct Impl;
  explicit PrivateKey(std::unique_ptr<Impl> impl);
  const Impl& impl() const noexcept { return *impl_; }

private:
  std::unique_ptr<Impl> impl_;
};

// A public key (ECDSA P-256, P-384 or P-521, RSA or Ed25519). Copyable (reference counted inside
// OpenSSL).
class PublicKey {
public:
  PublicKey(const PublicKey&);
  PublicKey& operator=(const PublicKey&);
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  // Parses a PEM "PUBLIC KEY". Key error if it is not one (e.g. a private key was given).
  static common::Result<PublicKey> from_pem(std::string_view pem);

  Algorithm algorithm() const noexcept;
  // True when signature (DER for ECDSA) is a valid signature of data under this key, using the
  // same scheme as PrivateKey::sign. Never throws; malformed signatures are simply false.
  bool verify(std::string_view data, std::string_view signature) const;
  // The same with the signature over hash(data) (ignored for Ed25519, which verifies data itself).
  bool verify(std::string_view data, std::string_view signature, Hash hash) const;
  // verify(data, signature, hash) of data = the parts one after another, without joining them.
  bool verify_parts(const std::vector<std::string_view>& parts, std::string_view signature,
                    Hash hash) const;
  std::string pem() const;
  // The DER SubjectPublicKeyInfo (the body of pem()).
  std::string der() const;

  struct Impl;
  explicit PublicKey(std::unique_ptr<Impl> impl);

private:
  std::unique_ptr<Impl> impl_;
};

// The sigstore bundle's verificationMaterial.publicKey.hint: standard padded base64 of SHA-256
// over key's DER SubjectPublicKeyInfo (docs/formats.md section 10).
std::string public_key_hint(const PublicKey& key);

// A fresh ECDSA P-256 key.
common::Result<PrivateKey> generate_ecdsa_p256();

// The encrypted private key file (PEM) for key under password, in the given layout.
common::Result<std::string> encrypt_private_key(const PrivateKey& key,
                                                const common::SecretString& password,
                                                KeyFileFormat format);

// Reads an encrypted private key file's contents. Errors: ErrorKind::password for a wrong
// password; ErrorKind::key for a corrupt, truncated or unsupported file (bad PEM, JSON, kdf
// parameters outside docs/formats.md, SEC1 plaintext), each with a message saying which.
common::Result<PrivateKey> decrypt_private_key(std::string_view file_contents,
                                               const common::SecretString& password);

// Checks, without a password and without running scrypt, that file_contents is an encrypted key
// file decrypt_private_key accepts (PEM label, JSON, kdf and cipher parameters, sizes). Same key
// errors as decrypt_private_key; lets callers reject a corrupt file before asking for a password.
common::Result<void> check_encrypted_key_file(std::string_view file_contents);

// Imports an unencrypted PEM private key (EC P-256, P-384 or P-521 as SEC1 or PKCS#8, RSA,
// Ed25519). Other curves are a key error naming the curve.
common::Result<PrivateKey> import_pem_private_key(std::string_view pem);

} // namespace isign::keys
