// verify_blob_bundle against a bundle another implementation wrote: sigstore-go's key-signed
// messageSignature test vector (testdata/PROVENANCE.md, bundles/sigstore-go).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "cosign/bundle.h"
#include "keys/keys.h"
#include "tests/unit/testdata.h"
#include "verify/blob.h"

using namespace isign;
using common::ErrorKind;
using unit::testdata_file;

namespace {

const std::string kDir = "bundles/sigstore-go/";

keys::PublicKey public_key_file(const std::string& relative) {
  auto key = keys::PublicKey::from_pem(testdata_file(relative));
  REQUIRE(key);
  return *key;
}

} // namespace

TEST_CASE("verify_blob_bundle: sigstore-go's key-signed bundle v0.3 verifies", "[verify][blob]") {
  const std::string bundle = testdata_file(kDir + "public-key-validity.sigstore.json");
  const std::string artifact = testdata_file(kDir + "public-key-validity.artifact.txt");
  const keys::PublicKey key = public_key_file(kDir + "public-key-validity.pem");

  auto parsed = cosign::parse_bundle(bundle);
  REQUIRE(parsed);
  CHECK(parsed->media_type == cosign::kBundleMediaType);
  CHECK(parsed->hint == keys::public_key_hint(key));
  CHECK_FALSE(parsed->envelope);
  REQUIRE(parsed->message);
  CHECK(parsed->message->algorithm == "SHA2_256");
  CHECK(parsed->tlog_entries == 0);

  auto ok = verify::verify_blob_bundle(bundle, artifact, {key});
  INFO((ok ? std::string() : ok.error().message()));
  REQUIRE(ok);
  CHECK(*ok == 0);

  SECTION("the right key second among several") {
    auto other = public_key_file("keys/openssl/ec-p256-pkcs8.pub");
    auto two = verify::verify_blob_bundle(bundle, artifact, {other, key});
    REQUIRE(two);
    CHECK(*two == 1);
  }
  SECTION("another file fails") {
    auto bad = verify::verify_blob_bundle(bundle, artifact + "\n", {key});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind() == ErrorKind::verification);
  }
  SECTION("another key fails") {
    auto bad = verify::verify_blob_bundle(bundle, artifact,
                                          {public_key_file("keys/openssl/ec-p256-pkcs8.pub")});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind() == ErrorKind::verification);
  }
  SECTION("the bare signature verifies as --signature would") {
    auto sig = verify::verify_blob_signature(common::base64_encode(parsed->message->signature),
                                             artifact, {key});
    REQUIRE(sig);
  }
}
