// PEM and DER key material from users and key files: public keys (--key for verify), unencrypted
// private keys (import-key-pair) and the PKCS#8 DER inside a decrypted key file (whose author
// knows the password; the bytes are only as trustworthy as the file).
#include <cstddef>
#include <cstdint>
#include <string>

#include "keys/keys.h"
#include "keys/openssl_util.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;
using common::ErrorKind;

namespace {

void check_private_key(const common::Result<keys::PrivateKey>& key) {
  if (!key) {
    ISIGN_FUZZ_CHECK(!key.error().message().empty());
    return;
  }
  auto signature = key->sign("fuzz");
  ISIGN_FUZZ_CHECK(signature.ok());
  ISIGN_FUZZ_CHECK(key->public_key().verify("fuzz", *signature));
  // Its public key round-trips through PEM.
  auto pub = keys::PublicKey::from_pem(key->public_key_pem());
  ISIGN_FUZZ_CHECK(pub.ok());
  ISIGN_FUZZ_CHECK(pub->pem() == key->public_key_pem());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);

  if (auto pub = keys::PublicKey::from_pem(text)) {
    const std::string pem = pub->pem();
    auto again = keys::PublicKey::from_pem(pem);
    ISIGN_FUZZ_CHECK(again.ok());
    ISIGN_FUZZ_CHECK(again->pem() == pem);
    ISIGN_FUZZ_CHECK(again->algorithm() == pub->algorithm());
    // Garbage is never a valid signature (nor a crash).
    ISIGN_FUZZ_CHECK(!pub->verify("fuzz", text));
    ISIGN_FUZZ_CHECK(!pub->verify(text, ""));
  } else {
    ISIGN_FUZZ_CHECK(pub.error().kind() == ErrorKind::key);
  }

  check_private_key(keys::import_pem_private_key(text));
  check_private_key(keys::detail::parse_pkcs8_der(text));
  if (auto block = keys::detail::pem_decode(text))
    check_private_key(keys::detail::parse_pkcs8_der(block->der));
  return 0;
}
