// Adversarial tests of the stores' attestation rules: attest --replace by two signers at once
// must not remove each other's attestations, --replace on a registry that refuses DELETE, and
// hostile layers among the signer's own.
#include <catch2/catch.hpp>

#include <thread>

#include "common/digest.h"
#include "cosign/attestation.h"
#include "cosign/store.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;

namespace {

constexpr std::string_view kVuln = "https://cosign.sigstore.dev/attestation/vuln/v1";

std::string scan(int n) {
  auto s = cosign::make_attestation_statement(kRepo.str(), kImage, kVuln,
                                              R"({"scan":)" + std::to_string(n) + "}");
  REQUIRE(s);
  return *s;
}

cosign::NewSignature legacy(const keys::PrivateKey& key, const std::string& statement) {
  cosign::NewSignature sig;
  sig.format = cosign::Format::legacy;
  sig.kind = cosign::Kind::attestation;
  sig.predicate_type = std::string(kVuln);
  sig.payload =
      cosign::make_envelope(cosign::kInTotoPayloadType, statement, dsse_der(key, statement));
  return sig;
}

cosign::NewSignature bundled(const keys::PrivateKey& key, const std::string& statement) {
  auto sig = bundle_signature(key, key.public_key(), statement, cosign::Kind::attestation);
  sig.predicate_type = std::string(kVuln);
  return sig;
}

// The statements of the stored attestations of kImage that key signed.
std::vector<std::string> statements_by(FakeClient& client, cosign::SignatureStore& store,
                                       const keys::PublicKey& key) {
  auto found = store.find(cosign::Subject{kRepo, kImage, std::string(registry::kOciManifest), 321});
  REQUIRE(found);
  std::vector<std::string> out;
  for (const auto& l : found->layers) {
    std::string blob;
    {
      std::lock_guard lock(client.mu);
      blob = client.blobs.at(*l.digest);
    }
    std::optional<cosign::Envelope> e;
    if (l.format == cosign::Format::legacy) {
      auto parsed = cosign::parse_envelope_document(blob);
      REQUIRE(parsed);
      e = *parsed;
    } else {
      auto b = cosign::parse_bundle(blob);
      REQUIRE(b);
      e = *b->envelope;
    }
    if (key.verify(cosign::dsse_pae(e->payload_type, e->payload), e->signature,
                   keys::default_hash(key.algorithm())))
      out.push_back(e->payload);
  }
  return out;
}

// A registry that refuses DELETE (as distribution does unless deletes are enabled).
class NoDelete : public FakeClient {
public:
  common::Result<void> delete_manifest(const registry::Repository&, std::string_view) override {
    return common::make_error(ErrorKind::registry,
                              "DELETE: 405 Method Not Allowed (UNSUPPORTED: The operation is "
                              "unsupported.)");
  }
};

} // namespace

TEST_CASE("adversary: two signers replacing at once keep each other's attestations",
          "[adversary][attestation]") {
  for (auto format : {cosign::Format::legacy, cosign::Format::bundle}) {
    DYNAMIC_SECTION(cosign::format_name(format)) {
      FakeClient client;
      client.referrers_api = false;
      auto store = format == cosign::Format::legacy
                       ? cosign::make_tag_store(client, cosign::Kind::attestation)
                       : cosign::make_referrers_store(client, cosign::Kind::attestation);
      const cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};
      const auto a = new_key();
      const auto b = new_key();
      const auto a_pub = a.public_key();
      const auto b_pub = b.public_key();
      auto options_for = [](const keys::PublicKey& pub) {
        cosign::AttachOptions o;
        o.signer_key = &pub;
        o.replace = true;
        o.max_payload_size = cosign::kMaxAttestationSize;
        o.confirm_delay = std::chrono::milliseconds(1);
        o.unknown_outcome_window = std::chrono::milliseconds(50);
        return o;
      };
      const auto a_options = options_for(a_pub);
      const auto b_options = options_for(b_pub);
      constexpr int kRounds = 4;
      for (int round = 0; round < kRounds; ++round) {
        auto a_sig = format == cosign::Format::legacy ? legacy(a, scan(100 + round))
                                                      : bundled(a, scan(100 + round));
        auto b_sig = format == cosign::Format::legacy ? legacy(b, scan(200 + round))
                                                      : bundled(b, scan(200 + round));
        common::Result<cosign::AttachResult> ra = common::Error(ErrorKind::internal, "");
        common::Result<cosign::AttachResult> rb = common::Error(ErrorKind::internal, "");
        std::thread ta([&] { ra = store->attach(subject, a_sig, a_options); });
        std::thread tb([&] { rb = store->attach(subject, b_sig, b_options); });
        ta.join();
        tb.join();
        REQUIRE(ra);
        REQUIRE(rb);
        // Each signer's newest is there, whatever the other did.
        auto mine_a = statements_by(client, *store, a_pub);
        auto mine_b = statements_by(client, *store, b_pub);
        CHECK(std::count(mine_a.begin(), mine_a.end(), scan(100 + round)) == 1);
        CHECK(std::count(mine_b.begin(), mine_b.end(), scan(200 + round)) == 1);
      }
    }
  }
}

TEST_CASE("adversary: --replace on a registry that refuses DELETE", "[adversary][attestation]") {
  for (bool api : {false, true}) {
    DYNAMIC_SECTION((api ? "with" : "without") << " the referrers API") {
      NoDelete client;
      client.referrers_api = api;
      auto store = cosign::make_referrers_store(client, cosign::Kind::attestation);
      const cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};
      const auto key = new_key();
      const auto pub = key.public_key();
      cosign::AttachOptions options;
      options.signer_key = &pub;
      options.max_payload_size = cosign::kMaxAttestationSize;
      options.sleep = [](std::chrono::milliseconds) {};
      REQUIRE(store->attach(subject, bundled(key, scan(1)), options));
      options.replace = true;
      auto replaced = store->attach(subject, bundled(key, scan(2)), options);
      auto mine = statements_by(client, *store, pub);
      // The new one is stored either way.
      CHECK(std::count(mine.begin(), mine.end(), scan(2)) == 1);
      if (api) {
        // Still listed by the registry: said, with the registry's reason, never a silent pass.
        REQUIRE_FALSE(replaced);
        CHECK(replaced.error().kind() == ErrorKind::registry);
        CHECK_THAT(replaced.error().message(), Catch::Contains("405"));
        CHECK_THAT(replaced.error().message(), Catch::Contains("still lists it"));
      } else {
        // No longer listed in the fallback index: a note, and only the new one is found.
        REQUIRE(replaced);
        CHECK(replaced->replaced == 1);
        REQUIRE(replaced->notes.size() == 1);
        CHECK_THAT(replaced->notes[0], Catch::Contains("405"));
        CHECK(mine.size() == 1);
      }
    }
  }
}

TEST_CASE("adversary: --replace reads only the signer's own attestations, whatever else the .att "
          "holds",
          "[adversary][attestation]") {
  FakeClient client;
  auto store = cosign::make_tag_store(client, cosign::Kind::attestation);
  const cosign::Subject subject{kRepo, kImage};
  const auto key = new_key();
  const auto other = new_key();
  const auto pub = key.public_key();
  const auto other_pub = other.public_key();
  cosign::AttachOptions options;
  options.signer_key = &pub;
  options.max_payload_size = cosign::kMaxAttestationSize;
  options.sleep = [](std::chrono::milliseconds) {};
  cosign::AttachOptions other_options = options;
  other_options.signer_key = &other_pub;
  REQUIRE(store->attach(subject, legacy(key, scan(1)), options));
  // Another signer's attestations of the type, one a copy of my statement signed by them.
  REQUIRE(store->attach(subject, legacy(other, scan(1)), other_options));
  REQUIRE(store->attach(subject, legacy(other, scan(7)), other_options));
  options.replace = true;
  auto replaced = store->attach(subject, legacy(key, scan(2)), options);
  REQUIRE(replaced);
  CHECK(replaced->replaced == 1);
  CHECK(statements_by(client, *store, other_pub).size() == 2);
  auto mine = statements_by(client, *store, pub);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0] == scan(2));
}
