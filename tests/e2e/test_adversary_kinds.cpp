// An adversarial pass over the store's kinds and formats (cosign/store.h, cosign/stored.h,
// cosign/referrers_store.cpp) and sign's batch (sign/batch.h), end to end: the built binary
// against Debian's docker-registry 2.8 (no referrers API), with the fault proxy or the referrers
// proxy (an emulated API) in front where the scenario needs one. Each "Finding" was a defect
// when the pass was made, fixed since; every test guards what the changes promise.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/e2e/bundle_support.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/referrers_proxy.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr const char* kSlsa = "https://slsa.dev/provenance/v1";
constexpr const char* kDsseType = "application/vnd.dsse.envelope.v1+json";

RunOptions with_password() {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  return o;
}

// isign sign --allow-http-registry --key KEY.key EXTRA... REFS...
RunResult sign_refs(const std::string& key, const std::vector<std::string>& refs,
                    const std::vector<std::string>& extra = {}) {
  return isign_cmd("sign", with({"--allow-http-registry", "--key", key + ".key"}, extra), refs,
                   with_password());
}

// isign verify --allow-http-registry --key KEY.pub EXTRA... REFS...
RunResult verify_refs(const std::string& key, const std::vector<std::string>& refs,
                      const std::vector<std::string>& extra = {}) {
  return isign_cmd("verify", with(with({"--allow-http-registry"}, key_flags({key})), extra), refs);
}

// The "status" of each result of a --output json report, in order.
std::vector<std::string> statuses_of(const RunResult& r) {
  auto doc = report_of(r);
  std::vector<std::string> out;
  for (const auto& res : doc["results"])
    out.push_back(res["status"].get<std::string>());
  return out;
}

std::size_t count_not(const std::vector<std::string>& v, const std::string& value) {
  std::size_t n = 0;
  for (const auto& s : v)
    n += s != value;
  return n;
}

// Lines of stderr that are isign's error lines.
std::size_t error_lines(const RunResult& r) {
  return count_of(r.err, "isign: error:");
}

// n images app:v0..v(n-1) in ep (random content); their digests.
std::vector<std::string> push_images(const RegistryEndpoint& ep, int n,
                                     const std::string& repo = "app") {
  std::vector<std::string> digests;
  for (int i = 0; i < n; ++i)
    digests.push_back(push_random_image(ep, repo, "v" + std::to_string(i)));
  return digests;
}

std::vector<std::string> refs_at(const std::string& host, const std::vector<std::string>& digests,
                                 const std::string& repo = "app") {
  std::vector<std::string> out;
  for (const auto& d : digests)
    out.push_back(host + "/" + repo + "@" + d);
  return out;
}

// An in-toto statement of predicate_type about digest, signed by KEY (DSSE), in a sigstore bundle
// v0.3 as cosign v3's attest writes it.
std::string attestation_bundle(const std::string& key, const std::string& digest,
                               const std::string& predicate_type) {
  const std::string statement =
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":")" +
      hex_of(digest) + R"("}}],"predicateType":")" + predicate_type +
      R"(","predicate":{"buildDefinition":{"buildType":"https://example.com/ci"}}})";
  const std::string sig = sign_bytes(key, pae_of(kInTotoType, statement));
  const std::string der = pem_body(read_text(key + ".pub"));
  ordered_json bundle = {
      {"mediaType", kBundleType},
      {"verificationMaterial",
       {{"publicKey", {{"hint", isign::common::base64_encode(isign::common::sha256_raw(der))}}}}},
      {"dsseEnvelope",
       {{"payload", isign::common::base64_encode(statement)},
        {"payloadType", kInTotoType},
        {"signatures", {{{"sig", sig}}}}}}};
  return bundle.dump();
}

// A legacy attestation as cosign v2 writes it (docs/formats.md section 13): the image manifest at
// tag sha256-<hex>.att, one layer holding the DSSE envelope of an SLSA statement signed by KEY.
void push_legacy_attestation(const RegistryEndpoint& ep, const std::string& repo,
                             const std::string& key, const std::string& digest) {
  const std::string statement =
      R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":")" + std::string(kSlsa) +
      R"(","subject":[{"name":"app","digest":{"sha256":")" + hex_of(digest) +
      R"("}}],"predicate":{"builder":{"id":"ci"}}})";
  const std::string envelope = R"({"payloadType":"application/vnd.in-toto+json","payload":")" +
                               isign::common::base64_encode(statement) +
                               R"(","signatures":[{"keyid":"","sig":")" +
                               sign_bytes(key, pae_of(kInTotoType, statement)) + R"("}]})";
  const std::string layer_digest = push_blob(ep, repo, envelope);
  const std::string config =
      R"({"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[")" +
      layer_digest + R"("]}})";
  const std::string config_digest = push_blob(ep, repo, config);
  ordered_json m = {{"schemaVersion", 2},
                    {"mediaType", kOciManifestType},
                    {"config",
                     {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                      {"size", config.size()},
                      {"digest", config_digest}}},
                    {"layers",
                     {{{"mediaType", kDsseType},
                       {"size", envelope.size()},
                       {"digest", layer_digest},
                       {"annotations", {{kSigAnnotation, ""}, {"predicateType", kSlsa}}}}}}};
  push_manifest(ep, repo, "sha256-" + hex_of(digest) + ".att", m.dump(), kOciManifestType);
}

const std::string kEmptyIndex =
    std::string(R"({"schemaVersion":2,"mediaType":")") + kOciIndexType + R"(","manifests":[]})";

} // namespace

// --- (a) a "no referrers API" answer is one answer ---------------------------------------------

TEST_CASE("adversary: one 404 on a batch's first referrers listing fails at most the image hit",
          "[e2e][adversary][referrers]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  ReferrersProxy proxy(reg);
  auto digests = push_images(reg, 5);
  auto refs = refs_at(proxy.url(), digests);
  REQUIRE(sign_refs(key, refs, {"--format", "bundle"}).exit_code == kOk);
  for (const auto& d : digests) {
    REQUIRE(proxy.recorded_referrers("app", d).size() == 1);
    REQUIRE(get_manifest(reg, "app", referrers_tag_of(d)).status == 404); // the API lists them
  }

  for (const char* format : {"bundle", "both"}) {
    INFO("--format " << format);
    proxy.clear_faults();
    proxy.inject({"GET", "/referrers/", Fault::http_status(404), 1});
    auto v = verify_refs(key, refs, {"--format", format, "--output", "json"});
    auto statuses = statuses_of(v);
    REQUIRE(statuses.size() == refs.size());
    CHECK(count_not(statuses, "verified") <= 1);
    for (const auto& s : statuses)
      CHECK((s == "verified" || s == "no-signature"));
    // The same batch without the fault: every image.
    proxy.clear_faults();
    CHECK(verify_refs(key, refs, {"--format", format}).exit_code == kOk);
  }

  // A 404 on a later listing (the API already known): again only the image it hit.
  proxy.clear_faults();
  proxy.inject({"GET", "/referrers/", Fault::pass(), 1});
  proxy.inject({"GET", "/referrers/", Fault::http_status(404), 1});
  auto later = verify_refs(key, refs, {"--format", "bundle", "--output", "json"});
  CHECK(count_not(statuses_of(later), "verified") <= 1);
}

TEST_CASE("adversary: a sign batch through one 404 on the referrers listing writes no index",
          "[e2e][adversary][referrers]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  ReferrersProxy proxy(reg);
  auto digests = push_images(reg, 3);
  auto refs = refs_at(proxy.url(), digests);
  proxy.inject({"GET", "/referrers/", Fault::http_status(404), 1});
  auto s = sign_refs(key, refs, {"--format", "bundle"});
  CHECK(s.exit_code == kOk);
  CHECK_FALSE(contains(s.err, "concurrent signer"));
  for (const auto& d : digests) {
    INFO(d);
    CHECK(proxy.recorded_referrers("app", d).size() == 1);
    // The registry has the API: the image hit by the 404 is confirmed through it (its PUT answered
    // OCI-Subject), no fallback index is written.
    CHECK(get_manifest(reg, "app", referrers_tag_of(d)).status == 404);
  }
  proxy.clear_faults();
  CHECK(verify_refs(key, refs, {"--format", "bundle"}).exit_code == kOk);
}

// Finding: the image whose listing was answered 404 once is "unsigned" for sign's look for its
// own bundle too: signing it again pushes a second referrer by the same key over the same
// statement, although README promises each format idempotent ("signing again with the same key
// and annotations is a no-op in each").
TEST_CASE("adversary: signing again through one 404 on the listing duplicates the bundle",
          "[e2e][adversary][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  REQUIRE(sign_refs(key, {proxied}, {"--format", "bundle"}).exit_code == kOk);
  REQUIRE(proxy.recorded_referrers("app", digest).size() == 1);

  proxy.inject({"GET", "/referrers/", Fault::http_status(404), 1});
  auto again = sign_refs(key, {proxied}, {"--format", "bundle"});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "already has this bundle"));
  CHECK(proxy.recorded_referrers("app", digest).size() == 1);
}

// Finding: after one 404 is remembered as "no API", an image whose index tag holds anything of
// its kind is judged by the index alone; the API, which lists its current signature, is not asked.
// On a registry that gained the API after images were signed through the tag schema (older
// bundles, another key or other annotations, in the index; the current ones listed by the API
// only), every image of the batch after the one hit fails verification (exit 1), where only the
// image hit may fail.
TEST_CASE("adversary: after one 404, an index of older bundles hides the API's signatures",
          "[e2e][adversary][referrers]") {
  RegistryFixture reg;
  TempDir dir;
  auto old_key = new_key_pair(dir, "old");
  auto key = new_key_pair(dir, "new");
  ReferrersProxy proxy(reg);
  auto digests = push_images(reg, 4);
  auto refs = refs_at(proxy.url(), digests);
  // Before the API: the listing 404 and no OCI-Subject, so the old bundles go to the index.
  proxy.inject({"GET", "/referrers/", Fault::http_status(404), -1});
  proxy.inject({"PUT", "/manifests/sha256:", Fault::set_header("OCI-Subject", "none"), -1});
  REQUIRE(sign_refs(old_key, refs, {"--format", "bundle"}).exit_code == kOk);
  for (const auto& d : digests)
    REQUIRE(indexed_referrers(reg, "app", d).size() == 1);
  // With the API: the new key's bundles are listed by it (no index write).
  proxy.clear_faults();
  REQUIRE(sign_refs(key, refs, {"--format", "bundle"}).exit_code == kOk);
  for (const auto& d : digests)
    REQUIRE(indexed_referrers(reg, "app", d).size() == 1);
  REQUIRE(verify_refs(key, refs, {"--format", "bundle"}).exit_code == kOk);

  proxy.inject({"GET", "/referrers/", Fault::http_status(404), 1});
  auto v = verify_refs(key, refs, {"--format", "bundle", "--output", "json"});
  CHECK(count_not(statuses_of(v), "verified") <= 1);
}

// --- (b) OCI-Subject is believed only with an API listing --------------------------------------

TEST_CASE("adversary: OCI-Subject added by a proxy on a registry without the API is not believed",
          "[e2e][adversary][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  FaultProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  // Every referrer PUT (by digest) is answered with OCI-Subject naming the image.
  proxy.inject({"PUT", "/manifests/sha256:", Fault::set_header("OCI-Subject", digest), -1});
  auto s = sign_refs(key, {proxied}, {"--format", "bundle"});
  REQUIRE(s.exit_code == kOk);
  auto listed = indexed_referrers(reg, "app", digest);
  CHECK(listed.size() == 1);
  CHECK(verify_refs(key, {proxied}, {"--format", "bundle"}).exit_code == kOk);
  // Straight to the registry (the statement names the proxy's host).
  CHECK(verify_refs(key, {ref}, {"--format", "bundle", "--skip-identity-check"}).exit_code == kOk);
  // Both formats, and a second key: the index keeps both referrers.
  auto other = new_key_pair(dir, "other");
  REQUIRE(sign_refs(other, {proxied}).exit_code == kOk);
  CHECK(indexed_referrers(reg, "app", digest).size() == 2);
  auto v = verify_refs(other, {proxied}, {"--format", "both", "--output", "json"});
  CHECK(v.exit_code == kOk);
}

// Finding: a registry whose referrers API answers (200, an OCI index) but never lists what is
// pushed, and whose referrer PUT does not answer OCI-Subject (it did not process the subject).
// sign sees the API not showing its referrer and writes the fallback index (as the spec asks of
// a client whose PUT was not processed for its subject), reports success, and then isign's own
// verify never reads that index: "no signature" for an image isign just signed.
TEST_CASE("adversary: a bundle sign wrote to the index because the API did not list it is "
          "found by verify",
          "[e2e][adversary][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  proxy.inject({"GET", "/referrers/", Fault::replace_body(kEmptyIndex), -1});
  proxy.inject({"PUT", "/manifests/sha256:", Fault::set_header("OCI-Subject", "none"), -1});
  auto s = sign_refs(key, {proxied}, {"--format", "bundle"});
  REQUIRE(s.exit_code == kOk);
  REQUIRE(indexed_referrers(reg, "app", digest).size() == 1); // sign wrote the fallback index
  auto v = verify_refs(key, {proxied}, {"--format", "bundle"});
  CHECK(v.exit_code == kOk);
  // And signing again finds it: no second referrer.
  auto again = sign_refs(key, {proxied}, {"--format", "bundle"});
  CHECK(again.exit_code == kOk);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
}

TEST_CASE("adversary: a registry without the API whose first listing answers as one",
          "[e2e][adversary][referrers]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  // The referrers proxy answers the first listing (an API), every later one is 404 (no API), and
  // no PUT is answered with OCI-Subject: a balancer in front of one upgraded replica, once.
  ReferrersProxy proxy(reg);
  auto flip = [&] {
    proxy.clear_faults();
    proxy.inject({"GET", "/referrers/", Fault::pass(), 1});
    proxy.inject({"GET", "/referrers/", Fault::http_status(404), -1});
    proxy.inject({"PUT", "/manifests/sha256:", Fault::set_header("OCI-Subject", "none"), -1});
  };
  auto digests = push_images(reg, 3);
  auto refs = refs_at(proxy.url(), digests);
  flip();
  auto s = sign_refs(key, refs, {"--format", "bundle"});
  REQUIRE(s.exit_code == kOk);
  // No listing after the first shows a referrer: each is in the index.
  for (const auto& d : digests)
    CHECK(indexed_referrers(reg, "app", d).size() == 1);
  flip();
  auto v = verify_refs(key, refs, {"--format", "bundle", "--output", "json"});
  CHECK(count_not(statuses_of(v), "verified") <= 1);
  // Straight to the registry (no API at all): every image.
  CHECK(
      verify_refs(key, refs_at(reg.url(), digests), {"--format", "bundle", "--skip-identity-check"})
          .exit_code == kOk);
}

// --- GitLab: the referrers tag answers the image itself ----------------------------------------

TEST_CASE("adversary: a referrers tag answering the image itself (GitLab) is no referrers index",
          "[e2e][adversary][referrers]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  auto digests = push_images(reg, 3);
  for (const auto& d : digests) {
    auto image = get_manifest(reg, "app", d);
    REQUIRE(image.status == 200);
    push_manifest(reg, "app", referrers_tag_of(d), image.body, image.header("content-type"));
  }
  auto refs = refs_at(reg.url(), digests);
  for (const char* format : {"both", "bundle", "legacy"}) {
    INFO("--format " << format);
    auto v = verify_refs(key, refs, {"--format", format, "--output", "json"});
    CHECK(v.exit_code == kNoSignature);
    CHECK(count_not(statuses_of(v), "no-signature") == 0);
  }
  REQUIRE(sign_refs(key, refs, {"--format", "legacy"}).exit_code == kOk);
  auto both = verify_refs(key, refs, {"--format", "both"});
  CHECK(both.exit_code == kOk);
  CHECK_FALSE(contains(both.err, "not read"));
  auto bundle = verify_refs(key, refs, {"--format", "bundle"});
  CHECK(bundle.exit_code == kNoSignature);
  CHECK(contains(bundle.err, "a .sig (cosign v2) is stored"));
  // Writing a bundle would rewrite the image's own tag: refused, the tag left as it was.
  auto s = sign_refs(key, {refs[0]}, {"--format", "bundle"});
  CHECK(s.exit_code == kRegistryError);
  CHECK(contains(s.err, "the image itself"));
  CHECK(get_manifest(reg, "app", referrers_tag_of(digests[0])).body ==
        get_manifest(reg, "app", digests[0]).body);
}

// --- (c) kinds: an attestation is never a signature --------------------------------------------

TEST_CASE("adversary: an image with only an attestation bundle is unsigned",
          "[e2e][adversary][kinds]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string bundle = attestation_bundle(key, digest, kSlsa);
  const std::string referrer = attach_bundle_referrer(reg, "app", digest, bundle, kSlsa);
  auto check_unsigned = [&](const std::string& target) {
    for (const char* format : {"both", "bundle", "legacy"}) {
      INFO(target << " --format " << format);
      auto v = verify_refs(key, {target}, {"--format", format, "--output", "json"});
      CHECK(v.exit_code == kNoSignature);
      CHECK(statuses_of(v) == std::vector<std::string>{"no-signature"});
    }
    auto t = isign_cmd("triangulate", {"--allow-http-registry", "--type", "bundle"}, {target});
    CHECK(t.exit_code == kNoSignature);
    CHECK(t.out.empty());
  };
  SECTION("listed in the index, with its annotations") {
    check_unsigned(ref);
  }
  SECTION("listed in the index without annotations or artifactType (older cosign 3.x)") {
    auto m = get_manifest(reg, "app", referrer);
    list_only(reg, "app", digest,
              {ordered_json{
                  {"mediaType", kOciManifestType}, {"size", m.body.size()}, {"digest", referrer}}});
    check_unsigned(ref);
  }
  SECTION("listed by the referrers API") {
    ReferrersProxy proxy(reg);
    // Pushed again through the proxy, so that its API records it.
    auto m = get_manifest(reg, "app", referrer);
    push_manifest(proxy, "app", referrer, m.body, kOciManifestType);
    REQUIRE(proxy.recorded_referrers("app", digest).size() == 1);
    check_unsigned(proxy.ref("app@" + digest));
  }
  SECTION("beside a signature bundle: only the signature is counted, the attestation is kept") {
    REQUIRE(sign_image(reg, key, {"--format", "bundle", ref}).exit_code == kOk);
    auto listed = indexed_referrers(reg, "app", digest);
    CHECK(listed.size() == 2);
    CHECK(std::find(listed.begin(), listed.end(), referrer) != listed.end());
    auto v = verify_refs(key, {ref}, {"--format", "bundle", "--output", "json"});
    CHECK(v.exit_code == kOk);
    auto doc = report_of(v);
    REQUIRE(doc["results"][0]["manifests"].size() == 1);
    CHECK(doc["results"][0]["manifests"][0]["signatures"].size() == 1);
    // Signing again with the same key: nothing new, the attestation still listed.
    auto again = sign_image(reg, key, {"--format", "bundle", ref});
    CHECK(again.exit_code == kOk);
    CHECK(contains(again.err, "already has this bundle"));
    CHECK(indexed_referrers(reg, "app", digest) == listed);
  }
}

TEST_CASE("adversary: an image with only a legacy .att is unsigned", "[e2e][adversary][kinds]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  push_legacy_attestation(reg, "app", key, digest);
  for (const char* format : {"both", "bundle", "legacy"}) {
    INFO("--format " << format);
    auto v = verify_refs(key, {ref}, {"--format", format, "--output", "json"});
    CHECK(v.exit_code == kNoSignature);
    CHECK(statuses_of(v) == std::vector<std::string>{"no-signature"});
  }
  // Signing writes the .sig beside it; the .att is left as it was.
  const std::string att_tag = "sha256-" + hex_of(digest) + ".att";
  const std::string before = get_manifest(reg, "app", att_tag).body;
  REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(get_manifest(reg, "app", att_tag).body == before);
  CHECK(verify_refs(key, {ref}, {"--format", "legacy"}).exit_code == kOk);
}

// --- the batch: sign's output and exit codes ---------------------------------------------------

TEST_CASE("adversary: sign with the referrer PUT refused says what was written",
          "[e2e][adversary][batch]") {
  for (int status : {400, 500}) {
    DYNAMIC_SECTION("referrer PUT answered " << status) {
      SignScene scene;
      auto& [reg, dir, key, digest, ref] = scene;
      FaultProxy proxy(reg);
      proxy.inject({"PUT", "/manifests/sha256:", Fault::http_status(status), -1});
      auto s = sign_refs(key, {proxy.ref("app@" + digest)});
      CHECK(s.exit_code == kRegistryError);
      CHECK(contains(s.err, "Pushing signature to: " + proxy.ref("app") + "\n"));
      CHECK(contains(s.err, "Pushing bundle to: " + proxy.ref("app") + "\n"));
      CHECK(contains(s.err, "isign: error: signing '" + proxy.ref("app@" + digest) +
                                "': the signature (cosign v2 .sig) was written, but the bundle "
                                "(cosign v3 referrer) was not (run sign again to complete it)"));
      CHECK(error_lines(s) == 1);
      CHECK_FALSE(contains(s.err, "concurrent signer"));
      CHECK(sig_layer_count(reg, "app", digest) == 1);
      CHECK(indexed_referrers(reg, "app", digest).empty());
    }
  }
}

TEST_CASE("adversary: sign with the .sig PUT refused says the bundle was written",
          "[e2e][adversary][batch]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  FaultProxy proxy(reg);
  proxy.inject({"PUT", "/manifests/" + sig_tag_of(digest), Fault::http_status(403), -1});
  auto s = sign_refs(key, {proxy.ref("app@" + digest)});
  CHECK(s.exit_code == kRegistryError);
  CHECK(contains(s.err, "the bundle (cosign v3 referrer) was written, but the signature (cosign "
                        "v2 .sig) was not (run sign again to complete it)"));
  CHECK(error_lines(s) == 1);
  CHECK(sig_layer_count(reg, "app", digest) == 0);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
  proxy.clear_faults();
  auto again = sign_refs(key, {proxy.ref("app@" + digest)});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "already has this bundle"));
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
}

TEST_CASE("adversary: sign --upload=false writes the outputs and nothing to the registry",
          "[e2e][adversary][batch]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  FaultProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  for (const char* format : {"both", "legacy", "bundle"}) {
    INFO("--format " << format);
    const std::string sig_file = dir / (std::string(format) + ".sig");
    const std::string payload_file = dir / (std::string(format) + ".payload");
    auto s = sign_refs(key, {proxied},
                       {"--format", format, "--upload=false", "--output-signature", sig_file,
                        "--output-payload", payload_file});
    CHECK(s.exit_code == kOk);
    CHECK(s.out.empty());
    CHECK_FALSE(contains(s.err, "Pushing"));
    CHECK_FALSE(contains(s.err, "warning"));
    const std::string payload = read_text(payload_file);
    const std::string sig = read_text(sig_file);
    CHECK(contains(payload, hex_of(digest)));
    if (std::string(format) == "bundle") {
      CHECK(contains(payload, kSignPredicate));
      CHECK(signature_verifies(key + ".pub", pae_of(kInTotoType, payload), sig));
    } else {
      CHECK(contains(payload, "docker-manifest-digest"));
      CHECK(signature_verifies(key + ".pub", payload, sig));
    }
  }
  CHECK(proxy.count("PUT") == 0);
  CHECK(proxy.count("POST") == 0);
  CHECK(proxy.count("PATCH") == 0);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);
  // Two references with the outputs: a usage error before anything is signed.
  auto two = sign_refs(key, {proxied, proxied}, {"--output-signature", dir / "x.sig"});
  CHECK(two.exit_code == kUsage);
}

TEST_CASE("adversary: sign warns once per reference named by tag, in the order given",
          "[e2e][adversary][batch]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  auto digests = push_images(reg, 2);
  auto s = sign_refs(key, {reg.ref("app:v0"), reg.ref("app@" + digests[1]), reg.ref("app:v1")});
  CHECK(s.exit_code == kOk);
  const std::string warning0 = "isign: warning: '" + reg.ref("app:v0") +
                               "' names the image by tag, and a tag can be moved to another "
                               "image at any time. Signing the digest it points to now: " +
                               reg.ref("app@" + digests[0]) +
                               ". Name images by digest to be sure what you sign.\n";
  const std::string warning1 = "isign: warning: '" + reg.ref("app:v1") +
                               "' names the image by tag, and a tag can be moved to another "
                               "image at any time. Signing the digest it points to now: " +
                               reg.ref("app@" + digests[1]) +
                               ". Name images by digest to be sure what you sign.\n";
  CHECK(count_of(s.err, "names the image by tag") == 2);
  REQUIRE(contains(s.err, warning0));
  REQUIRE(contains(s.err, warning1));
  CHECK(s.err.find(warning0) < s.err.find(warning1));
  // Each warning comes before the lines of its own reference.
  CHECK(s.err.find(warning0) < s.err.find("Pushing signature"));
  CHECK(sig_layer_count(reg, "app", digests[0]) == 1);
  CHECK(sig_layer_count(reg, "app", digests[1]) == 1);
}

TEST_CASE("adversary: a batch with failing references signs the rest, exit code of the first",
          "[e2e][adversary][batch]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  auto digests = push_images(reg, 3);
  FaultProxy proxy(reg);
  // digests[2]'s .sig cannot be written (exit 7); app:missing does not exist (exit 8).
  proxy.inject({"PUT", "/manifests/" + sig_tag_of(digests[2]), Fault::http_status(403), -1});
  const std::string missing = proxy.ref("app:missing");
  const std::string refused = proxy.ref("app@" + digests[2]);

  auto first =
      sign_refs(key, {proxy.ref("app@" + digests[0]), missing, refused}, {"--format", "legacy"});
  CHECK(first.exit_code == kNotFound);
  CHECK(error_lines(first) == 2);
  REQUIRE(contains(first.err, "signing '" + missing + "'"));
  REQUIRE(contains(first.err, "signing '" + refused + "'"));
  CHECK(first.err.find("signing '" + missing + "'") < first.err.find("signing '" + refused + "'"));
  CHECK(sig_layer_count(reg, "app", digests[0]) == 1);
  CHECK(sig_layer_count(reg, "app", digests[2]) == 0);

  auto second =
      sign_refs(key, {refused, missing, proxy.ref("app@" + digests[1])}, {"--format", "legacy"});
  CHECK(second.exit_code == kRegistryError);
  CHECK(error_lines(second) == 2);
  CHECK(sig_layer_count(reg, "app", digests[1]) == 1);
  CHECK(sig_layer_count(reg, "app", digests[2]) == 0);

  // Both formats: a missing image is one error, not one per format.
  auto both = sign_refs(key, {missing});
  CHECK(both.exit_code == kNotFound);
  CHECK(error_lines(both) == 1);
}

// Finding: two references to the same image in one run (app:1.2 and app:latest, or a digest
// named twice) attach the bundle twice concurrently; each finds no bundle of its own before the
// other pushes, so the image ends up with two referrers by one key over one statement, where
// README promises each format idempotent.
TEST_CASE("adversary: one image named twice in a batch gets one bundle per key",
          "[e2e][adversary][batch]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  push_manifest(reg, "app", "latest", get_manifest(reg, "app", digest).body, kOciManifestType);
  auto s = sign_refs(key, {reg.ref("app:v1"), reg.ref("app:latest"), ref});
  CHECK(s.exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
}

// --- concurrent signers ------------------------------------------------------------------------

TEST_CASE("adversary: concurrent batch signers over the same images lose no signature",
          "[e2e][adversary][concurrency]") {
  RegistryFixture reg;
  TempDir dir;
  auto digests = push_images(reg, 3);
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i)
    keys.push_back(new_key_pair(dir, "k" + std::to_string(i)));
  auto run_signers = [&](const std::vector<std::string>& refs) {
    std::vector<RunResult> results(keys.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < keys.size(); ++i)
      threads.emplace_back([&, i] {
        // Each process names the images in another order.
        std::vector<std::string> order = refs;
        std::rotate(order.begin(), order.begin() + static_cast<long>(i), order.end());
        results[i] =
            run_isign(with({"sign", "--allow-http-registry", "--key", keys[i] + ".key"}, order),
                      with_password());
      });
    for (auto& t : threads)
      t.join();
    for (const auto& r : results) {
      INFO(r.err);
      CHECK(r.exit_code == kOk);
    }
  };
  auto verify_each = [&](const std::vector<std::string>& refs) {
    for (const auto& k : keys) {
      INFO(k);
      auto v = verify_refs(k, refs, {"--format", "both"});
      CHECK(v.exit_code == kOk);
      CHECK(count_of(v.err, "1 legacy, 1 bundle") == refs.size());
    }
  };
  SECTION("without the referrers API: the .sig and the index") {
    auto refs = refs_at(reg.url(), digests);
    run_signers(refs);
    for (const auto& d : digests) {
      INFO(d);
      CHECK(sig_layer_count(reg, "app", d) == keys.size());
      auto listed = indexed_referrers(reg, "app", d);
      CHECK(listed.size() == keys.size());
      CHECK(std::set<std::string>(listed.begin(), listed.end()).size() == listed.size());
    }
    verify_each(refs);
  }
  SECTION("with the referrers API: the .sig and the API") {
    ReferrersProxy proxy(reg);
    auto refs = refs_at(proxy.url(), digests);
    run_signers(refs);
    for (const auto& d : digests) {
      INFO(d);
      CHECK(sig_layer_count(reg, "app", d) == keys.size());
      CHECK(proxy.recorded_referrers("app", d).size() == keys.size());
      CHECK(get_manifest(reg, "app", referrers_tag_of(d)).status == 404);
    }
    verify_each(refs);
  }
}
