// attach_signature's read-modify-write loop against an in-memory registry with scripted faults
// and an injected sleep: no network, no real waiting, every step observable.
#include <catch2/catch.hpp>

#include <functional>
#include <map>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/signature_manifest.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

const std::string kTag = "sha256-" + std::string(64, 'a') + ".sig";

struct Signer {
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();
  cosign::NewSignature sign(const std::string& payload) {
    auto s = key.sign(payload);
    REQUIRE(s);
    return {payload, common::base64_encode(*s)};
  }
};

struct Scene {
  FakeClient client;
  Signer signer;
  std::vector<std::chrono::milliseconds> waits;
  cosign::AttachOptions options;
  Scene() {
    options.signer_key = &signer.pub;
    options.sleep = [this](std::chrono::milliseconds ms) { waits.push_back(ms); };
  }
  Result<cosign::AttachResult> attach(const cosign::NewSignature& sig) {
    return cosign::make_tag_store(client)->attach({kRepo, kImage}, sig, options);
  }
  std::size_t layers() const {
    const auto& m = client.tags.at(kTag);
    std::size_t n = 0;
    for (auto p = m.find("simplesigning"); p != std::string::npos;
         p = m.find("simplesigning", p + 1))
      ++n;
    return n;
  }
};

} // namespace

TEST_CASE("attach: a first signature creates the artifact after confirming the 404", "[signer]") {
  Scene s;
  auto r = s.attach(s.signer.sign("payload-1"));
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::created);
  CHECK(s.layers() == 1);
  CHECK(s.waits.size() >= 2); // the pause before the second read, the settle before read-back
}

TEST_CASE("attach: one 404 for an existing artifact extends it", "[signer]") {
  Scene s;
  REQUIRE(s.attach(s.signer.sign("payload-1")));
  Signer other;
  s.options.signer_key = &other.pub;
  const int before = s.client.gets;
  s.client.on_get = [before](int n) -> std::optional<common::Error> {
    if (n == before + 1)
      return make_error(ErrorKind::not_found, "cached 404");
    return std::nullopt;
  };
  auto r = s.attach(other.sign("payload-2"));
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::attached);
  CHECK(s.layers() == 2);
}

TEST_CASE("attach: a tag the list has but GET denies is never replaced", "[signer]") {
  Scene s;
  s.client.list_has_tag = true;
  s.client.on_get = [](int) { return std::optional(make_error(ErrorKind::not_found, "404")); };
  auto r = s.attach(s.signer.sign("payload"));
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == ErrorKind::registry);
  CHECK(s.client.puts == 0);
}

TEST_CASE("attach: a PUT stored but answered 500 is attached, with a note", "[signer]") {
  Scene s;
  s.client.on_put = [](int n) {
    return std::pair{
        n == 1 ? std::optional(make_error(ErrorKind::registry, "PUT: 500").with_http_status(500))
               : std::nullopt,
        true};
  };
  auto r = s.attach(s.signer.sign("payload"));
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::attached);
  REQUIRE(r->notes.size() == 1);
  CHECK_THAT(r->notes[0], Catch::Contains("but had stored it"));
  CHECK(s.client.puts == 1);
}

TEST_CASE("attach: a registry that acknowledges PUTs without storing them is named", "[signer]") {
  Scene s;
  REQUIRE(s.attach(s.signer.sign("payload-1")));
  Signer other;
  s.options.signer_key = &other.pub;
  s.client.on_put = [](int) { return std::pair{std::optional<common::Error>(), false}; };
  auto r = s.attach(other.sign("payload-2"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains("does not store"));
  CHECK(s.client.puts == 1 + s.options.max_attempts);
}

TEST_CASE("attach: an abandoned PUT that lands late is undone", "[signer]") {
  Scene s;
  REQUIRE(s.attach(s.signer.sign("payload-0")));
  const std::string base = s.client.tags.at(kTag);
  Signer a, b;
  s.options.signer_key = &a.pub;
  std::string abandoned;
  const int first_put = s.client.puts + 1;
  s.client.on_put = [&](int n) {
    if (n == first_put) { // times out; the registry has not stored it yet
      return std::pair{std::optional(make_error(ErrorKind::network, "timed out")), false};
    }
    return std::pair{std::optional<common::Error>(), true};
  };
  // Keep what the abandoned PUT sent: the same bytes as the retry, built on the same base.
  int polls = 0;
  const auto sig_a = a.sign("payload-a");
  s.options.sleep = [&](std::chrono::milliseconds ms) {
    s.waits.push_back(ms);
    if (ms != s.options.poll_interval)
      return;
    ++polls;
    if (polls == 2 || polls == 3) { // other signers write
      Scene other_scene;
      other_scene.client.tags = s.client.tags;
      other_scene.client.blobs = s.client.blobs;
      other_scene.options.signer_key = &b.pub;
      REQUIRE(other_scene.attach(b.sign("payload-b" + std::to_string(polls))));
      s.client.tags = other_scene.client.tags;
      s.client.blobs = other_scene.client.blobs;
    }
    if (polls == 4) { // the abandoned PUT lands: the base plus A's layer, B's layer gone
      auto existing = cosign::parse_existing_artifact(base);
      REQUIRE(existing);
      auto config = s.client.blobs.at(existing->config.digest);
      auto late = cosign::extend_signature_artifact(*existing, config, sig_a);
      REQUIRE(late);
      s.client.tags[kTag] = late->manifest;
    }
  };
  auto r = s.attach(sig_a);
  REQUIRE(r);
  CHECK(polls >= 5);
  CHECK(s.layers() == 4); // base, A and both of B's: what the late PUT erased was put back
  REQUIRE_FALSE(r->notes.empty());
  CHECK_THAT(r->notes.back(), Catch::Contains("were put back"));
}

TEST_CASE("attach: a layer whose payload blob is gone is repaired", "[signer]") {
  Scene s;
  auto sig = s.signer.sign("payload");
  REQUIRE(s.attach(sig));
  s.client.blobs.erase(common::sha256_digest("payload"));
  auto again = s.signer.sign("payload");
  auto r = s.attach(again);
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::repaired);
  CHECK(s.client.blobs.count(common::sha256_digest("payload")) == 1);
  CHECK(s.layers() == 1);
}

TEST_CASE("attach: our layer beside a layer verify refuses is not 'already signed'", "[signer]") {
  // Differential finding: a .sig of [our valid layer, "junk"] made sign exit 0 ("already has this
  // signature") while verify refuses the manifest (exit 7).
  Scene s;
  const auto sig = s.signer.sign("payload-1");
  REQUIRE(s.attach(sig));
  std::string& stored = s.client.tags.at(kTag);
  stored.insert(stored.rfind(']'), ",\"junk\"");
  const std::string damaged = stored;
  const int puts = s.client.puts;
  auto again = s.attach(sig);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind() == ErrorKind::registry);
  CHECK_THAT(again.error().message(), Catch::Contains("malformed layer 1 (not an object)"));
  CHECK_THAT(again.error().message(), Catch::Contains("refusing to rewrite"));
  CHECK(s.client.puts == puts);
  CHECK(s.client.tags.at(kTag) == damaged);
}
