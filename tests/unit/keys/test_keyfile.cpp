// The encrypted private key file: every shared vector, the exact layout we write, and every way a
// file can be malformed.
#include <catch2/catch.hpp>
#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/file.h"
#include "keys/keys.h"
#include "tests/support/pem.h"
#include "tests/unit/testdata.h"

using namespace isign;
using common::ErrorKind;
using common::SecretString;
using unit::testdata_file;

namespace {

SecretString pw(const std::string& s) {
  return SecretString(s);
}

// PEM exactly as cosign writes it, built independently of keys/.
std::string pem(const std::string& label, const std::string& body) {
  std::string b64 = common::base64_encode(body);
  std::string out = "-----BEGIN " + label + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64)
    out += b64.substr(i, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos); // every line ends with '\n'
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// The PEM body of a key file, base64-decoded.
std::string json_of(const std::string& file) {
  auto lines = lines_of(file);
  std::string b64;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r')
      line.pop_back(); // two vectors have CRLF lines
    b64 += line;
  }
  auto json = common::base64_decode(b64);
  REQUIRE(json.has_value());
  return *json;
}

struct Vector {
  const char* key;
  const char* password;
  const char* pub;
  keys::Algorithm algorithm;
  int n;
};

const Vector kVectors[] = {
    {"podman-e2e/sigstore-key.key", "sigstore pass", "podman-e2e/sigstore-key.pub",
     keys::Algorithm::ecdsa_p256, 32768},
    {"cosign-keys_test/pemcosignkey.key", "hello", "cosign-keys_test/pemcosignkey.derived.pub",
     keys::Algorithm::ecdsa_p256, 32768},
    {"cosign-keys_test/pemsigstorekey.key", "hello", "cosign-keys_test/pemsigstorekey.derived.pub",
     keys::Algorithm::ecdsa_p256, 32768},
    {"sigstore-rs/cosign_generated_encrypted_empty_private.key", "",
     "sigstore-rs/cosign_generated_encrypted_empty_private.derived.pub",
     keys::Algorithm::ecdsa_p256, 65536},
    {"sigstore-rs/ecdsa_encrypted_private.key", "123",
     "sigstore-rs/ecdsa_encrypted_private.derived.pub", keys::Algorithm::ecdsa_p256, 32768},
    {"sigstore-rs/rsa_encrypted_private.key", "123",
     "sigstore-rs/rsa_encrypted_private.derived.pub", keys::Algorithm::rsa, 32768},
    {"sigstore-rs/ed25519_encrypted_private.key", "123",
     "sigstore-rs/ed25519_encrypted_private.derived.pub", keys::Algorithm::ed25519, 32768},
};

// A valid legacy (N=32768) key file, generated once per test run, whose JSON tests mutate.
const std::string& sample_key_file() {
  static const std::string file = [] {
    auto key = keys::generate_ecdsa_p256();
    REQUIRE(key.ok());
    auto f = keys::encrypt_private_key(*key, pw("pw"), keys::KeyFileFormat::legacy);
    REQUIRE(f.ok());
    return *f;
  }();
  return file;
}

} // namespace

TEST_CASE("every shared key vector loads and its public key matches byte for byte", "[keyfile]") {
  for (const auto& v : kVectors) {
    SECTION(v.key) {
      auto key =
          keys::decrypt_private_key(testdata_file(std::string("keys/") + v.key), pw(v.password));
      INFO(v.key << ": " << (key.ok() ? "" : key.error().message()));
      REQUIRE(key.ok());
      CHECK(key->algorithm() == v.algorithm);
      std::string expected_pub = testdata_file(std::string("keys/") + v.pub);
      CHECK(key->public_key_pem() == expected_pub);
      CHECK(key->public_key().pem() == expected_pub);

      // The key signs, and the given public key file verifies what it signed.
      auto pub = keys::PublicKey::from_pem(expected_pub);
      REQUIRE(pub.ok());
      CHECK(pub->algorithm() == v.algorithm);
      auto sig = key->sign("payload bytes");
      REQUIRE(sig.ok());
      CHECK(pub->verify("payload bytes", *sig));
      CHECK_FALSE(pub->verify("payload bytez", *sig));
    }
  }
}

TEST_CASE("check_encrypted_key_file accepts every readable vector", "[keyfile]") {
  for (const auto& v : kVectors)
    CHECK(keys::check_encrypted_key_file(testdata_file(std::string("keys/") + v.key)).ok());
  // The SEC1 vector's envelope is fine: only decryption can tell what is inside.
  CHECK(keys::check_encrypted_key_file(
            testdata_file("keys/cosign-keys_test/pemcosigneckey.SEC1-plaintext.negative.key"))
            .ok());
}

TEST_CASE("the podman passphrase file's first line is the vector's password", "[keyfile]") {
  CHECK(testdata_file("keys/podman-e2e/sigstore-key.key.pass") == "sigstore pass\n");
}

TEST_CASE("the N value of every vector is what PROVENANCE.md says", "[keyfile]") {
  for (const auto& v : kVectors) {
    auto json = nlohmann::json::parse(json_of(testdata_file(std::string("keys/") + v.key)));
    CHECK(json["kdf"]["params"]["N"] == v.n);
  }
}

TEST_CASE("a wrong password is a password error, distinct from a corrupt file", "[keyfile]") {
  for (const char* path : {"keys/podman-e2e/sigstore-key.key",
                           "keys/sigstore-rs/cosign_generated_encrypted_empty_private.key",
                           "keys/sigstore-rs/rsa_encrypted_private.key"}) {
    auto key = keys::decrypt_private_key(testdata_file(path), pw("wrong password"));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::password);
    CHECK(key.error().message() == "incorrect password");
  }
  // An empty password is a password like any other.
  auto key =
      keys::decrypt_private_key(testdata_file("keys/cosign-keys_test/pemcosignkey.key"), pw(""));
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().kind() == ErrorKind::password);
}

TEST_CASE("a SEC1 plaintext is rejected: the key is not PKCS#8", "[keyfile]") {
  auto key = keys::decrypt_private_key(
      testdata_file("keys/cosign-keys_test/pemcosigneckey.SEC1-plaintext.negative.key"),
      pw("hello"));
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().kind() == ErrorKind::key);
  CHECK_THAT(key.error().message(), Catch::Contains("not PKCS#8") && Catch::Contains("SEC1"));
}

TEST_CASE("generate -> encrypt -> decrypt round trips in both formats", "[keyfile]") {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key.ok());
  CHECK(key->algorithm() == keys::Algorithm::ecdsa_p256);
  for (auto format : {keys::KeyFileFormat::sigstore, keys::KeyFileFormat::legacy}) {
    auto file = keys::encrypt_private_key(*key, pw("correct horse"), format);
    REQUIRE(file.ok());
    auto back = keys::decrypt_private_key(*file, pw("correct horse"));
    REQUIRE(back.ok());
    CHECK(back->public_key_pem() == key->public_key_pem());
    auto sig = back->sign("hello");
    REQUIRE(sig.ok());
    CHECK(key->public_key().verify("hello", *sig));

    auto wrong = keys::decrypt_private_key(*file, pw("correct horsE"));
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().kind() == ErrorKind::password);
  }
}

TEST_CASE("RSA and Ed25519 keys re-encrypt and load again", "[keyfile]") {
  for (const auto& v : {kVectors[5], kVectors[6]}) {
    auto key =
        keys::decrypt_private_key(testdata_file(std::string("keys/") + v.key), pw(v.password));
    REQUIRE(key.ok());
    auto file = keys::encrypt_private_key(*key, pw(""), keys::KeyFileFormat::sigstore);
    REQUIRE(file.ok());
    auto back = keys::decrypt_private_key(*file, pw(""));
    REQUIRE(back.ok());
    CHECK(back->algorithm() == v.algorithm);
    CHECK(back->public_key_pem() == testdata_file(std::string("keys/") + v.pub));
  }
}

TEST_CASE("P-384 and P-521 keys round trip through both key file layouts", "[keyfile]") {
  struct Case {
    const char* file; // under testdata/keys/curves, without .pem
    keys::Algorithm algorithm;
    keys::KeyFileFormat format;
  };
  const Case cases[] = {
      {"ec-p384-pkcs8", keys::Algorithm::ecdsa_p384, keys::KeyFileFormat::sigstore},
      {"ec-p384-pkcs8", keys::Algorithm::ecdsa_p384, keys::KeyFileFormat::legacy},
      {"ec-p521-pkcs8", keys::Algorithm::ecdsa_p521, keys::KeyFileFormat::legacy},
  };
  for (const auto& c : cases) {
    auto key =
        keys::import_pem_private_key(testdata_file(std::string("keys/curves/") + c.file + ".pem"));
    REQUIRE(key.ok());
    auto file = keys::encrypt_private_key(*key, pw("curve"), c.format);
    REQUIRE(file.ok());
    CHECK(keys::check_encrypted_key_file(*file).ok());
    auto back = keys::decrypt_private_key(*file, pw("curve"));
    REQUIRE(back.ok());
    CHECK(back->algorithm() == c.algorithm);
    CHECK(back->public_key_pem() == testdata_file(std::string("keys/curves/") + c.file + ".pub"));
    const keys::Hash hash = keys::default_hash(c.algorithm);
    auto sig = back->sign("statement", hash);
    REQUIRE(sig.ok());
    CHECK(key->public_key().verify("statement", *sig, hash));

    auto wrong = keys::decrypt_private_key(*file, pw("Curve"));
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().kind() == ErrorKind::password);
  }
}

namespace {

// An ENCRYPTED COSIGN PRIVATE KEY around plaintext, sealed with libsodium here (N=32768), so that
// keys/ can be shown a file its own writer would never make.
std::string seal_legacy_key_file(const std::string& plaintext, const std::string& password) {
  REQUIRE(sodium_init() >= 0);
  std::string salt(32, '\0'), nonce(crypto_secretbox_NONCEBYTES, '\0');
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  std::array<unsigned char, crypto_secretbox_KEYBYTES> box_key{};
  REQUIRE(crypto_pwhash_scryptsalsa208sha256_ll(
              reinterpret_cast<const std::uint8_t*>(password.data()), password.size(),
              reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size(), 32768, 8, 1,
              box_key.data(), box_key.size()) == 0);
  std::string sealed(plaintext.size() + crypto_secretbox_MACBYTES, '\0');
  REQUIRE(crypto_secretbox_easy(
              reinterpret_cast<unsigned char*>(sealed.data()),
              reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
              reinterpret_cast<const unsigned char*>(nonce.data()), box_key.data()) == 0);
  nlohmann::ordered_json json = {
      {"kdf",
       {{"name", "scrypt"},
        {"params", {{"N", 32768}, {"r", 8}, {"p", 1}}},
        {"salt", common::base64_encode(salt)}}},
      {"cipher", {{"name", "nacl/secretbox"}, {"nonce", common::base64_encode(nonce)}}},
      {"ciphertext", common::base64_encode(sealed)},
  };
  return pem("ENCRYPTED COSIGN PRIVATE KEY", json.dump());
}

} // namespace

TEST_CASE("an encrypted secp256k1 key is refused, naming the curve", "[keyfile]") {
  std::string pkcs8 =
      isign::testing::pem_body(testdata_file("keys/curves/ec-secp256k1-pkcs8.negative.pem"));
  auto key = keys::decrypt_private_key(seal_legacy_key_file(pkcs8, "k1"), pw("k1"));
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().kind() == ErrorKind::key);
  CHECK_THAT(key.error().message(),
             Catch::Contains("unsupported EC curve 'secp256k1' (supported: EC P-256, P-384, "
                             "P-521, RSA, Ed25519)"));

  // The same sealing around a P-384 key loads: the refusal is the curve's, not the sealing's.
  std::string p384 = isign::testing::pem_body(testdata_file("keys/curves/ec-p384-pkcs8.pem"));
  auto good = keys::decrypt_private_key(seal_legacy_key_file(p384, "k1"), pw("k1"));
  REQUIRE(good.ok());
  CHECK(good->algorithm() == keys::Algorithm::ecdsa_p384);
}

TEST_CASE("the written file has cosign's exact layout", "[keyfile]") {
  struct Case {
    keys::KeyFileFormat format;
    const char* label;
    int n;
  };
  for (const Case& c :
       {Case{keys::KeyFileFormat::sigstore, "ENCRYPTED SIGSTORE PRIVATE KEY", 65536},
        Case{keys::KeyFileFormat::legacy, "ENCRYPTED COSIGN PRIVATE KEY", 32768}}) {
    SECTION(c.label) {
      auto key = keys::generate_ecdsa_p256();
      REQUIRE(key.ok());
      auto file = keys::encrypt_private_key(*key, pw("pw"), c.format);
      REQUIRE(file.ok());

      // PEM: label lines, no headers, 64-character base64 lines, final newline.
      auto lines = lines_of(*file);
      REQUIRE(lines.size() >= 3);
      CHECK(lines.front() == std::string("-----BEGIN ") + c.label + "-----");
      CHECK(lines.back() == std::string("-----END ") + c.label + "-----");
      for (std::size_t i = 1; i + 2 < lines.size(); ++i)
        CHECK(lines[i].size() == 64);
      CHECK(lines[lines.size() - 2].size() >= 1);
      CHECK(lines[lines.size() - 2].size() <= 64);
      CHECK(file->back() == '\n');

      // JSON: compact, in cosign's field order, with the format's N.
      std::string json = json_of(*file);
      std::regex layout(R"re(\{"kdf":\{"name":"scrypt","params":\{"N":)re" + std::to_string(c.n) +
                        R"re(,"r":8,"p":1\},"salt":"([A-Za-z0-9+/=]+)"\},"cipher":\{"name":)re"
                        R"re("nacl/secretbox","nonce":"([A-Za-z0-9+/=]+)"\},"ciphertext":)re"
                        R"re("([A-Za-z0-9+/=]+)"\})re");
      std::smatch m;
      REQUIRE(std::regex_match(json, m, layout));
      auto salt = common::base64_decode(m[1].str());
      auto nonce = common::base64_decode(m[2].str());
      auto ct = common::base64_decode(m[3].str());
      REQUIRE(salt);
      REQUIRE(nonce);
      REQUIRE(ct);
      CHECK(salt->size() == 32);
      CHECK(nonce->size() == 24);
      CHECK(ct->size() == 16 + 138); // Poly1305 tag + PKCS#8 of a P-256 key

      // Decrypt independently of keys/ (libsodium scrypt + secretbox): the plaintext is PKCS#8.
      REQUIRE(sodium_init() >= 0);
      unsigned char k[32];
      REQUIRE(crypto_pwhash_scryptsalsa208sha256_ll(reinterpret_cast<const uint8_t*>("pw"), 2,
                                                    reinterpret_cast<const uint8_t*>(salt->data()),
                                                    salt->size(), static_cast<uint64_t>(c.n), 8, 1,
                                                    k, sizeof k) == 0);
      std::string plain(ct->size() - 16, '\0');
      REQUIRE(crypto_secretbox_open_easy(
                  reinterpret_cast<unsigned char*>(plain.data()),
                  reinterpret_cast<const unsigned char*>(ct->data()), ct->size(),
                  reinterpret_cast<const unsigned char*>(nonce->data()), k) == 0);
      CHECK(plain.size() == 138);
      CHECK(common::hex_encode(plain.substr(0, 8)) == "3081870201003013");
    }
  }
}

TEST_CASE("two encryptions of one key use fresh salt and nonce", "[keyfile]") {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key.ok());
  auto a = keys::encrypt_private_key(*key, pw("pw"), keys::KeyFileFormat::legacy);
  auto b = keys::encrypt_private_key(*key, pw("pw"), keys::KeyFileFormat::legacy);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto ja = nlohmann::json::parse(json_of(*a)), jb = nlohmann::json::parse(json_of(*b));
  CHECK(ja["kdf"]["salt"] != jb["kdf"]["salt"]);
  CHECK(ja["cipher"]["nonce"] != jb["cipher"]["nonce"]);
}

TEST_CASE("unsupported kdf and cipher settings are refused before scrypt runs", "[keyfile]") {
  auto base = nlohmann::ordered_json::parse(json_of(sample_key_file()));
  struct Case {
    const char* name;
    nlohmann::json::json_pointer pointer;
    nlohmann::ordered_json value;
    const char* message;
  };
  using ptr = nlohmann::json::json_pointer;
  // Huge parameters would take minutes and gigabytes if scrypt ran: the time check proves it did
  // not.
  const Case cases[] = {
      {"N too small", ptr("/kdf/params/N"), 16384, "unsupported kdf parameters N=16384, r=8, p=1"},
      {"N 2^20", ptr("/kdf/params/N"), 1 << 20, "unsupported kdf parameters N=1048576"},
      {"N 2^40", ptr("/kdf/params/N"), 1LL << 40, "unsupported kdf parameters N=1099511627776"},
      {"N not a power of two", ptr("/kdf/params/N"), 65535, "N=65535"},
      {"N negative", ptr("/kdf/params/N"), -65536, "N=-65536"},
      {"N a string", ptr("/kdf/params/N"), "65536", "N=\"65536\""},
      {"N a float", ptr("/kdf/params/N"), 65536.5, "N=65536.5"},
      {"N null", ptr("/kdf/params/N"), nullptr, "N=null"},
      {"r 16", ptr("/kdf/params/r"), 16, "unsupported kdf parameters N=32768, r=16, p=1"},
      {"r 2^20", ptr("/kdf/params/r"), 1 << 20, "r=1048576"},
      {"r 1", ptr("/kdf/params/r"), 1, "r=1"},
      {"p 2", ptr("/kdf/params/p"), 2, "p=2"},
      {"p 2^20", ptr("/kdf/params/p"), 1 << 20, "p=1048576"},
      {"p 0", ptr("/kdf/params/p"), 0, "p=0"},
      {"kdf pbkdf2", ptr("/kdf/name"), "pbkdf2", "unsupported kdf 'pbkdf2' (only scrypt)"},
      {"kdf Scrypt", ptr("/kdf/name"), "Scrypt", "unsupported kdf 'Scrypt'"},
      {"cipher aes", ptr("/cipher/name"), "aes-256-gcm", "unsupported cipher 'aes-256-gcm'"},
      {"salt 16 bytes", ptr("/kdf/salt"), common::base64_encode(std::string(16, 'x')),
       "bad salt: 16 bytes, expected 32"},
      {"salt empty", ptr("/kdf/salt"), "", "bad salt: 0 bytes, expected 32"},
      {"salt not base64", ptr("/kdf/salt"), "!!!!", "bad base64 in 'kdf.salt'"},
      {"salt a number", ptr("/kdf/salt"), 7, "'kdf.salt' is missing or not a string"},
      {"nonce 12 bytes", ptr("/cipher/nonce"), common::base64_encode(std::string(12, 'x')),
       "bad nonce: 12 bytes, expected 24"},
      {"nonce not base64", ptr("/cipher/nonce"), "a b", "bad base64 in 'cipher.nonce'"},
      {"ciphertext empty", ptr("/ciphertext"), "", "truncated ciphertext: 0 bytes"},
      {"ciphertext only a tag", ptr("/ciphertext"), common::base64_encode(std::string(16, 'x')),
       "truncated ciphertext: 16 bytes"},
      {"ciphertext not base64", ptr("/ciphertext"), "%%%%", "bad base64 in 'ciphertext'"},
      {"ciphertext an array", ptr("/ciphertext"), nlohmann::ordered_json::array(),
       "'ciphertext' is missing or not a string"},
      {"kdf a string", ptr("/kdf"), "scrypt", "'kdf' is missing or not an object"},
      {"params missing", ptr("/kdf/params"), nullptr, "'kdf.params' is missing or not an object"},
      {"cipher null", ptr("/cipher"), nullptr, "'cipher' is missing or not an object"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto json = base;
      json[c.pointer] = c.value;
      auto start = std::chrono::steady_clock::now();
      auto key =
          keys::decrypt_private_key(pem("ENCRYPTED COSIGN PRIVATE KEY", json.dump()), pw("pw"));
      auto elapsed = std::chrono::steady_clock::now() - start;
      auto checked =
          keys::check_encrypted_key_file(pem("ENCRYPTED COSIGN PRIVATE KEY", json.dump()));
      REQUIRE_FALSE(checked.ok());
      CHECK(checked.error().message() == key.error().message());
      REQUIRE_FALSE(key.ok());
      CHECK(key.error().kind() == ErrorKind::key);
      CHECK_THAT(key.error().message(), Catch::Contains(c.message));
      CHECK(elapsed < std::chrono::milliseconds(500));
    }
  }
}

TEST_CASE("missing JSON fields are named", "[keyfile]") {
  auto base = nlohmann::ordered_json::parse(json_of(sample_key_file()));
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"kdf"}, "'kdf' is missing"},
      {{"cipher"}, "'cipher' is missing"},
      {{"ciphertext"}, "'ciphertext' is missing"},
      {{"kdf", "name"}, "'kdf.name' is missing"},
      {{"kdf", "salt"}, "'kdf.salt' is missing"},
      {{"cipher", "name"}, "'cipher.name' is missing"},
      {{"cipher", "nonce"}, "'cipher.nonce' is missing"},
      {{"kdf", "params", "N"}, "N=missing"},
  };
  for (const auto& [path, message] : cases) {
    auto json = base;
    auto* obj = &json;
    for (std::size_t i = 0; i + 1 < path.size(); ++i)
      obj = &(*obj)[path[i]];
    obj->erase(path.back());
    auto key =
        keys::decrypt_private_key(pem("ENCRYPTED COSIGN PRIVATE KEY", json.dump()), pw("pw"));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::key);
    CHECK_THAT(key.error().message(), Catch::Contains(message));
  }
}

TEST_CASE("malformed key files give clear key errors", "[keyfile]") {
  const std::string& good = sample_key_file();
  auto lines = lines_of(good);
  std::string body_only;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i)
    body_only += lines[i] + "\n";
  std::string bad_b64 = good;
  bad_b64[lines[0].size() + 5] = '*';

  const std::pair<std::string, const char*> cases[] = {
      {"", "empty"},
      {"\n \n", "empty"},
      {"hello world\n", "not a PEM block"},
      {body_only, "not a PEM block"},
      {good.substr(0, good.size() / 2), "truncated PEM block"},
      {good.substr(0, lines[0].size()), "truncated PEM block"},
      {lines[0] + "\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "does not match"},
      {bad_b64, "bad base64"},
      {pem("EC PRIVATE KEY", "x"), "unknown PEM label 'EC PRIVATE KEY'"},
      {pem("FOO", "x"), "unknown PEM label 'FOO'"},
      {testdata_file("keys/podman-e2e/sigstore-key.pub"), "this is a public key"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", "not json"), "not valid JSON"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", ""), "not valid JSON"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", "{\"kdf\":"), "not valid JSON"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", "[1,2]"), "expected an object"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", "\"kdf\""), "expected an object"},
      {pem("ENCRYPTED SIGSTORE PRIVATE KEY", "{}"), "'kdf' is missing"},
      {"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n"
       "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
       "PEM headers"},
      {std::string(2u << 20, 'A'), "too large"},
  };
  for (const auto& [text, message] : cases) {
    auto key = keys::decrypt_private_key(text, pw("pw"));
    INFO("input starts: " << text.substr(0, 80));
    CHECK_FALSE(keys::check_encrypted_key_file(text).ok());
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::key);
    CHECK_THAT(key.error().message(), Catch::Contains(message));
  }
}

TEST_CASE("every truncation of a key file is a key error, never a crash", "[keyfile]") {
  const std::string& good = sample_key_file();
  for (std::size_t len = 0; len + 1 < good.size(); ++len) {
    auto key = keys::decrypt_private_key(good.substr(0, len), pw("pw"));
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().kind() == ErrorKind::key);
  }
  // Only the final newline is optional.
  CHECK(keys::decrypt_private_key(good.substr(0, good.size() - 1), pw("pw")).ok());
}

TEST_CASE("a key file with text around the PEM block and CRLF line ends still loads", "[keyfile]") {
  std::string crlf;
  for (char c : sample_key_file()) {
    if (c == '\n')
      crlf += '\r';
    crlf += c;
  }
  CHECK(keys::decrypt_private_key("comment line\n" + crlf + "trailing\n", pw("pw")).ok());
}

TEST_CASE("a tampered ciphertext fails authentication like a wrong password", "[keyfile]") {
  auto json = nlohmann::ordered_json::parse(json_of(sample_key_file()));
  auto ct = common::base64_decode(json["ciphertext"].get<std::string>());
  REQUIRE(ct);
  (*ct)[20] = static_cast<char>((*ct)[20] ^ 1);
  json["ciphertext"] = common::base64_encode(*ct);
  auto key = keys::decrypt_private_key(pem("ENCRYPTED COSIGN PRIVATE KEY", json.dump()), pw("pw"));
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().kind() == ErrorKind::password);
}
