// Copying an image with what is attached to it (cosign/transfer.h) between two in-memory
// registries: both formats and kinds, a rerun that writes nothing, an interrupted copy completed
// by a rerun, merging into another signer's .sig, --force, --only, and an index with children.
#include <catch2/catch.hpp>

#include "cosign/attached.h"
#include "cosign/signature_manifest.h"
#include "tests/unit/cosign/transfer_fixture.h"

using namespace isign;
using namespace isign::testing;

namespace {

struct Copy {
  FakeClient src, dst;
  Signer signer;
  cosign::Subject image = put_image(src, "one");
  cosign::TransferOptions options = quiet_transfer();

  Copy() { signer.sign_everything(src, image); }

  common::Result<cosign::SignedImageCopy> run(std::string_view tag = "v1") {
    return cosign::copy_signed_image(src, kRepo, image.digest, dst, kRepo, tag, {}, options);
  }
};

} // namespace

TEST_CASE("transfer: the image and both formats and kinds, byte for byte", "[transfer]") {
  Copy c;
  auto r = c.run();
  REQUIRE(r);
  CHECK(r->image.digest == c.image.digest);
  CHECK(c.dst.tags.at("v1") == c.src.tags.at(c.image.digest));
  CHECK(c.dst.tags.at(c.image.digest) == c.src.tags.at(c.image.digest));
  // Everything the source has, the destination has, byte for byte (the referrers index rebuilt
  // from the source's descriptors ends identical).
  for (const auto& [ref, bytes] : c.src.tags)
    CHECK(c.dst.tags.at(ref) == bytes);
  CHECK(c.dst.tags.size() == c.src.tags.size() + 1); // and the tag v1
  for (const auto& [digest, bytes] : c.src.blobs)
    CHECK(c.dst.blobs.at(digest) == bytes);
  CHECK(r->image.counts.manifests_copied == 1);
  CHECK(r->image.counts.blobs_uploaded == 2);
  CHECK(r->attached.copy.manifests_copied == 4); // .sig, .att, two referrers
  CHECK(r->attached.index_entries == 2);
}

TEST_CASE("transfer: a rerun writes no manifest", "[transfer]") {
  Copy c;
  REQUIRE(c.run());
  const int puts = c.dst.puts;
  const auto before = c.dst.tags;
  auto again = c.run();
  REQUIRE(again);
  CHECK(c.dst.puts == puts);
  CHECK(c.dst.tags == before);
  CHECK(again->image.counts.manifests_copied == 0);
  CHECK(again->attached.copy.manifests_copied == 0);
  CHECK(again->attached.copy.manifests_present == 4);
  CHECK(again->attached.index_entries == 0);
}

TEST_CASE("transfer: a copy interrupted at any PUT and rerun ends as an uninterrupted one",
          "[transfer]") {
  Copy whole;
  REQUIRE(whole.run());
  const int total = whole.dst.puts;
  REQUIRE(total >= 6);
  for (int n = 1; n <= total; ++n) {
    CAPTURE(n);
    FakeClient dst;
    dst.on_put = [n](int call) {
      if (call == n)
        return std::pair{
            std::optional(
                common::make_error(common::ErrorKind::registry, "refused").with_http_status(403)),
            false};
      return std::pair{std::optional<common::Error>(), true};
    };
    auto copy = [&] {
      return cosign::copy_signed_image(whole.src, kRepo, whole.image.digest, dst, kRepo, "v1", {},
                                       whole.options);
    };
    REQUIRE_FALSE(copy());
    dst.on_put = nullptr;
    REQUIRE(copy());
    CHECK(dst.tags == whole.dst.tags);
    CHECK(dst.blobs == whole.dst.blobs);
  }
}

TEST_CASE("transfer: the source's layers join another signer's .sig", "[transfer]") {
  Copy c;
  REQUIRE(c.run());
  // Start again with a destination whose .sig holds another signer's layer only.
  FakeClient dst;
  Signer other;
  auto copy = put_image(dst, "one");
  REQUIRE(copy.digest == c.image.digest);
  other.attach(dst, copy, other.legacy_signature(copy, "other"));
  const std::string theirs = dst.tags.at(sig_tag(copy));
  auto their_layers = cosign::read_signature_manifest(theirs);
  REQUIRE(their_layers);
  SECTION("merged: both layers, theirs first and byte for byte") {
    auto r = cosign::copy_signed_image(c.src, kRepo, c.image.digest, dst, kRepo, "", {}, c.options);
    REQUIRE(r);
    CHECK(r->attached.tags_merged == 1);
    auto merged = cosign::read_signature_manifest(dst.tags.at(sig_tag(copy)));
    REQUIRE(merged);
    REQUIRE(merged->layers.size() == 2);
    CHECK(merged->layers[0].text == their_layers->layers[0].text);
    auto ours = cosign::read_signature_manifest(c.src.tags.at(sig_tag(copy)));
    REQUIRE(ours);
    CHECK(merged->layers[1].text == ours->layers[0].text);
    // A rerun finds the source's layer there: nothing written.
    const int puts = dst.puts;
    REQUIRE(cosign::copy_signed_image(c.src, kRepo, c.image.digest, dst, kRepo, "", {}, c.options));
    CHECK(dst.puts == puts);
  }
  SECTION("--force: the source's .sig replaces theirs") {
    c.options.force = true;
    auto r = cosign::copy_signed_image(c.src, kRepo, c.image.digest, dst, kRepo, "", {}, c.options);
    REQUIRE(r);
    CHECK(r->attached.tags_replaced == 1);
    CHECK(dst.tags.at(sig_tag(copy)) == c.src.tags.at(sig_tag(copy)));
  }
}

TEST_CASE("transfer: --only picks the .sig, the .att or the referrers", "[transfer]") {
  struct Case {
    bool sig, att, bundle;
    std::vector<std::string> present, absent;
  };
  Copy c;
  const std::string sig = sig_tag(c.image), att = sig_tag(c.image, ".att"),
                    index = sig_tag(c.image, "");
  const std::vector<Case> cases{
      {true, false, false, {sig}, {att, index}},
      {false, true, false, {att}, {sig, index}},
      {false, false, true, {index}, {sig, att}},
      {true, true, false, {sig, att}, {index}},
  };
  for (const auto& k : cases) {
    FakeClient dst;
    auto options = c.options;
    options.sig = k.sig;
    options.att = k.att;
    options.bundle = k.bundle;
    REQUIRE(cosign::copy_signed_image(c.src, kRepo, c.image.digest, dst, kRepo, "", {}, options));
    for (const auto& t : k.present)
      CHECK(dst.tags.count(t) == 1);
    for (const auto& t : k.absent)
      CHECK(dst.tags.count(t) == 0);
    std::size_t referrers = 0;
    for (const auto& [ref, bytes] : dst.tags)
      referrers += ref.rfind("sha256:", 0) == 0 && bytes.find("\"subject\"") != std::string::npos;
    CHECK(referrers == (k.bundle ? 2u : 0u));
  }
}

TEST_CASE("transfer: a destination with a referrers API gets no index", "[transfer]") {
  Copy c;
  c.dst.referrers_api = true;
  c.dst.claim_oci_subject = true;
  auto r = c.run();
  REQUIRE(r);
  CHECK(r->attached.index_entries == 0);
  CHECK(c.dst.tags.count(sig_tag(c.image, "")) == 0);
  auto listed = cosign::list_attached(c.dst, c.image);
  REQUIRE(listed);
  CHECK(listed->manifests.size() == 4);
}

TEST_CASE("transfer: an index, its children and what is attached to each", "[transfer]") {
  FakeClient src, dst;
  Signer signer;
  auto amd = put_image(src, "amd64");
  auto arm = put_image(src, "arm64");
  auto index = put_index(src, {amd, arm}, {"amd64", "arm64"});
  signer.sign_everything(src, index);
  signer.sign_everything(src, arm);
  auto options = quiet_transfer();
  SECTION("whole: the index, both children, every attached manifest") {
    auto r = cosign::copy_signed_image(src, kRepo, index.digest, dst, kRepo, "v1", {}, options);
    REQUIRE(r);
    CHECK(r->image.is_index);
    CHECK(r->image.children == std::vector{amd.digest, arm.digest});
    for (const auto& [ref, bytes] : src.tags)
      CHECK(dst.tags.at(ref) == bytes);
    CHECK(dst.tags.at("v1") == src.tags.at(index.digest));
    CHECK(r->attached.copy.manifests_copied == 8);
  }
  SECTION("--platform: the child alone, tagged, with what is attached to it") {
    registry::CopyOptions copy;
    copy.platform = registry::Platform{"linux", "arm64", ""};
    auto r = cosign::copy_signed_image(src, kRepo, index.digest, dst, kRepo, "v1", copy, options);
    REQUIRE(r);
    CHECK(r->image.digest == arm.digest);
    CHECK(dst.tags.at("v1") == src.tags.at(arm.digest));
    CHECK(dst.tags.count(index.digest) == 0);
    CHECK(dst.tags.count(amd.digest) == 0);
    CHECK(dst.tags.at(sig_tag(arm)) == src.tags.at(sig_tag(arm)));
    CHECK(dst.tags.count(sig_tag(index)) == 0);
  }
}
