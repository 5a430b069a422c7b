// Making the signature of an image: the payload signed with the key.
#include <catch2/catch.hpp>

#include <string>

#include "common/encoding.h"
#include "cosign/payload.h"
#include "keys/keys.h"
#include "sign/signer.h"

using namespace isign;

namespace {

constexpr std::string_view kDigest =
    "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";

} // namespace

TEST_CASE("sign_payload: base64 DER that the public key verifies", "[payload]") {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key);
  auto payload = cosign::make_payload("reg.example/app", kDigest);
  REQUIRE(payload);
  auto signature = sign::sign_payload(*key, *payload);
  REQUIRE(signature);
  auto der = common::base64_decode(*signature);
  REQUIRE(der);
  CHECK(static_cast<unsigned char>((*der)[0]) == 0x30); // ASN.1 SEQUENCE
  CHECK(key->public_key().verify(*payload, *der));
  CHECK_FALSE(key->public_key().verify(*payload + " ", *der));
}

TEST_CASE("sign_image: cosign's payload for the subject, signed with the key", "[signer]") {
  auto key = keys::generate_ecdsa_p256();
  REQUIRE(key);
  registry::Repository repo;
  repo.registry = "reg.example";
  repo.name = "team/app";
  auto sig = sign::sign_image(*key, {repo, std::string(kDigest)}, {{"env", "prod"}});
  REQUIRE(sig);
  auto want = cosign::make_payload(repo.str(), kDigest, {{"env", "prod"}});
  REQUIRE(want);
  CHECK(sig->payload == *want);
  auto der = common::base64_decode(sig->signature);
  REQUIRE(der);
  CHECK(key->public_key().verify(sig->payload, *der));
  CHECK_FALSE(sign::sign_image(*key, {repo, "sha256:abc"}));
}
