// Sign's batch over an in-memory registry and the real stores: every reference resolved and signed
// in each format, outcomes reported in order, a half-written target said as such, and every
// entry written attached again when the batch is done (a concurrent signer's replacement undone).
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "cosign/store.h"
#include "keys/keys.h"
#include "sign/batch.h"
#include "sign/signer.h"
#include "tests/support/fake_registry.h"

using namespace isign;
using common::ErrorKind;
using common::make_error;
using isign::testing::FakeClient;
using isign::testing::kRepo;

namespace {

// An image manifest (distinct per n) stored by digest and at tag "v<n>"; its digest.
std::string push_image(FakeClient& client, int n) {
  const std::string bytes =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
      std::to_string(n) + R"(,"digest":"sha256:)" + std::string(64, 'c') + R"("},"layers":[]})";
  const std::string digest = common::sha256_digest(bytes);
  client.tags[digest] = bytes;
  client.tags["v" + std::to_string(n)] = bytes;
  return digest;
}

registry::Reference reference(const std::string& text) {
  auto r = registry::Reference::parse(kRepo.str() + text);
  REQUIRE(r);
  return *r;
}

std::string sig_tag(const std::string& digest) {
  return "sha256-" + digest.substr(7) + ".sig";
}

// A store whose bundle writes fail (a registry refusing the referrer), the rest passed through.
class RefusingBundles final : public cosign::SignatureStore {
public:
  // status 0: isign's own refusal (a referrers tag holding something else), not the registry's.
  RefusingBundles(cosign::SignatureStore& inner, long status) : inner_(inner), status_(status) {}
  common::Result<cosign::StoredSignatures> find(const cosign::Subject& s) override {
    return inner_.find(s);
  }
  common::Result<std::string> fetch_payload(const cosign::Subject& s, std::string_view d,
                                            std::size_t max) override {
    return inner_.fetch_payload(s, d, max);
  }
  common::Result<cosign::AttachResult> attach(const cosign::Subject& s,
                                              const cosign::NewSignature& sig,
                                              const cosign::AttachOptions& o) override {
    if (sig.format == cosign::Format::bundle)
      return make_error(ErrorKind::registry, status_ ? "PUT referrer: 400 Bad Request"
                                                     : "the referrers tag holds the image itself")
          .with_http_status(status_);
    return inner_.attach(s, sig, o);
  }

private:
  cosign::SignatureStore& inner_;
  long status_;
};

keys::PrivateKey new_key() {
  auto k = keys::generate_ecdsa_p256();
  REQUIRE(k);
  return std::move(*k);
}

std::unique_ptr<cosign::SignatureStore> both_formats(FakeClient& client) {
  auto s = cosign::make_store(client, cosign::kBothFormats);
  REQUIRE(s);
  return std::move(*s);
}

struct Scene {
  FakeClient client;
  keys::PrivateKey key = new_key();
  keys::PublicKey pub = key.public_key();
  std::unique_ptr<cosign::SignatureStore> store = both_formats(client);
  sign::Batch batch{client, *store};

  Scene() {
    batch.attach.signer_key = &pub;
    batch.attach.sleep = [](std::chrono::milliseconds) {};
    batch.workers = 4;
    batch.make = [this](const cosign::Subject& subject, cosign::Format format) {
      return sign::sign_image(key, subject, {}, format);
    };
  }
};

} // namespace

TEST_CASE("sign batch: each reference signed in both formats, reported in order", "[batch]") {
  Scene s;
  const std::string d1 = push_image(s.client, 1), d2 = push_image(s.client, 2);
  const std::vector<registry::Reference> refs{reference(":v1"), reference("@" + d2)};
  std::vector<std::size_t> order;
  auto done = sign::sign_all(s.batch, refs, {"tagged", "pinned"},
                             [&](std::size_t i, const sign::RefSigned&) { order.push_back(i); });
  CHECK(order == std::vector<std::size_t>{0, 1});
  REQUIRE(done.refs.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& r = done.refs[i];
    CHECK_FALSE(r.error);
    REQUIRE(r.targets.size() == 1);
    const auto& t = r.targets[0];
    CHECK(t.named_by_tag == (i == 0));
    CHECK(t.name == kRepo.str() + "@" + (i == 0 ? d1 : d2));
    REQUIRE(t.attached.size() == 2);
    CHECK(t.attached[0].format == cosign::Format::legacy);
    CHECK(t.attached[1].format == cosign::Format::bundle);
    for (const auto& a : t.attached) {
      REQUIRE(a.result);
      CHECK(a.result->outcome == cosign::AttachOutcome::created);
    }
    CHECK(t.attach_errors.empty());
  }
  // Every entry written was checked once more, and found in place.
  REQUIRE(done.rechecks.size() == 4);
  for (const auto& r : done.rechecks) {
    REQUIRE(r.result);
    CHECK(r.result->outcome == cosign::AttachOutcome::already_present);
  }
  for (const auto& d : {d1, d2}) {
    auto found = s.store->find(cosign::Subject{kRepo, d});
    REQUIRE(found);
    CHECK(found->layers.size() == 2);
  }

  // Signing again adds nothing, and nothing is rechecked.
  auto again = sign::sign_all(s.batch, refs, {"tagged", "pinned"});
  for (const auto& r : again.refs)
    for (const auto& a : r.targets[0].attached) {
      REQUIRE(a.result);
      CHECK(a.result->outcome == cosign::AttachOutcome::already_present);
    }
  CHECK(again.rechecks.empty());
}

TEST_CASE("sign batch: a signature a concurrent signer replaced is attached again at the end",
          "[batch]") {
  Scene s;
  const std::string d1 = push_image(s.client, 1);
  s.batch.formats = {cosign::Format::legacy};
  // A concurrent signer's write, landing after our read-back: the .sig no longer holds ours.
  auto done = sign::sign_all(s.batch, {reference("@" + d1)}, {"pinned"},
                             [&](std::size_t, const sign::RefSigned&) {
                               std::lock_guard lock(s.client.mu);
                               s.client.tags.erase(sig_tag(d1));
                             });
  REQUIRE(done.rechecks.size() == 1);
  REQUIRE(done.rechecks[0].result);
  CHECK(done.rechecks[0].result->outcome == cosign::AttachOutcome::created);
  CHECK(done.rechecks[0].format == cosign::Format::legacy);
  CHECK(s.client.tags.count(sig_tag(d1)) == 1);
}

TEST_CASE("sign batch: one format written and the other refused says what was written", "[batch]") {
  Scene s;
  const std::string d1 = push_image(s.client, 1);
  RefusingBundles refusing(*s.store, 400);
  sign::Batch batch = s.batch;
  sign::Batch half{s.client, refusing};
  half.attach = batch.attach;
  half.make = batch.make;
  auto done = sign::sign_all(half, {reference("@" + d1)}, {"pinned"});
  const auto& t = done.refs[0].targets[0];
  REQUIRE(t.attach_errors.size() == 1);
  CHECK(t.attach_errors[0].message() ==
        "signing '" + kRepo.str() + "@" + d1 +
            "': the signature (cosign v2 .sig) was written, but the bundle (cosign v3 referrer) "
            "was not (run sign again to complete it): PUT referrer: 400 Bad Request");
  CHECK(t.attach_errors[0].kind() == ErrorKind::registry);
  REQUIRE(t.attached.size() == 2);
  CHECK(t.attached[0].result);
  CHECK_FALSE(t.attached[1].result);
  // Only what was written is checked again.
  REQUIRE(done.rechecks.size() == 1);
  CHECK(done.rechecks[0].format == cosign::Format::legacy);

  // A refusal of isign's own would come again: no promise that a rerun completes it.
  RefusingBundles ours(*s.store, 0);
  sign::Batch refused{s.client, ours};
  refused.attach = batch.attach;
  refused.make = batch.make;
  auto again = sign::sign_all(refused, {reference("@" + d1)}, {"pinned"});
  REQUIRE(again.refs[0].targets[0].attach_errors.size() == 1);
  CHECK(again.refs[0].targets[0].attach_errors[0].message() ==
        "signing '" + kRepo.str() + "@" + d1 +
            "': the signature (cosign v2 .sig) was written, but the bundle (cosign v3 referrer) "
            "was not: the referrers tag holds the image itself");
}

TEST_CASE("sign batch: failures before attaching stop only their target", "[batch]") {
  Scene s;
  const std::string d1 = push_image(s.client, 1);
  const std::size_t stored = s.client.tags.size();

  SECTION("an unknown tag is the reference's error, in context") {
    auto done = sign::sign_all(s.batch, {reference(":missing"), reference("@" + d1)},
                               {"missing", "pinned"});
    REQUIRE(done.refs[0].error);
    CHECK(done.refs[0].error->kind() == ErrorKind::not_found);
    CHECK(done.refs[0].error->message().rfind("signing 'missing': ", 0) == 0);
    CHECK(done.refs[1].targets[0].attached.size() == 2);
  }
  SECTION("on_signed failing attaches nothing") {
    s.batch.on_signed = [](const std::vector<cosign::NewSignature>&) -> common::Result<void> {
      return make_error(ErrorKind::io, "writing the signature: disk full");
    };
    auto done = sign::sign_all(s.batch, {reference("@" + d1)}, {"pinned"});
    REQUIRE(done.refs[0].targets[0].error);
    CHECK(done.refs[0].targets[0].error->message() == "writing the signature: disk full");
    CHECK(s.client.tags.size() == stored);
    CHECK(done.rechecks.empty());
  }
  SECTION("without upload, the entries are made and handed over, nothing attached") {
    std::vector<cosign::Format> seen;
    s.batch.upload = false;
    s.batch.on_signed = [&](const std::vector<cosign::NewSignature>& sigs) -> common::Result<void> {
      for (const auto& sig : sigs)
        seen.push_back(sig.format);
      return {};
    };
    auto done = sign::sign_all(s.batch, {reference("@" + d1)}, {"pinned"});
    CHECK(seen == cosign::kBothFormats);
    CHECK(done.refs[0].targets[0].entries.size() == 2);
    CHECK(done.refs[0].targets[0].attached.empty());
    CHECK(s.client.tags.size() == stored);
  }
  SECTION("making an entry failing is the target's error, in context") {
    s.batch.make = [](const cosign::Subject&,
                      cosign::Format) -> common::Result<cosign::NewSignature> {
      return make_error(ErrorKind::key, "the key cannot sign");
    };
    auto done = sign::sign_all(s.batch, {reference("@" + d1)}, {"pinned"});
    REQUIRE(done.refs[0].targets[0].error);
    CHECK(done.refs[0].targets[0].error->message() ==
          "signing '" + kRepo.str() + "@" + d1 + "': the key cannot sign");
    CHECK(s.client.tags.size() == stored);
  }
}
