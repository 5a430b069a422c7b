// What the cosign store tests share over the in-memory registry: kImage's referrers index tag, a
// new signing key, and a bundle-format signature of a statement as sign and attest make it.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "tests/support/fake_registry.h"

namespace isign::testing {

// The tag of kImage's referrers index (the fallback without a referrers API): "sha256-<hex>".
inline const std::string kIndexTag = "sha256-" + std::string(64, 'a');

inline keys::PrivateKey new_key() {
  auto k = keys::generate_ecdsa_p256();
  REQUIRE(k);
  return std::move(*k);
}

// key's DSSE signature over statement (an in-toto statement), as DER.
inline std::string dsse_der(const keys::PrivateKey& key, const std::string& statement) {
  auto der = key.sign(cosign::dsse_pae(cosign::kInTotoPayloadType, statement),
                      keys::default_hash(key.algorithm()));
  REQUIRE(der);
  return *der;
}

// A bundle-format signature of kind over statement: signed by key, its bundle naming pub.
inline cosign::NewSignature bundle_signature(const keys::PrivateKey& key,
                                             const keys::PublicKey& pub,
                                             const std::string& statement,
                                             cosign::Kind kind = cosign::Kind::signature) {
  const std::string der = dsse_der(key, statement);
  cosign::NewSignature sig;
  sig.format = cosign::Format::bundle;
  sig.kind = kind;
  sig.payload = statement;
  sig.signature = common::base64_encode(der);
  sig.bundle = cosign::make_dsse_bundle(keys::public_key_hint(pub), statement, der);
  return sig;
}

} // namespace isign::testing
