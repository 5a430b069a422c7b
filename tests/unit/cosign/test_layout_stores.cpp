// The tag store and the referrers store over an OCI layout (registry/layout.h) instead of the
// in-memory registry: the same attach and find, a referrers index at the fallback tag (a layout
// has no referrers API), and none of the waits that guard against a registry's lag.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "registry/layout.h"
#include "tests/support/scratch_dir.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;

namespace {

const std::string kImageManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'c') + R"(","size":2},"layers":[]})";

struct LayoutScene {
  ScratchDir tmp{"isign-layout-store-"};
  registry::Repository repo{"oci:", tmp / "layout"};
  std::unique_ptr<registry::Client> client = registry::make_layout_client(repo.name);
  std::vector<std::chrono::milliseconds> waits;
  cosign::AttachOptions options;
  cosign::Subject subject;

  LayoutScene() {
    auto put = client->put_manifest(repo, "v1", kImageManifest, registry::kOciManifest);
    REQUIRE(put);
    subject = {repo, *put, std::string(registry::kOciManifest), kImageManifest.size()};
    options.sleep = [this](std::chrono::milliseconds ms) { waits.push_back(ms); };
  }
  // Whether every wait recorded was zero: a layout is read as it was written.
  bool no_waiting() const {
    for (auto w : waits)
      if (w.count() != 0)
        return false;
    return true;
  }
};

} // namespace

TEST_CASE("layout stores: the tag store attaches .sig layers and finds them, without waits") {
  LayoutScene s;
  auto store = cosign::make_tag_store(*s.client);
  for (int i = 0; i < 2; ++i) {
    auto key = new_key();
    const std::string payload = "payload-" + std::to_string(i);
    auto der = key.sign(payload);
    REQUIRE(der);
    const auto pub = key.public_key();
    s.options.signer_key = &pub;
    auto r = store->attach(s.subject, {payload, common::base64_encode(*der)}, s.options);
    REQUIRE(r);
    CHECK(r->outcome ==
          (i == 0 ? cosign::AttachOutcome::created : cosign::AttachOutcome::attached));
  }
  CHECK(s.no_waiting());
  auto found = store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 2);
  auto tags = s.client->list_tags(s.repo);
  REQUIRE(tags);
  CHECK(*tags == std::vector<std::string>{"v1", "sha256-" + s.subject.digest.substr(7) + ".sig"});
}

TEST_CASE("layout stores: the referrers store lists bundles in the fallback index") {
  LayoutScene s;
  auto store = cosign::make_referrers_store(*s.client);
  auto key = new_key();
  const auto pub = key.public_key();
  s.options.signer_key = &pub;
  auto statement = cosign::make_sign_statement(s.repo.str(), s.subject.digest, {});
  REQUIRE(statement);
  auto sig = bundle_signature(key, pub, *statement);
  auto r = store->attach(s.subject, sig, s.options);
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::created); // the index at the tag is new
  auto again = store->attach(s.subject, sig, s.options);
  REQUIRE(again);
  CHECK(again->outcome == cosign::AttachOutcome::already_present);
  CHECK(s.no_waiting());
  auto found = store->find(s.subject);
  REQUIRE(found);
  REQUIRE(found->layers.size() == 1);
  const std::string index_tag = "sha256-" + s.subject.digest.substr(7);
  CHECK(*s.client->has_tag(s.repo, index_tag));
  auto bundle = store->fetch_payload(s.subject, *found->layers[0].digest, 1u << 20);
  REQUIRE(bundle);
  CHECK(*bundle == sig.bundle);
}
