// The bundle referrers store against an in-memory registry: with and without a referrers API, the
// referrers index at the tag (its edits, repairs and refusals), idempotence, concurrent signers,
// and the composite store's merge.
#include <catch2/catch.hpp>

#include <thread>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/referrer.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "tests/unit/cosign/store_fixture.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;
using common::make_error;

namespace {

struct BundleSigner {
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();

  cosign::NewSignature sign(const cosign::Annotations& annotations = {}) {
    auto statement = cosign::make_sign_statement(kRepo.str(), kImage, annotations);
    REQUIRE(statement);
    return bundle_signature(key, pub, *statement);
  }
};

struct Scene {
  FakeClient client;
  BundleSigner signer;
  cosign::AttachOptions options;
  std::unique_ptr<cosign::SignatureStore> store = cosign::make_referrers_store(client);
  cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};

  Scene() {
    options.signer_key = &signer.pub;
    options.sleep = [](std::chrono::milliseconds) {};
  }
  common::Result<cosign::AttachResult> attach(const cosign::NewSignature& sig) {
    return store->attach(subject, sig, options);
  }
  std::vector<cosign::IndexEntry> index() {
    auto entries = cosign::read_referrers_index(client.tags.at(kIndexTag));
    REQUIRE(entries);
    return *entries;
  }
};

} // namespace

TEST_CASE("referrers store: without the API the referrer is listed in the index at the tag",
          "[referrers]") {
  Scene s;
  auto sig = s.signer.sign();
  auto r = s.attach(sig);
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::created);
  auto entries = s.index();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].has_artifact_type);
  const std::string referrer = *entries[0].descriptor.digest;
  CHECK(r->where == kRepo.str() + "@" + referrer + ", listed in " + kRepo.str() + ":" + kIndexTag);
  // The manifest by digest, the empty config and the bundle blob are all there.
  const std::string& manifest = s.client.tags.at(referrer);
  CHECK(common::sha256_digest(manifest) == referrer);
  CHECK(s.client.blobs.count(common::sha256_digest(cosign::kEmptyConfig)) == 1);
  CHECK(s.client.blobs.at(common::sha256_digest(sig.bundle)) == sig.bundle);
  auto read = cosign::read_referrer(manifest);
  REQUIRE(read);
  CHECK(read->subject_digest == kImage);
  CHECK(manifest.find("\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                      "\"size\":321,") != std::string::npos);

  auto found = s.store->find(s.subject);
  REQUIRE(found);
  REQUIRE(found->layers.size() == 1);
  CHECK(found->layers[0].format == cosign::Format::bundle);
  CHECK(found->layers[0].where == kRepo.str() + "@" + referrer);
  CHECK(found->layers[0].digest == common::sha256_digest(sig.bundle));
}

TEST_CASE("referrers store: the same statement by the same key again is a no-op", "[referrers]") {
  Scene s;
  REQUIRE(s.attach(s.signer.sign()));
  const int puts = s.client.puts;
  auto again = s.attach(s.signer.sign()); // a new ECDSA signature over the same statement
  REQUIRE(again);
  CHECK(again->outcome == cosign::AttachOutcome::already_present);
  CHECK(s.client.puts == puts);
  // Other annotations, or another key, make a second referrer beside the first.
  REQUIRE(s.attach(s.signer.sign({{"k", "v"}})));
  BundleSigner other;
  s.options.signer_key = &other.pub;
  REQUIRE(s.attach(other.sign()));
  CHECK(s.index().size() == 3);
}

TEST_CASE("referrers store: other tools' entries are kept and stale ones repaired", "[referrers]") {
  Scene s;
  // A referrer written by an older cosign 3.x: listed without artifactType or annotations.
  const std::string theirs =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/spdx+json","size":1,"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}],"annotations":{"a":"1"},"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":321,"digest":")" +
      kImage + R"("}})";
  const std::string theirs_digest = common::sha256_digest(theirs);
  s.client.tags[theirs_digest] = theirs;
  const std::string gone = "sha256:" + std::string(64, '2');
  s.client.tags[kIndexTag] =
      R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      theirs_digest + R"(","size":)" + std::to_string(theirs.size()) +
      R"(}, {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + gone +
      R"(","size":7,"artifactType":"x/y"}]})";
  REQUIRE(s.attach(s.signer.sign()));
  auto entries = s.index();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].has_artifact_type); // repaired from its manifest
  CHECK(entries[0].descriptor.text ==
        cosign::referrers_index_descriptor(registry::kOciManifest, theirs_digest, theirs.size(),
                                           "application/spdx+json", {{"a", "1"}}));
  CHECK(entries[1].descriptor.digest == gone); // kept as it was
  CHECK(s.client.tags.at(kIndexTag).rfind("{\"schemaVersion\": 2, ", 0) == 0);
  // find judges referrers by their manifests: only the bundle counts.
  auto found = s.store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("referrers store: a tag that is no index of referrers is never rewritten",
          "[referrers]") {
  SECTION("an image manifest at the tag") {
    Scene s;
    const std::string image =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})";
    s.client.tags[kIndexTag] = image;
    auto r = s.attach(s.signer.sign());
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(s.client.tags.at(kIndexTag) == image);
    auto found = s.store->find(s.subject);
    REQUIRE_FALSE(found);
    CHECK(found.error().kind() == ErrorKind::registry);
  }
  SECTION("the subject itself (GitLab resolves sha256-<hex> to the image)") {
    Scene s;
    const std::string image = "{\"manifests\":[]}";
    s.subject.digest = common::sha256_digest(image);
    const std::string tag = "sha256-" + s.subject.digest.substr(7);
    s.client.tags[tag] = image;
    auto found = s.store->find(s.subject);
    REQUIRE_FALSE(found);
    CHECK(found.error().kind() == ErrorKind::no_signature);
  }
  SECTION("an index an entry of which isign does not understand") {
    Scene s;
    const std::string odd = R"({"schemaVersion":2,"manifests":[{"digest":"sha256:1"}]})";
    s.client.tags[kIndexTag] = odd;
    auto r = s.attach(s.signer.sign());
    REQUIRE_FALSE(r);
    CHECK(s.client.tags.at(kIndexTag) == odd);
  }
}

TEST_CASE("referrers store: with the API the registry keeps the list", "[referrers]") {
  Scene s;
  s.client.referrers_api = true;
  auto r = s.attach(s.signer.sign());
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::attached);
  CHECK(s.client.tags.count(kIndexTag) == 0);
  auto found = s.store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
  CHECK_THAT(found->where, Catch::Contains("the referrers API"));
}

TEST_CASE("referrers store: a failed listing is an error, never 'no signatures'", "[referrers]") {
  Scene s;
  struct Failing : FakeClient {
    common::Result<registry::Referrers>
    list_referrers(const registry::Repository&, std::string_view, std::string_view) override {
      return common::Error(ErrorKind::throttled, "429 Too Many Requests");
    }
  } failing;
  auto store = cosign::make_referrers_store(failing);
  auto found = store->find(s.subject);
  REQUIRE_FALSE(found);
  CHECK(found.error().kind() == ErrorKind::throttled);

  // The composite store: the .sig is absent, the listing failed: the listing's error decides.
  auto both = cosign::make_store(failing, cosign::kBothFormats);
  REQUIRE(both);
  auto merged = (*both)->find(s.subject);
  REQUIRE_FALSE(merged);
  CHECK(merged.error().kind() == ErrorKind::throttled);
}

TEST_CASE("composite store: what each format holds, merged, and none anywhere is no_signature",
          "[referrers]") {
  Scene s;
  auto both = cosign::make_store(s.client, cosign::kBothFormats);
  REQUIRE(both);
  auto none = (*both)->find(s.subject);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == ErrorKind::no_signature);
  REQUIRE((*both)->attach(s.subject, s.signer.sign(), s.options));
  auto found = (*both)->find(s.subject);
  REQUIRE(found);
  REQUIRE(found->layers.size() == 1);
  CHECK(found->layers[0].format == cosign::Format::bundle);
  CHECK(found->unread.empty());
  CHECK_FALSE(cosign::make_store(s.client, cosign::Formats{}));
}

TEST_CASE("composite store: find_until reads the referrers only while the .sig is not enough",
          "[referrers]") {
  Scene s;
  auto both = cosign::make_store(s.client, cosign::kBothFormats);
  REQUIRE(both);
  REQUIRE((*both)->attach(s.subject, s.signer.sign(), s.options));
  const std::string payload = "{\"any\":\"payload\"}";
  auto der = s.signer.key.sign(payload);
  REQUIRE(der);
  REQUIRE((*both)->attach(s.subject, cosign::NewSignature{payload, common::base64_encode(*der)},
                          s.options));
  std::vector<std::size_t> asked; // the layers enough() saw, call by call
  auto count = [&asked](bool answer) {
    return [&asked, answer](const cosign::StoredSignatures& so_far) {
      asked.push_back(so_far.layers.size());
      return answer;
    };
  };
  auto first = (*both)->find_until(s.subject, count(true));
  REQUIRE(first);
  REQUIRE(first->layers.size() == 1);
  CHECK(first->layers[0].format == cosign::Format::legacy);
  CHECK(asked == std::vector<std::size_t>{1});
  asked.clear();
  auto all = (*both)->find_until(s.subject, count(false));
  REQUIRE(all);
  REQUIRE(all->layers.size() == 2);
  CHECK(all->layers[0].format == cosign::Format::legacy);
  CHECK(all->layers[1].format == cosign::Format::bundle);
  CHECK(asked == std::vector<std::size_t>{1, 2});
  // Without a .sig, the referrers are read whatever enough() says.
  Scene bundle_only;
  auto store = cosign::make_store(bundle_only.client, cosign::kBothFormats);
  REQUIRE(store);
  REQUIRE((*store)->attach(bundle_only.subject, bundle_only.signer.sign(), bundle_only.options));
  auto found = (*store)->find_until(bundle_only.subject, count(true));
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}

TEST_CASE("referrers store: a referrer PUT refused while another signer relinks a blob is retried",
          "[referrers]") {
  Scene s;
  std::vector<std::chrono::milliseconds> waits;
  s.options.sleep = [&waits](std::chrono::milliseconds ms) { waits.push_back(ms); };
  // The first PUT (the referrer manifest) is refused as distribution refuses it then; later PUTs
  // (the referrer again, the index) are stored.
  s.client.on_put = [](int n) -> std::pair<std::optional<common::Error>, bool> {
    if (n == 1)
      return {common::Error(ErrorKind::registry, "400 Bad Request (MANIFEST_BLOB_UNKNOWN)")
                  .with_http_status(400),
              false};
    return {std::nullopt, true};
  };
  auto r = s.attach(s.signer.sign());
  REQUIRE(r);
  CHECK(r->outcome == cosign::AttachOutcome::created);
  CHECK(s.index().size() == 1);
  REQUIRE_FALSE(waits.empty());
  CHECK(waits.front() == std::chrono::milliseconds(50));

  // A refusal that another try would only repeat (401) is not retried.
  Scene denied;
  int puts = 0;
  denied.client.on_put = [&puts](int) -> std::pair<std::optional<common::Error>, bool> {
    ++puts;
    return {common::Error(ErrorKind::registry, "401 Unauthorized").with_http_status(401), false};
  };
  CHECK_FALSE(denied.attach(denied.signer.sign()));
  CHECK(puts == 1);
}

TEST_CASE("referrers store: 8 concurrent signers lose no referrer from the index", "[referrers]") {
  FakeClient client;
  auto store = cosign::make_referrers_store(client);
  const cosign::Subject subject{kRepo, kImage, std::string(registry::kOciManifest), 321};
  constexpr int kSigners = 8;
  std::vector<BundleSigner> signers(kSigners);
  std::vector<common::Result<cosign::AttachResult>> results(kSigners,
                                                            common::Error(ErrorKind::internal, ""));
  std::vector<std::thread> threads;
  for (int i = 0; i < kSigners; ++i)
    threads.emplace_back([&, i] {
      cosign::AttachOptions options;
      options.signer_key = &signers[static_cast<std::size_t>(i)].pub;
      options.confirm_delay = std::chrono::milliseconds(1);
      results[static_cast<std::size_t>(i)] =
          store->attach(subject, signers[static_cast<std::size_t>(i)].sign(), options);
    });
  for (auto& t : threads)
    t.join();
  for (const auto& r : results)
    REQUIRE(r);
  auto entries = cosign::read_referrers_index(client.tags.at(kIndexTag));
  REQUIRE(entries);
  CHECK(entries->size() == kSigners);
}

TEST_CASE("referrers store: listed non-signatures are skipped unread, unreadable ones decide "
          "only when no bundle is found",
          "[referrers]") {
  Scene s;
  const std::string sbom = "sha256:" + std::string(64, '3');
  const std::string attestation = "sha256:" + std::string(64, '4');
  const std::string odd = "sha256:" + std::string(64, '5');
  s.client.tags[odd] = R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json"})";
  s.client.tags[kIndexTag] =
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      sbom +
      R"(","size":1,"artifactType":"application/spdx+json"},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      attestation +
      R"(","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      odd + R"(","size":1}]})";
  const int gets = s.client.gets;
  auto none = s.store->find(s.subject);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == ErrorKind::registry); // the odd one, unreadable, decides
  CHECK(s.client.gets == gets + 2); // the index and the odd referrer: the others unread
  REQUIRE(s.attach(s.signer.sign()));
  auto found = s.store->find(s.subject);
  REQUIRE(found);
  CHECK(found->layers.size() == 1);
}
