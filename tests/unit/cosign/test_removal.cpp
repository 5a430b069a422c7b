// Removal (cosign/removal.h) over the in-memory registry: revoke takes one signer's entries out
// of both formats and kinds and keeps every other signer's byte for byte, merges a concurrent
// signer's write, and clean removes all or, on a registry refusing DELETE, nothing.
#include <catch2/catch.hpp>

#include <algorithm>

#include "cosign/attached.h"
#include "cosign/removal.h"
#include "tests/unit/cosign/signed_scene.h"

using namespace isign;
using namespace isign::testing;
using cosign::Format;
using cosign::Kind;

namespace {

// The referrer digests the fallback index lists.
std::vector<std::string> listed(SignedScene& s) {
  auto a = cosign::list_attached(s.client, s.subject);
  REQUIRE(a);
  for (const auto& m : a->manifests)
    if (m.role == cosign::AttachedRole::referrers_index)
      return m.lists;
  return {};
}

// The bundle referrers of the scene whose bundle names pub's hint.
std::vector<std::string> bundles_of(SignedScene& s, const keys::PublicKey& pub) {
  std::vector<std::string> out;
  auto a = cosign::list_attached(s.client, s.subject);
  REQUIRE(a);
  for (const auto& m : a->manifests) {
    if (m.role != cosign::AttachedRole::referrer || !m.bundle)
      continue;
    auto blob = s.client.blobs.at(m.blobs[1].digest);
    auto b = cosign::parse_bundle(blob);
    REQUIRE(b);
    if (b->hint == keys::public_key_hint(pub))
      out.push_back(m.manifest.digest);
  }
  return out;
}

common::Error refused() {
  return common::make_error(common::ErrorKind::registry,
                            "DELETE: 405 Method Not Allowed (UNSUPPORTED: The operation is "
                            "unsupported.)");
}

} // namespace

TEST_CASE("revoke: one signer's entries leave both formats and kinds, others' stay byte for byte",
          "[removal]") {
  SignedScene s;
  const auto a = new_key(), b = new_key();
  const auto pub_a = a.public_key(), pub_b = b.public_key();
  s.sign_all(a, "a");
  s.sign_all(b, "b");
  const auto sig_before = s.layer_texts(".sig", Kind::signature);
  const auto att_before = s.layer_texts(".att", Kind::attestation);
  REQUIRE(sig_before.size() == 2);
  REQUIRE(att_before.size() == 2);
  const auto b_bundles = bundles_of(s, pub_b);
  const auto a_bundles = bundles_of(s, pub_a);
  REQUIRE(b_bundles.size() == 2);
  REQUIRE(a_bundles.size() == 2);
  const std::string index_before = s.client.tags.at(kIndexTag);

  cosign::RemovalQuery q;
  q.key = &pub_a;
  auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(removal);
  CHECK(removal->removed() == 4);
  REQUIRE(removal->places.size() == 4);
  for (const auto& p : removal->places) {
    CHECK(p.removed == 1);
    CHECK(p.kept == 1);
    CHECK_FALSE(p.deleted);
  }
  // b's layers, exactly as they were.
  CHECK(s.layer_texts(".sig", Kind::signature) == std::vector{sig_before[1]});
  CHECK(s.layer_texts(".att", Kind::attestation) == std::vector{att_before[1]});
  CHECK(listed(s) == b_bundles);
  for (const auto& d : a_bundles)
    CHECK(s.client.tags.count(d) == 0);
  for (const auto& d : b_bundles)
    CHECK(s.client.tags.count(d) == 1);
  // b's index entries kept byte for byte: each of their descriptors is in the new index.
  const std::string index_after = s.client.tags.at(kIndexTag);
  for (const auto& d : b_bundles) {
    auto at = index_before.find(d);
    auto open = index_before.rfind('{', at);
    auto close = index_before.find('}', index_before.find('}', at) + 1);
    CHECK(index_after.find(index_before.substr(open, close - open + 1)) != std::string::npos);
  }

  SECTION("revoking again finds nothing") {
    auto again = cosign::remove_attached(s.client, s.subject, q, s.options);
    REQUIRE(again);
    CHECK(again->places.empty());
    CHECK(again->removed() == 0);
  }
  SECTION("the last signer's revoke deletes the .sig and .att") {
    q.key = &pub_b;
    auto last = cosign::remove_attached(s.client, s.subject, q, s.options);
    REQUIRE(last);
    CHECK(last->removed() == 4);
    CHECK(s.client.tags.count(s.tag(".sig")) == 0);
    CHECK(s.client.tags.count(s.tag(".att")) == 0);
    CHECK(listed(s).empty());
    for (const auto& p : last->places)
      if (p.format == Format::legacy)
        CHECK(p.deleted);
  }
}

TEST_CASE("revoke: --type and signatures-only narrow what goes", "[removal]") {
  SignedScene s;
  const auto a = new_key();
  const auto pub_a = a.public_key();
  s.sign_all(a, "a");
  cosign::RemovalQuery q;
  q.key = &pub_a;
  q.signatures = false;
  q.predicate_type = "https://example.com/other";
  auto none = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(none);
  CHECK(none->removed() == 0);
  q.predicate_type = std::string(kSlsaType);
  auto atts = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(atts);
  CHECK(atts->removed() == 2);
  CHECK(s.layer_texts(".sig", Kind::signature).size() == 1);
  CHECK(s.client.tags.count(s.tag(".att")) == 0);
  CHECK(listed(s).size() == 1);
}

TEST_CASE("revoke: a signer writing between revoke's read and its read-back loses nothing",
          "[removal]") {
  SignedScene s;
  const auto a = new_key(), b = new_key(), c = new_key();
  const auto pub_a = a.public_key();
  s.sign_all(a, "a");
  s.sign_all(b, "b");
  // What c's concurrent write holds: the .sig as revoke first read it, with c's layer appended
  // (c read before revoke's PUT and writes after it).
  SignedScene shadow;
  shadow.client.tags = s.client.tags;
  shadow.client.blobs = s.client.blobs;
  shadow.sign_all(c, "c");
  const std::string stale_with_c = shadow.client.tags.at(s.tag(".sig"));
  const auto c_layer = shadow.layer_texts(".sig", Kind::signature).back();
  bool landed = false;
  const int puts_before = s.client.puts;
  s.client.on_get = [&](int) -> std::optional<common::Error> {
    if (s.client.puts == puts_before + 1 && !landed) { // revoke's read-back, after its PUT
      landed = true;
      s.client.tags[s.tag(".sig")] = stale_with_c;
      for (const auto& [d, bytes] : shadow.client.blobs)
        s.client.blobs[d] = bytes;
    }
    return std::nullopt;
  };
  cosign::RemovalQuery q;
  q.key = &pub_a;
  q.bundle = false;
  q.attestations = false;
  auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(removal);
  CHECK(landed);
  const auto after = s.layer_texts(".sig", Kind::signature);
  REQUIRE(after.size() == 2); // b's and c's; a's removed again in a second round
  CHECK(after[1] == c_layer);
  CHECK(std::count(after.begin(), after.end(), c_layer) == 1);
  CHECK(s.client.puts >= puts_before + 2);
}

TEST_CASE("clean: everything goes, or with DELETE refused nothing", "[removal]") {
  SignedScene s;
  const auto a = new_key(), b = new_key();
  s.sign_all(a, "a");
  s.sign_all(b, "b");
  cosign::RemovalQuery q; // no key: every entry

  SECTION("DELETE refused: everything as it was") {
    const auto tags = s.client.tags;
    const auto blobs = s.client.blobs;
    s.client.on_delete = [](std::string_view) { return std::optional(refused()); };
    auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
    REQUIRE_FALSE(removal);
    CHECK_THAT(removal.error().message(), Catch::Contains("405"));
    CHECK_THAT(removal.error().message(), Catch::Contains("nothing was removed"));
    CHECK(s.client.tags == tags);
    CHECK(s.client.blobs == blobs);
  }
  SECTION("DELETE allowed: no .sig, no .att, no referrer listed") {
    auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
    REQUIRE(removal);
    CHECK(removal->removed() == 8);
    CHECK(s.client.tags.count(s.tag(".sig")) == 0);
    CHECK(s.client.tags.count(s.tag(".att")) == 0);
    CHECK(listed(s).empty());
    auto left = cosign::list_attached(s.client, s.subject);
    REQUIRE(left);
    for (const auto& m : left->manifests)
      CHECK(m.role == cosign::AttachedRole::referrers_index);
  }
  SECTION("--type signature leaves attestations") {
    q.attestations = false;
    auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
    REQUIRE(removal);
    CHECK(removal->removed() == 4);
    CHECK(s.client.tags.count(s.tag(".sig")) == 0);
    CHECK(s.layer_texts(".att", Kind::attestation).size() == 2);
    CHECK(listed(s).size() == 2);
  }
}

TEST_CASE("revoke: a registry refusing DELETE", "[removal]") {
  SignedScene s;
  const auto a = new_key();
  const auto pub_a = a.public_key();
  s.sign_all(a, "a");
  s.client.on_delete = [](std::string_view) { return std::optional(refused()); };
  cosign::RemovalQuery q;
  q.key = &pub_a;
  auto removal = cosign::remove_attached(s.client, s.subject, q, s.options);
  REQUIRE(removal);
  CHECK(removal->removed() == 4);
  // Unlisted (no referrers API: no verifier finds them), the .sig/.att left empty: each noted.
  CHECK(listed(s).empty());
  CHECK(s.layer_texts(".sig", Kind::signature).empty());
  CHECK(s.client.tags.count(s.tag(".sig")) == 1);
  for (const auto& p : removal->places) {
    CHECK_FALSE(p.deleted);
    REQUIRE(p.notes.size() == 1);
    CHECK_THAT(p.notes[0], Catch::Contains("405"));
  }
}
