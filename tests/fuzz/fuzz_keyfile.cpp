// Encrypted private key files (cosign's PEM around scrypt/secretbox JSON), which may come from
// anyone. check_encrypted_key_file runs on every input; decrypt_private_key runs on every input
// too, but scrypt only ever runs for inputs that passed the check, and only for a bounded share of
// them (scrypt takes 0.1-0.5 s; everything before it is cheap, and every N other than 32768, 65536
// or 131072 must be refused before it).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/secret.h"
#include "keys/keys.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;
using common::ErrorKind;

namespace {

// The password of the sigstore-rs vectors in the seed corpus, so that unmutated seeds decrypt
// and reach the PKCS#8 parser.
const common::SecretString& password() {
  static const common::SecretString pw(std::string("123"));
  return pw;
}

// At most 1 s of scrypt in every 10 s of fuzzing (always the first few inputs).
bool may_run_scrypt(std::chrono::steady_clock::duration spent) {
  static const auto start = std::chrono::steady_clock::now();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return spent < std::chrono::seconds(2) || spent * 10 < elapsed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::chrono::steady_clock::duration scrypt_time{};
  const auto contents = fuzz::as_view(data, size);

  auto checked = keys::check_encrypted_key_file(contents);
  if (!checked) {
    ISIGN_FUZZ_CHECK(checked.error().kind() == ErrorKind::key);
    ISIGN_FUZZ_CHECK(!checked.error().message().empty());
    // decrypt must refuse it the same way, before any scrypt work.
    const auto before = std::chrono::steady_clock::now();
    auto decrypted = keys::decrypt_private_key(contents, password());
    ISIGN_FUZZ_CHECK(!decrypted.ok());
    ISIGN_FUZZ_CHECK(decrypted.error().kind() == ErrorKind::key);
    ISIGN_FUZZ_CHECK(decrypted.error().message() == checked.error().message());
    ISIGN_FUZZ_CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(1));
    return 0;
  }

  if (!may_run_scrypt(scrypt_time))
    return 0;
  const auto before = std::chrono::steady_clock::now();
  auto key = keys::decrypt_private_key(contents, password());
  scrypt_time += std::chrono::steady_clock::now() - before;
  if (key) {
    // A key that decrypted is a usable key.
    auto signature = key->sign("fuzz");
    ISIGN_FUZZ_CHECK(signature.ok());
    ISIGN_FUZZ_CHECK(key->public_key().verify("fuzz", *signature));
  } else {
    const auto kind = key.error().kind();
    ISIGN_FUZZ_CHECK(kind == ErrorKind::password || kind == ErrorKind::key);
  }
  return 0;
}
