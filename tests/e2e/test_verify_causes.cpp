// verify keeps causes apart: one exit code and one report status per cause, against the real
// registry (and the fault proxy in front of it for throttling and registry errors); flooding
// limits; several keys and thresholds; idempotent signing.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "keys/keys.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"

using namespace isign::testing;
using nlohmann::json;
namespace cli = isign::cli;

namespace {

const std::vector<std::string> kHttp = {"--allow-http-registry"};

// A .sig manifest of `layers` simple-signing layers over one junk payload blob, each with its own
// junk signature, pushed to repo for digest.
void push_junk_signatures(const RegistryEndpoint& ep, const std::string& repo,
                          const std::string& digest, std::size_t layers) {
  std::string payload = "junk payload";
  std::string payload_digest = push_blob(ep, repo, payload);
  std::string config = "{}";
  std::string config_digest = push_blob(ep, repo, config);
  std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                  R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,)"
                  R"("digest":")" +
                  config_digest + R"("},"layers":[)";
  for (std::size_t i = 0; i < layers; ++i) {
    if (i)
      m += ",";
    m += R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
         std::to_string(payload.size()) + R"(,"digest":")" + payload_digest +
         R"(","annotations":{"dev.cosignproject.cosign/signature":")" +
         isign::common::base64_encode("junk signature number " + std::to_string(100000 + i)) +
         R"("}})";
  }
  m += "]}";
  push_manifest(ep, repo, sig_tag_of(digest), m, kOciManifestType);
}

// The peak RSS isign reported with ISIGN_DEBUG_STATS=1 ("peak-rss-kib: N"), or -1.
long peak_rss_kib(const RunResult& r) {
  auto pos = r.err.find("peak-rss-kib: ");
  return pos == std::string::npos ? -1 : std::stol(r.err.substr(pos + 14));
}

RunOptions with_stats() {
  RunOptions o;
  o.env = {{"ISIGN_DEBUG_STATS", "1"}};
  return o;
}

// A SignScene with app:v1 signed by its key, and verify flags (plain HTTP, that key, the JSON
// report) for it.
struct SignedImage : SignScene {
  std::vector<std::string> flags = with(kHttp, with(key_flags({key}), {"--output", "json"}));
  SignedImage() { REQUIRE(sign_image(reg, key, {ref}).exit_code == 0); }
  // verify with those flags of app@digest through proxy (in front of reg).
  RunResult verify_via(const FaultProxy& proxy) const {
    return verify_image(flags, {proxy.ref("app@" + digest)});
  }
};

} // namespace

TEST_CASE("verify causes: each cause has its exit code and report status",
          "[e2e][verify][causes]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  auto other = new_key_pair(dir, "other");
  std::string good = push_random_image(reg, "app", "good");
  std::string forged = push_random_image(reg, "app", "forged");
  std::string bare = push_random_image(reg, "app", "bare");
  std::string flooded = push_random_image(reg, "app", "flooded");
  REQUIRE(sign_image(reg, key, {reg.ref("app@" + good)}).exit_code == 0);
  REQUIRE(sign_image(reg, other, {reg.ref("app@" + forged)}).exit_code == 0);
  push_junk_signatures(reg, "app", flooded, 101);
  const std::string missing = "sha256:" + std::string(64, 'e');
  const auto flags = with(reg.client_flags(), with(key_flags({key}), {"--output", "json"}));

  struct Case {
    std::string ref;
    int exit_code;
    const char* status;
    const char* message;
  };
  const std::vector<Case> cases = {
      {reg.ref("app@" + good), cli::kOk, "verified", ""},
      {reg.ref("app@" + forged), cli::kVerificationFailed, "invalid", "bad-signature"},
      {reg.ref("app@" + bare), cli::kNoSignature, "no-signature", "no signatures found"},
      {reg.ref("app@" + missing), cli::kNotFound, "not-found", "not found"},
      {reg.ref("nothing:here"), cli::kNotFound, "not-found", "not found"},
      {reg.ref("app@" + flooded), cli::kLimit, "limit",
       "101 signatures are stored (.sig layers and bundles), more than the limit of 100"},
  };
  for (const auto& c : cases) {
    INFO(c.ref);
    auto r = verify_image(flags, {c.ref});
    CHECK(r.exit_code == c.exit_code);
    auto doc = report_of(r);
    CHECK(doc["schemaVersion"] == 2);
    CHECK(doc["exitCode"] == c.exit_code);
    REQUIRE(doc["results"].size() == 1);
    const auto& res = doc["results"][0];
    CHECK(res["reference"] == c.ref);
    CHECK(res["status"] == c.status);
    CHECK(res["exitCode"] == c.exit_code);
    if (c.exit_code == cli::kOk) {
      CHECK(res["error"].is_null());
    } else {
      REQUIRE(res["error"].is_string());
      CHECK(contains(res["error"].get<std::string>(), c.message));
      CHECK(contains(r.err, c.message));
    }
  }

  SECTION("usage errors exit 2 before any request") {
    CHECK(verify_image(with(reg.client_flags(), with(key_flags({key}), {"--threshold", "2"})),
                       {reg.ref("app@" + good)})
              .exit_code == cli::kUsage);
    CHECK(verify_image(with(reg.client_flags(), with(key_flags({key}), {"--platform", "linux"})),
                       {reg.ref("app@" + good)})
              .exit_code == cli::kUsage);
    CHECK(verify_image(with(reg.client_flags(), with(key_flags({key}), {"--output", "yaml"})),
                       {reg.ref("app@" + good)})
              .exit_code == cli::kUsage);
    CHECK(verify_image(reg.client_flags(), {reg.ref("app@" + good)}).exit_code == cli::kUsage);
  }

  SECTION("the report of several images, field by field") {
    auto r = verify_image(
        flags, {reg.ref("app@" + good), reg.ref("app@" + forged), reg.ref("app@" + bare)});
    CHECK(r.exit_code == cli::kVerificationFailed); // the first failure's code
    auto doc = report_of(r);
    CHECK(doc["exitCode"] == cli::kVerificationFailed);
    REQUIRE(doc["results"].size() == 3);
    // Field order as documented: parsed again keeping the order.
    const auto ordered = nlohmann::ordered_json::parse(r.out);
    std::vector<std::string> keys;
    for (auto it = ordered.begin(); it != ordered.end(); ++it)
      keys.push_back(it.key());
    CHECK(keys == std::vector<std::string>{"schemaVersion", "exitCode", "results"});
    std::vector<std::string> result_keys;
    const auto& first = ordered["results"][0];
    for (auto it = first.begin(); it != first.end(); ++it)
      result_keys.push_back(it.key());
    CHECK(result_keys == std::vector<std::string>{"reference", "scope", "digest", "mediaType",
                                                  "status", "exitCode", "error", "manifests"});

    const auto& ok = doc["results"][0];
    CHECK(ok["scope"] == "--key");
    CHECK(ok["digest"] == good);
    // Verified by digest without reading the manifest: its media type is not known.
    CHECK(ok["mediaType"].is_null());
    REQUIRE(ok["manifests"].size() == 1);
    const auto& m = ok["manifests"][0];
    CHECK(m["digest"] == good);
    CHECK(m["role"] == "image");
    CHECK(m["platform"].is_null());
    CHECK(m["status"] == "verified");
    CHECK(m["requirements"] ==
          json::parse(R"([{"type":"sigstoreSigned","threshold":1,"identity":"matchRepository",)"
                      R"("validKeys":[")" +
                      key_id_of(key) + R"("],"satisfied":true}])"));
    REQUIRE(m["signatures"].size() == 1);
    const auto& sig = m["signatures"][0];
    std::vector<std::string> fields;
    const auto& ordered_sig = ordered["results"][0]["manifests"][0]["signatures"][0];
    for (auto it = ordered_sig.begin(); it != ordered_sig.end(); ++it)
      fields.push_back(it.key());
    CHECK(fields == std::vector<std::string>{"index", "format", "where", "payloadDigest", "status",
                                             "reason", "message", "keyId", "identityChecked",
                                             "payload"});
    CHECK(sig["format"] == "legacy");
    CHECK(sig["where"] == reg.ref("app:sha256-" + good.substr(7) + ".sig"));
    CHECK(sig["identityChecked"] == true);
    CHECK(sig["index"] == 0);
    CHECK(sig["status"] == "valid");
    CHECK(sig["reason"].is_null());
    CHECK(sig["keyId"] == key_id_of(key));
    // The signed payload itself, as the default (cosign) output would have printed it.
    CHECK(sig["payload"]["critical"]["image"]["docker-manifest-digest"] == good);
    CHECK(sig["payload"]["critical"]["identity"]["docker-reference"] == reg.url() + "/app");

    const auto& bad = doc["results"][1]["manifests"][0];
    CHECK(bad["status"] == "invalid");
    CHECK(bad["signatures"][0]["status"] == "invalid");
    CHECK(bad["signatures"][0]["reason"] == "bad-signature");
    CHECK(bad["signatures"][0]["message"] == "the signature does not verify with the given key");
    CHECK(bad["signatures"][0]["keyId"].is_null());
    CHECK(bad["signatures"][0]["payload"].is_null());
    CHECK(bad["requirements"][0]["satisfied"] == false);

    const auto& none = doc["results"][2];
    CHECK(none["status"] == "no-signature");
    CHECK(none["manifests"][0]["signatures"].empty());
  }

  SECTION("--output cosign, the default, is cosign's payload array") {
    auto r = verify_image(with(reg.client_flags(), with(key_flags({key}), {"--output", "cosign"})),
                          {reg.ref("app@" + good)});
    CHECK(r.exit_code == cli::kOk);
    CHECK(json::parse(r.out).is_array());
  }

  SECTION("--report FILE keeps cosign's stdout") {
    auto r =
        verify_image(with(reg.client_flags(), with(key_flags({key}), {"--report", dir / "r.json"})),
                     {reg.ref("app@" + good)});
    CHECK(r.exit_code == cli::kOk);
    CHECK(r.out.front() == '[');
    auto doc = json::parse(read_text(dir / "r.json"));
    CHECK(doc["results"][0]["status"] == "verified");
  }
}

TEST_CASE("verify causes: a registry that is down, or failing, is not 'unsigned'",
          "[e2e][verify][causes]") {
  SignedImage image;

  SECTION("down: exit 6, network-error") {
    RefusingPort down;
    auto r = verify_image(image.flags, {down.address() + "/app@" + image.digest});
    CHECK(r.exit_code == cli::kNetwork);
    CHECK(report_of(r)["results"][0]["status"] == "network-error");
  }
  SECTION("500 on the .sig manifest: exit 7, registry-error") {
    FaultProxy proxy(image.reg);
    proxy.inject({"GET", ".sig", Fault::http_status(500), -1});
    auto r = image.verify_via(proxy);
    CHECK(r.exit_code == cli::kRegistry);
    CHECK(report_of(r)["results"][0]["status"] == "registry-error");
    CHECK_FALSE(contains(r.err, "no signatures"));
    CHECK(proxy.count("GET", ".sig") == 4); // the first try and 3 retries
  }
  SECTION("401 on the payload blob: exit 7, registry-error") {
    FaultProxy proxy(image.reg);
    proxy.inject({"GET", "/blobs/", Fault::http_status(403), -1});
    auto r = image.verify_via(proxy);
    CHECK(r.exit_code == cli::kRegistry);
    CHECK(report_of(r)["results"][0]["status"] == "registry-error");
  }
}

TEST_CASE("verify causes: a registry that keeps throttling is reported as throttled",
          "[e2e][verify][causes][throttle]") {
  SignedImage image;
  // Where the 429s come: every request, only the .sig manifest (where "unsigned" would be the
  // tempting wrong answer), only the payload blob.
  struct Where {
    const char* method;
    const char* path;
  };
  auto where = GENERATE(Where{"", ""}, Where{"GET", ".sig"}, Where{"GET", "/blobs/"});
  INFO("429 on " << where.method << " " << where.path);
  FaultProxy proxy(image.reg);
  proxy.inject({where.method, where.path, Fault::throttle(0), -1});
  Timer timer;
  auto r = image.verify_via(proxy);
  CHECK(r.exit_code == cli::kThrottled);
  auto doc = report_of(r);
  CHECK(doc["results"][0]["status"] == "throttled");
  CHECK(contains(r.err, "429"));
  CHECK(contains(r.err, "kept throttling"));
  CHECK_FALSE(contains(r.err, "no signatures"));
  CHECK(timer.seconds() < 60);
  // 429 is retried a bounded number of times (1 + 3); the bundle discovery adds the referrers
  // API and the referrers index (both 404 here).
  CHECK(proxy.count("", "") <= 4 + 2 + 2);
}

// The memory bound of a verify run: ASan's shadow memory and quarantine multiply a process's
// resident set, so the sanitizer build (of isign; the harness is not instrumented) gets a looser
// bound.
#if defined(ISIGN_BINARY_SANITIZED)
constexpr long kMaxVerifyRssKib = 256 * 1024;
#else
constexpr long kMaxVerifyRssKib = 32 * 1024;
#endif

TEST_CASE("verify causes: 1,000 junk signature layers are refused by the layer limit, quickly "
          "and in bounded memory",
          "[e2e][verify][causes][limits]") {
  RegistryFixture reg;
  TempDir dir;
  auto priv = isign::keys::generate_ecdsa_p256();
  REQUIRE(priv);
  write_text(dir / "k.pub", priv->public_key_pem());
  std::string digest = push_random_image(reg, "app", "v1");
  push_junk_signatures(reg, "app", digest, 1000);
  FaultProxy proxy(reg);
  const std::string ref = proxy.ref("app@" + digest);

  Timer timer;
  auto r =
      verify_image(with(kHttp, {"--key", dir / "k.pub", "--output", "json"}), {ref}, with_stats());
  const double seconds = timer.seconds();
  CHECK(r.exit_code == cli::kLimit);
  CHECK(contains(
      r.err, "1000 signatures are stored (.sig layers and bundles), more than the limit of 100"));
  CHECK(report_of(r)["results"][0]["status"] == "limit");
  CHECK(proxy.count("GET", "/blobs/") == 0); // not one payload fetched
  CHECK(seconds < 5);
  const long rss = peak_rss_kib(r);
  INFO("peak RSS of isign: " << rss << " KiB; " << seconds << " s");
  CHECK(rss > 0);
  CHECK(rss < kMaxVerifyRssKib);
  // GET the .sig manifest, the bundle discovery (the referrers API twice, as one 404 is not
  // believed, and the referrers index, 404 all), and, as the check failed, HEAD the image
  // (missing or not?): no more.
  CHECK(contains(r.err, "requests: 5\n"));

  // Raising the limit evaluates them all: one payload fetch (the same blob), 1000 bad signatures,
  // still bounded.
  timer = Timer{};
  auto all = verify_image(
      with(kHttp, {"--key", dir / "k.pub", "--max-signature-layers", "1000", "--output", "json"}),
      {ref}, with_stats());
  CHECK(all.exit_code == cli::kVerificationFailed);
  auto doc = report_of(all);
  CHECK(doc["results"][0]["manifests"][0]["signatures"].size() == 1000);
  CHECK(contains(all.err, "no valid signature among 1000"));
  CHECK(contains(all.err, "and 990 more"));
  CHECK(proxy.count("GET", "/blobs/") == 1);
  CHECK(timer.seconds() < 30);
  INFO("peak RSS evaluating 1000 layers: " << peak_rss_kib(all) << " KiB");
  CHECK(peak_rss_kib(all) > 0);
  CHECK(peak_rss_kib(all) < kMaxVerifyRssKib);

  // An oversized payload is not fetched, and the outcome is "limit", not "invalid".
  auto small = verify_image(with(kHttp, {"--key", dir / "k.pub", "--max-signature-layers", "1000",
                                         "--max-payload-size", "4"}),
                            {ref});
  CHECK(small.exit_code == cli::kLimit);
  CHECK(contains(small.err, "more than the limit of 4"));
}

TEST_CASE("verify: several keys and a threshold of distinct signers", "[e2e][verify][threshold]") {
  RegistryFixture reg;
  TempDir dir;
  auto k1 = new_key_pair(dir, "k1");
  auto k2 = new_key_pair(dir, "k2");
  auto k3 = new_key_pair(dir, "k3");
  std::string two = push_random_image(reg, "app", "two");
  std::string one = push_random_image(reg, "app", "one");
  for (const auto& k : {k1, k2})
    REQUIRE(sign_image(reg, k, {reg.ref("app@" + two)}).exit_code == 0);
  REQUIRE(sign_image(reg, k1, {reg.ref("app@" + one)}).exit_code == 0);
  // k1 signs again with an annotation: two valid layers, still one distinct key.
  REQUIRE(sign_image(reg, k1, {"-a", "run=2", reg.ref("app@" + one)}).exit_code == 0);
  const auto all3 = with(reg.client_flags(), key_flags({k1, k2, k3}));

  CHECK(verify_image(with(all3, {"--threshold", "2"}), {reg.ref("app@" + two)}).exit_code ==
        cli::kOk);
  auto short_of =
      verify_image(with(all3, {"--threshold", "2", "--output", "json"}), {reg.ref("app@" + one)});
  CHECK(short_of.exit_code == cli::kVerificationFailed);
  CHECK(contains(short_of.err, "valid signatures from 1 distinct key (" + key_id_of(k1) +
                                   "), fewer than the threshold of 2"));
  auto doc = report_of(short_of);
  const auto& m = doc["results"][0]["manifests"][0];
  CHECK(m["signatures"].size() == 2);
  CHECK(m["signatures"][0]["status"] == "valid");
  CHECK(m["signatures"][1]["status"] == "valid");
  CHECK(m["requirements"][0]["threshold"] == 2);
  CHECK(m["requirements"][0]["validKeys"] == json::array({key_id_of(k1)}));

  CHECK(verify_image(with(all3, {"--threshold", "3"}), {reg.ref("app@" + two)}).exit_code ==
        cli::kVerificationFailed);
  // Any one of several keys (rotation) without a threshold.
  CHECK(verify_image(with(reg.client_flags(), key_flags({k3, k2})), {reg.ref("app@" + two)})
            .exit_code == cli::kOk);
  CHECK(verify_with_key(reg, k3, {reg.ref("app@" + two)}).exit_code == cli::kVerificationFailed);
  // The same key file twice is one key.
  auto twice =
      verify_image(with(reg.client_flags(), with(key_flags({k1, k1}), {"--threshold", "2"})),
                   {reg.ref("app@" + two)});
  CHECK(twice.exit_code == cli::kUsage);
  CHECK(contains(twice.err, "--threshold 2 needs 2 distinct keys, but 1 were given"));
}

TEST_CASE("verify: exact annotations (k= wants k present and empty)", "[e2e][verify]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_image(reg, key, {"-a", "env=", "-a", "team=a", ref}).exit_code == 0);
  const auto flags = with(reg.client_flags(), key_flags({key}));
  CHECK(verify_image(with(flags, {"-a", "env="}), {ref}).exit_code == cli::kOk);
  CHECK(verify_image(with(flags, {"-a", "team=a", "-a", "env="}), {ref}).exit_code == cli::kOk);
  auto absent = verify_image(with(flags, {"-a", "absent="}), {ref});
  CHECK(absent.exit_code == cli::kVerificationFailed);
  CHECK(contains(absent.err, "annotation \"absent\" is missing"));
  auto value = verify_image(with(flags, {"-a", "env=prod"}), {ref});
  CHECK(value.exit_code == cli::kVerificationFailed);
  CHECK(contains(value.err, "annotation \"env\" is \"\", not \"prod\""));
}

TEST_CASE("sign: signing the same digest with the same key and annotations again adds no layer",
          "[e2e][sign][idempotent]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto layers = [&] { return sig_manifest_of(reg, "app", digest)["layers"].size(); };
  auto first = sign_image(reg, key, {"-a", "build=1", ref});
  REQUIRE(first.exit_code == 0);
  CHECK_FALSE(contains(first.err, "nothing pushed"));
  CHECK(layers() == 1);
  const std::string before = get_manifest(reg, "app", sig_tag_of(digest)).body;

  auto again = sign_image(reg, key, {"-a", "build=1", ref});
  CHECK(again.exit_code == 0);
  CHECK(
      contains(again.err, "already has this signature (same key and annotations); nothing pushed"));
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).body == before);

  // Other annotations are another signature.
  auto other = sign_image(reg, key, {"-a", "build=2", ref});
  CHECK(other.exit_code == 0);
  CHECK_FALSE(contains(other.err, "nothing pushed"));
  CHECK(layers() == 2);
  CHECK(verify_with_key(reg, key, {ref}).exit_code == cli::kOk);
}
