// Keys in memory: signing and verification for each algorithm, public key PEM, PEM import.
#include <catch2/catch.hpp>

#include <string>

#include "common/encoding.h"
#include "common/file.h"
#include "keys/keys.h"
#include "tests/support/pem.h"
#include "tests/unit/testdata.h"

using namespace isign;
using common::ErrorKind;
using isign::testing::pem_body;
using unit::testdata_file;

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string pem(const std::string& label, const std::string& der) {
  std::string b64 = common::base64_encode(der);
  std::string out = "-----BEGIN " + label + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64)
    out += b64.substr(i, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

// RFC 8032 section 7.1, TEST 1: secret key, public key, and the signature of the empty message.
constexpr std::string_view kRfc8032Seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfc8032Public =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfc8032Signature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
// PKCS#8 v1 around an Ed25519 seed (RFC 8410 section 7), and the SubjectPublicKeyInfo prefix.
constexpr std::string_view kEd25519Pkcs8Prefix = "302e020100300506032b657004220420";
constexpr std::string_view kEd25519SpkiPrefix = "302a300506032b6570032100";

keys::PrivateKey rfc8032_key() {
  auto key = keys::import_pem_private_key(
      pem("PRIVATE KEY", unhex(std::string(kEd25519Pkcs8Prefix) + std::string(kRfc8032Seed))));
  REQUIRE(key.ok());
  return std::move(*key);
}

} // namespace

TEST_CASE("Ed25519 signs pure Ed25519 exactly as RFC 8032", "[key]") {
  auto key = rfc8032_key();
  CHECK(key.algorithm() == keys::Algorithm::ed25519);
  CHECK(key.public_key_pem() ==
        pem("PUBLIC KEY", unhex(std::string(kEd25519SpkiPrefix) + std::string(kRfc8032Public))));
  auto sig = key.sign("");
  REQUIRE(sig.ok());
  CHECK(common::hex_encode(*sig) == kRfc8032Signature);
  CHECK(key.public_key().verify("", unhex(kRfc8032Signature)));
}

TEST_CASE("an Ed25519 PKCS#8 v2 key with a mismatching public key is refused", "[key]") {
  // OneAsymmetricKey version 1 (v2) with [1] publicKey: 32 bytes that are not the seed's key.
  std::string inner = unhex("020101300506032b657004220420") + unhex(kRfc8032Seed) +
                      unhex("812100") + std::string(32, '\x01');
  std::string der = "\x30" + std::string(1, static_cast<char>(inner.size())) + inner;
  auto key = keys::import_pem_private_key(pem("PRIVATE KEY", der));
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().kind() == ErrorKind::key);

  // The same with the right public key loads.
  inner = unhex("020101300506032b657004220420") + unhex(kRfc8032Seed) + unhex("812100") +
          unhex(kRfc8032Public);
  der = "\x30" + std::string(1, static_cast<char>(inner.size())) + inner;
  auto good = keys::import_pem_private_key(pem("PRIVATE KEY", der));
  REQUIRE(good.ok());
  CHECK(common::hex_encode(*good->sign("")) == kRfc8032Signature);
}

TEST_CASE("sign and verify, per algorithm, and malformed signatures are just false", "[key]") {
  struct Case {
    const char* name;
    const char* pem_file;
    keys::Algorithm algorithm;
  };
  const Case cases[] = {
      {"ecdsa", "keys/openssl/ec-p256-pkcs8.pem", keys::Algorithm::ecdsa_p256},
      {"rsa", "keys/openssl/rsa-2048-pkcs1.pem", keys::Algorithm::rsa},
      {"ed25519", "keys/openssl/ed25519-pkcs8.pem", keys::Algorithm::ed25519},
  };
  auto other = keys::generate_ecdsa_p256();
  REQUIRE(other.ok());
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto key = keys::import_pem_private_key(testdata_file(c.pem_file));
      REQUIRE(key.ok());
      CHECK(key->algorithm() == c.algorithm);
      auto pub = keys::PublicKey::from_pem(key->public_key_pem());
      REQUIRE(pub.ok());
      const std::string data = "{\"critical\":{}}";
      auto sig = key->sign(data);
      REQUIRE(sig.ok());
      CHECK(pub->verify(data, *sig));

      CHECK_FALSE(pub->verify(data + " ", *sig));
      CHECK_FALSE(pub->verify("", *sig));
      CHECK_FALSE(pub->verify(data, ""));
      CHECK_FALSE(pub->verify(data, sig->substr(0, sig->size() - 1)));
      CHECK_FALSE(pub->verify(data, *sig + std::string(1, '\0')));
      CHECK_FALSE(pub->verify(data, std::string(sig->size(), '\xff')));
      std::string flipped = *sig;
      flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
      CHECK_FALSE(pub->verify(data, flipped));
      CHECK_FALSE(other->public_key().verify(data, *sig));

      // A copy verifies the same; copies share the key.
      keys::PublicKey copy = *pub;
      CHECK(copy.verify(data, *sig));
      copy = other->public_key();
      CHECK_FALSE(copy.verify(data, *sig));
      CHECK(pub->verify(data, *sig));
    }
  }
}

TEST_CASE("ECDSA signatures are ASN.1 DER of SHA-256 and fresh each time", "[key]") {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key.ok());
  auto a = key->sign("payload");
  auto b = key->sign("payload");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() <= 72);
  CHECK(static_cast<unsigned char>((*a)[0]) == 0x30);
  CHECK(static_cast<unsigned char>((*a)[1]) == a->size() - 2);
  CHECK(*a != *b); // random k
  CHECK(key->public_key().verify("payload", *b));
}

TEST_CASE("PublicKey::from_pem round trips and refuses what is not a public key", "[key]") {
  for (const char* file :
       {"keys/podman-e2e/sigstore-key.pub", "keys/curves/ec-p384-pkcs8.pub",
        "keys/curves/ec-p521-pkcs8.pub", "keys/sigstore-rs/rsa_encrypted_private.derived.pub",
        "keys/sigstore-rs/ed25519_encrypted_private.derived.pub"}) {
    std::string text = testdata_file(file);
    auto pub = keys::PublicKey::from_pem(text);
    REQUIRE(pub.ok());
    CHECK(pub->pem() == text);
  }

  const std::pair<std::string, const char*> bad[] = {
      {testdata_file("keys/openssl/ec-p256-pkcs8.pem"),
       "this is a private key (PEM 'PRIVATE KEY')"},
      {testdata_file("keys/openssl/ec-p256-sec1.pem"), "this is a private key"},
      {testdata_file("keys/podman-e2e/sigstore-key.key"),
       "this is a private key (PEM 'ENCRYPTED COSIGN PRIVATE KEY')"},
      {testdata_file("keys/curves/ec-secp256k1.negative.pub"),
       "unsupported EC curve 'secp256k1' (supported: EC P-256, P-384, P-521, RSA, Ed25519)"},
      {pem("PUBLIC KEY", "garbage"), "malformed PUBLIC KEY"},
      {pem("PUBLIC KEY", ""), "malformed PUBLIC KEY"},
      {pem("CERTIFICATE", "x"), "unexpected PEM block 'CERTIFICATE'"},
      {"", "empty"},
      {"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", "not a PEM block"},
  };
  for (const auto& [text, message] : bad) {
    auto pub = keys::PublicKey::from_pem(text);
    REQUIRE_FALSE(pub.ok());
    CHECK(pub.error().kind() == ErrorKind::key);
    CHECK_THAT(pub.error().message(), Catch::Contains(message));
  }

  // Trailing bytes inside the DER are refused.
  auto der = common::base64_decode("MCowBQYDK2VwAyEA0wPx5IPYFxOgyXGhUUhHmLHxTyvSil4ZhGPi/Q6eKO0=");
  REQUIRE(der);
  auto trailing = keys::PublicKey::from_pem(pem("PUBLIC KEY", *der + "\x05"));
  REQUIRE_FALSE(trailing.ok());
  CHECK_THAT(trailing.error().message(), Catch::Contains("trailing"));
}

TEST_CASE("import_pem_private_key reads the PEM forms cosign imports", "[key]") {
  struct Case {
    const char* file;
    keys::Algorithm algorithm;
  };
  const Case cases[] = {
      {"openssl/ec-p256-sec1-with-params", keys::Algorithm::ecdsa_p256},
      {"openssl/ec-p256-sec1", keys::Algorithm::ecdsa_p256},
      {"openssl/ec-p256-pkcs8", keys::Algorithm::ecdsa_p256},
      {"openssl/ec-p384-sec1", keys::Algorithm::ecdsa_p384},
      {"curves/ec-p384-pkcs8", keys::Algorithm::ecdsa_p384},
      {"curves/ec-p521-sec1", keys::Algorithm::ecdsa_p521},
      {"curves/ec-p521-pkcs8", keys::Algorithm::ecdsa_p521},
      {"openssl/rsa-2048-pkcs1", keys::Algorithm::rsa},
      {"openssl/rsa-3072-pkcs8", keys::Algorithm::rsa},
      {"openssl/ed25519-pkcs8", keys::Algorithm::ed25519},
  };
  for (const auto& c : cases) {
    SECTION(c.file) {
      auto key =
          keys::import_pem_private_key(testdata_file(std::string("keys/") + c.file + ".pem"));
      INFO((key.ok() ? "" : key.error().message()));
      REQUIRE(key.ok());
      CHECK(key->algorithm() == c.algorithm);
      CHECK(key->public_key_pem() == testdata_file(std::string("keys/") + c.file + ".pub"));
      // Imported keys become ordinary encrypted keys.
      auto file =
          keys::encrypt_private_key(*key, common::SecretString("x"), keys::KeyFileFormat::legacy);
      REQUIRE(file.ok());
      auto back = keys::decrypt_private_key(*file, common::SecretString("x"));
      REQUIRE(back.ok());
      CHECK(back->public_key_pem() == key->public_key_pem());
    }
  }
}

TEST_CASE("import_pem_private_key refuses unsupported keys with a reason", "[key]") {
  std::string sec1_der = pem_body(testdata_file("keys/openssl/ec-p256-sec1.pem"));
  const std::pair<std::string, const char*> cases[] = {
      {testdata_file("keys/curves/ec-secp256k1-pkcs8.negative.pem"),
       "unsupported EC curve 'secp256k1' (supported: EC P-256, P-384, P-521, RSA, Ed25519)"},
      {testdata_file("keys/openssl/rsa-1024-pkcs1.negative.pem"),
       "unsupported RSA key of 1024 bits (at least 2048 are required)"},
      {testdata_file("keys/openssl/ec-p256-pkcs8-encrypted.negative.pem"),
       "password-protected PKCS#8"},
      {testdata_file("keys/podman-e2e/sigstore-key.key"), "already an encrypted cosign key"},
      {testdata_file("keys/podman-e2e/sigstore-key.pub"), "this is a public key"},
      {pem("PRIVATE KEY", sec1_der), "not PKCS#8: it is a SEC1 EC PRIVATE KEY"},
      {pem("EC PRIVATE KEY", "garbage"), "malformed EC PRIVATE KEY"},
      {pem("RSA PRIVATE KEY", sec1_der), "malformed RSA PRIVATE KEY"},
      {pem("PRIVATE KEY", "garbage"), "not PKCS#8"},
      {pem("OPENSSH PRIVATE KEY", "x"), "unsupported PEM block 'OPENSSH PRIVATE KEY'"},
      {"", "empty"},
      {"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
       "not a PEM block"},
  };
  for (const auto& [text, message] : cases) {
    auto key = keys::import_pem_private_key(text);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::key);
    CHECK_THAT(key.error().message(), Catch::Contains(message));
  }
}

// ---- curves and hashes -----------------------------------------------------------------------

TEST_CASE("default_hash pairs each key with sigstore's hash, named as protobuf-specs names it",
          "[key]") {
  struct Case {
    keys::Algorithm algorithm;
    keys::Hash hash;
    std::string_view name;
  };
  const Case cases[] = {
      {keys::Algorithm::ecdsa_p256, keys::Hash::sha256, "SHA2_256"},
      {keys::Algorithm::ecdsa_p384, keys::Hash::sha384, "SHA2_384"},
      {keys::Algorithm::ecdsa_p521, keys::Hash::sha512, "SHA2_512"},
      {keys::Algorithm::rsa, keys::Hash::sha256, "SHA2_256"},
      {keys::Algorithm::ed25519, keys::Hash::sha512, "SHA2_512"},
  };
  for (const auto& c : cases) {
    CHECK(keys::default_hash(c.algorithm) == c.hash);
    CHECK(keys::hash_name(keys::default_hash(c.algorithm)) == c.name);
  }
}

TEST_CASE("each key signs and verifies over its default hash, and only that hash", "[key]") {
  struct Case {
    const char* file; // under testdata/keys, without .pem
    keys::Algorithm algorithm;
  };
  const Case cases[] = {
      {"openssl/ec-p256-pkcs8", keys::Algorithm::ecdsa_p256},
      {"curves/ec-p384-pkcs8", keys::Algorithm::ecdsa_p384},
      {"curves/ec-p521-pkcs8", keys::Algorithm::ecdsa_p521},
      {"openssl/rsa-2048-pkcs1", keys::Algorithm::rsa},
      {"openssl/ed25519-pkcs8", keys::Algorithm::ed25519},
  };
  const keys::Hash all[] = {keys::Hash::sha256, keys::Hash::sha384, keys::Hash::sha512};
  const std::string data = "DSSEv1 28 application/vnd.in-toto+json 2 {}";
  for (const auto& c : cases) {
    SECTION(c.file) {
      auto key =
          keys::import_pem_private_key(testdata_file(std::string("keys/") + c.file + ".pem"));
      REQUIRE(key.ok());
      REQUIRE(key->algorithm() == c.algorithm);
      auto pub = keys::PublicKey::from_pem(testdata_file(std::string("keys/") + c.file + ".pub"));
      REQUIRE(pub.ok());
      CHECK(pub->algorithm() == c.algorithm);
      const keys::Hash hash = keys::default_hash(c.algorithm);
      auto sig = key->sign(data, hash);
      REQUIRE(sig.ok());
      CHECK(pub->verify(data, *sig, hash));
      CHECK(key->public_key().verify(data, *sig, hash));
      CHECK_FALSE(pub->verify(data + "!", *sig, hash));
      std::string flipped = *sig;
      flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
      CHECK_FALSE(pub->verify(data, flipped, hash));
      for (keys::Hash other : all) {
        INFO(keys::hash_name(other));
        // Ed25519 has no prehash: the hash argument does not change what it signs.
        bool expected = other == hash || c.algorithm == keys::Algorithm::ed25519;
        CHECK(pub->verify(data, *sig, other) == expected);
      }
      // The two-argument forms stay SHA-256, the legacy .sig format's hash for every key.
      CHECK(pub->verify(data, *sig) ==
            (hash == keys::Hash::sha256 || c.algorithm == keys::Algorithm::ed25519));
      auto legacy = key->sign(data);
      REQUIRE(legacy.ok());
      CHECK(pub->verify(data, *legacy, keys::Hash::sha256));
    }
  }
}

TEST_CASE("P-384 and P-521 signatures made by openssl dgst verify", "[key]") {
  struct Case {
    const char* key;
    const char* signature;
    keys::Hash hash;
  };
  const Case cases[] = {
      {"ec-p384-pkcs8", "ec-p384-pkcs8.message.sha384.sig.b64", keys::Hash::sha384},
      {"ec-p521-pkcs8", "ec-p521-pkcs8.message.sha512.sig.b64", keys::Hash::sha512},
  };
  const std::string message = testdata_file("keys/curves/message.txt");
  for (const auto& c : cases) {
    auto pub =
        keys::PublicKey::from_pem(testdata_file(std::string("keys/curves/") + c.key + ".pub"));
    REQUIRE(pub.ok());
    auto sig = common::base64_decode(testdata_file(std::string("keys/curves/") + c.signature));
    REQUIRE(sig);
    CHECK(pub->verify(message, *sig, c.hash));
    CHECK_FALSE(pub->verify(message, *sig, keys::Hash::sha256));
    CHECK_FALSE(pub->verify(message.substr(1), *sig, c.hash));
  }
}

TEST_CASE("public_key_hint is base64 of SHA-256 over the DER SubjectPublicKeyInfo", "[key]") {
  std::string text = testdata_file("keys/podman-e2e/sigstore-key.pub");
  auto pub = keys::PublicKey::from_pem(text);
  REQUIRE(pub.ok());
  CHECK(pub->der() == pem_body(text));
  CHECK(keys::public_key_hint(*pub) == "JprzPinTXg/RF3LluFeSDLEs9zGgYzm4agd2l7DIAEs=");

  // A private key's public half gives the hint of its .pub, whatever the curve.
  for (const char* file :
       {"openssl/ec-p256-pkcs8", "curves/ec-p384-pkcs8", "curves/ec-p521-pkcs8"}) {
    auto key = keys::import_pem_private_key(testdata_file(std::string("keys/") + file + ".pem"));
    REQUIRE(key.ok());
    auto from_file = keys::PublicKey::from_pem(testdata_file(std::string("keys/") + file + ".pub"));
    REQUIRE(from_file.ok());
    CHECK(key->public_key().der() == from_file->der());
    CHECK(keys::public_key_hint(key->public_key()) == keys::public_key_hint(*from_file));
    CHECK(keys::public_key_hint(*from_file).size() == 44);
  }
}
