// save and load at the library level: an image with both formats and kinds copied into an OCI
// layout (registry/layout.h) carries cosign save's kind annotations, and copied back out of it
// into an empty registry ends byte for byte as the source.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "cosign/attached.h"
#include "registry/layout.h"
#include "tests/support/scratch_dir.h"
#include "tests/unit/cosign/transfer_fixture.h"

using namespace isign;
using namespace isign::testing;

namespace {

// index.json's entries: ref.name ("" when untagged) and kind ("" when none), in order.
std::vector<std::pair<std::string, std::string>> entries(const std::string& dir) {
  auto text = common::read_file(dir + "/index.json");
  REQUIRE(text);
  auto doc = nlohmann::json::parse(*text);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : doc["manifests"]) {
    auto a = e.value("annotations", nlohmann::json::object());
    out.emplace_back(a.value("org.opencontainers.image.ref.name", ""), a.value("kind", ""));
  }
  return out;
}

bool listed(const std::vector<std::pair<std::string, std::string>>& e, const std::string& name,
            const std::string& kind) {
  return std::find(e.begin(), e.end(), std::pair{name, kind}) != e.end();
}

} // namespace

TEST_CASE("transfer: saved to a layout with cosign's kinds, loaded back byte for byte",
          "[transfer][layout]") {
  FakeClient src;
  Signer signer;
  auto image = put_image(src, "one");
  signer.sign_everything(src, image);
  ScratchDir tmp{"isign-save-"};
  const std::string dir = tmp / "layout";
  registry::Repository layout{"oci:", dir};
  auto client = registry::make_layout_client(dir);
  auto options = quiet_transfer();

  auto saved =
      cosign::copy_signed_image(src, kRepo, image.digest, *client, layout, "v1", {}, options);
  REQUIRE(saved);
  auto e = entries(dir);
  CHECK(listed(e, "v1", "dev.cosignproject.cosign/image"));
  CHECK(listed(e, sig_tag(image), "dev.cosignproject.cosign/sigs"));
  CHECK(listed(e, sig_tag(image, ".att"), "dev.cosignproject.cosign/atts"));
  CHECK(listed(e, sig_tag(image, ""), ""));
  auto attached = cosign::list_attached(*client, {layout, image.digest, {}, 0});
  REQUIRE(attached);
  CHECK(attached->manifests.size() == 5);

  SECTION("saving again writes nothing") {
    auto again =
        cosign::copy_signed_image(src, kRepo, image.digest, *client, layout, "v1", {}, options);
    REQUIRE(again);
    CHECK(again->image.counts.manifests_copied == 0);
    CHECK(again->attached.copy.manifests_copied == 0);
    CHECK(entries(dir) == e);
  }
  SECTION("loaded into an empty registry: the source's manifests, byte for byte") {
    FakeClient dst;
    auto loaded =
        cosign::copy_signed_image(*client, layout, image.digest, dst, kRepo, "v1", {}, options);
    REQUIRE(loaded);
    for (const auto& [ref, bytes] : src.tags)
      CHECK(dst.tags.at(ref) == bytes);
    for (const auto& [digest, bytes] : src.blobs)
      CHECK(dst.blobs.at(digest) == bytes);
  }
}

TEST_CASE("transfer: attachment tags are told from image tags", "[transfer]") {
  const std::string hex(64, 'a');
  CHECK(cosign::is_attachment_tag("sha256-" + hex));
  CHECK(cosign::is_attachment_tag("sha256-" + hex + ".sig"));
  CHECK(cosign::is_attachment_tag("sha256-" + hex + ".att"));
  CHECK_FALSE(cosign::is_attachment_tag("v1"));
  CHECK_FALSE(cosign::is_attachment_tag("sha256-" + hex + "x"));
  CHECK_FALSE(cosign::is_attachment_tag("sha256-" + std::string(64, 'g')));
  CHECK_FALSE(cosign::is_attachment_tag(hex));
}
