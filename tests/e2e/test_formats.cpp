// The two signature formats end to end (README "Two formats"; docs/formats.md sections 11 and 12):
// the legacy .sig tag and the sigstore bundle referrer, written and read by the built binary
// against a real docker-registry (no referrers API: the index at the sha256-<hex> tag), and through
// the referrers proxy (the API, with OCI-Subject). Tests named "BUG: ..." show an isign bug and
// fail until it is fixed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/bundle_support.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/referrers_proxy.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;

namespace {

// The summary of a verified image on stderr lists the valid signatures by format.
bool summary_says(const RunResult& r, const std::string& formats) {
  return contains(r.err, "signatures: " + formats + ")");
}

// The signatures of the first manifest of the first result of a --output json report.
json report_signatures(const RunResult& r) {
  auto doc = report_of(r);
  REQUIRE(doc["results"].size() == 1);
  REQUIRE(doc["results"][0]["manifests"].size() == 1);
  return doc["results"][0]["manifests"][0]["signatures"];
}

// stdout split into lines.
std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// REPO@DIGEST in the registry reg.url() for each digest: what triangulate --type bundle prints.
std::set<std::string> refs_of(const RegistryFixture& reg, const std::vector<std::string>& digests) {
  std::set<std::string> out;
  for (const auto& d : digests)
    out.insert(reg.ref("app@" + d));
  return out;
}

// n key pairs k0..k(n-1) in dir.
std::vector<std::string> key_pairs(const TempDir& dir, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i)
    keys.push_back(new_key_pair(dir, "k" + std::to_string(i)));
  return keys;
}

// Signs ref with each key at once, one isign process per key; every run must succeed.
void sign_concurrently(const RegistryFixture& reg, const std::vector<std::string>& keys,
                       const std::string& ref, const std::vector<std::string>& extra) {
  std::vector<std::thread> threads;
  std::vector<RunResult> results(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    threads.emplace_back([&, i] {
      RunOptions o;
      o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
      auto argv =
          with(with(with({"sign"}, reg.client_flags()), {"--key", keys[i] + ".key"}), extra);
      argv.push_back(ref);
      results[i] = run_isign(argv, o);
    });
  for (auto& t : threads)
    t.join();
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == kOk);
  }
}

} // namespace

// --- which format is written and read ----------------------------------------------------------

TEST_CASE("formats: default sign writes the .sig and one bundle referrer, each verifies alone",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);

  CHECK(sig_layer_count(reg, "app", digest) == 1);
  auto listed = indexed_referrers(reg, "app", digest);
  REQUIRE(listed.size() == 1);
  auto referrer = get_manifest(reg, "app", listed[0]);
  REQUIRE(referrer.status == 200);
  auto m = json::parse(referrer.body);
  CHECK(m["subject"]["digest"] == digest);
  CHECK(m["subject"]["mediaType"] == kOciManifestType);
  CHECK(m["artifactType"] == kBundleType);
  REQUIRE(m["layers"].size() == 1);
  CHECK(m["layers"][0]["mediaType"] == kBundleType);
  auto index = json::parse(get_manifest(reg, "app", referrers_tag_of(digest)).body);
  CHECK(index["manifests"][0]["artifactType"] == kBundleType);
  CHECK(index["manifests"][0]["size"] == referrer.body.size());

  auto flags = with(reg.client_flags(), key_flags({key}));
  // By default the .sig settles it; --format both reads and reports every signature.
  auto first = verify_image(flags, {ref});
  CHECK(first.exit_code == kOk);
  CHECK(summary_says(first, "1 legacy"));
  auto both = verify_image(with(flags, {"--format", "both"}), {ref});
  CHECK(both.exit_code == kOk);
  CHECK(summary_says(both, "1 legacy, 1 bundle"));
  auto legacy = verify_image(with(flags, {"--format", "legacy"}), {ref});
  CHECK(legacy.exit_code == kOk);
  CHECK(summary_says(legacy, "1 legacy"));
  auto bundle = verify_image(with(flags, {"--format", "bundle"}), {ref});
  CHECK(bundle.exit_code == kOk);
  CHECK(summary_says(bundle, "1 bundle"));
  CHECK(verify_image(with(flags, {"--new-bundle-format"}), {ref}).exit_code == kOk);
}

TEST_CASE("formats: a legacy-only signature is no bundle, and default verify still passes",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {"--format", "legacy", ref}).exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);

  auto flags = with(reg.client_flags(), key_flags({key}));
  auto bundle = verify_image(with(flags, {"--format", "bundle"}), {ref});
  CHECK(bundle.exit_code == kNoSignature);
  CHECK(contains(bundle.err, "no signature bundles found"));
  auto any = verify_image(flags, {ref});
  CHECK(any.exit_code == kOk);
  CHECK(summary_says(any, "1 legacy"));
}

TEST_CASE("formats: ISIGN_SIGNATURE_FORMAT and --new-bundle-format choose what sign writes",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::string second = push_random_image(reg, "app", "v2");

  REQUIRE(sign_default(reg, key, {ref}, {{"ISIGN_SIGNATURE_FORMAT", "bundle"}}).exit_code == kOk);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);

  REQUIRE(
      sign_default(reg, key, {"--new-bundle-format=false", reg.ref("app@" + second)}).exit_code ==
      kOk);
  CHECK(sig_layer_count(reg, "app", second) == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(second)).status == 404);

  // A flag wins over the environment.
  std::string third = push_random_image(reg, "app", "v3");
  REQUIRE(sign_default(reg, key, {"--format", "legacy", reg.ref("app@" + third)},
                       {{"ISIGN_SIGNATURE_FORMAT", "bundle"}})
              .exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", third) == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(third)).status == 404);
}

TEST_CASE("formats: contradicting or unknown format choices are usage errors", "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto contradiction =
      sign_default(reg, key, {"--format", "both", "--new-bundle-format=false", ref});
  CHECK(contradiction.exit_code == kUsage);
  CHECK(contains(contradiction.err, "--new-bundle-format"));
  auto nonsense = sign_default(reg, key, {"--format", "nonsense", ref});
  CHECK(nonsense.exit_code == kUsage);
  CHECK(contains(nonsense.err, "'nonsense'"));
  auto env = sign_default(reg, key, {ref}, {{"ISIGN_SIGNATURE_FORMAT", "sig"}});
  CHECK(env.exit_code == kUsage);
  CHECK(contains(env.err, "ISIGN_SIGNATURE_FORMAT is 'sig'"));
  auto cosign_flag = sign_default(reg, key, {"--new-bundle-format=maybe", ref});
  CHECK(cosign_flag.exit_code == kUsage);
  CHECK(contains(cosign_flag.err, "'maybe'"));
  auto verify =
      verify_image(with(reg.client_flags(), with(key_flags({key}), {"--format", "x"})), {ref});
  CHECK(verify.exit_code == kUsage);
  CHECK(contains(verify.err, "'x'"));
  // Nothing was written by the refused runs.
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);
}

// --- idempotence -------------------------------------------------------------------------------

TEST_CASE("formats: signing again adds nothing in either format, a second key adds one of each",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto other = new_key_pair(dir, "other");
  REQUIRE(sign_default(reg, key, {"-a", "env=prod", ref}).exit_code == kOk);
  std::string index_before = get_manifest(reg, "app", referrers_tag_of(digest)).body;

  auto again = sign_default(reg, key, {"-a", "env=prod", ref});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "already has this signature"));
  CHECK(contains(again.err, "already has this bundle"));
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).body == index_before);

  REQUIRE(sign_default(reg, other, {"-a", "env=prod", ref}).exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", digest) == 2);
  auto listed = indexed_referrers(reg, "app", digest);
  REQUIRE(listed.size() == 2);

  // With --format both the report lists all four, each with its format and where it was found;
  // those of `key` are valid, the others' are not.
  auto r = verify_image(
      with(reg.client_flags(), with(key_flags({key}), {"-o", "json", "--format", "both"})), {ref});
  CHECK(r.exit_code == kOk);
  CHECK(summary_says(r, "1 legacy, 1 bundle"));
  auto sigs = report_signatures(r);
  REQUIRE(sigs.size() == 4);
  std::map<std::string, int> valid, seen;
  std::set<std::string> bundle_wheres;
  for (const auto& s : sigs) {
    INFO(s.dump());
    const std::string format = s["format"];
    ++seen[format];
    if (s["status"] == "valid") {
      ++valid[format];
      CHECK(s["keyId"] == key_id_of(key));
      CHECK(s["identityChecked"] == true);
    }
    REQUIRE(s["where"].is_string());
    if (format == "legacy")
      CHECK(s["where"] == reg.ref("app:" + sig_tag_of(digest)));
    else
      bundle_wheres.insert(s["where"].get<std::string>());
  }
  CHECK(seen == std::map<std::string, int>{{"bundle", 2}, {"legacy", 2}});
  CHECK(valid == std::map<std::string, int>{{"bundle", 1}, {"legacy", 1}});
  CHECK(bundle_wheres == refs_of(reg, listed));
}

// --- the referrers API (through the proxy) -----------------------------------------------------

TEST_CASE("formats: with the referrers API no index tag is written and one listing per verify",
          "[e2e][formats][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  auto s = sign_via_http(proxied, key);
  REQUIRE(s.exit_code == kOk);
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);
  auto recorded = proxy.recorded_referrers("app", digest);
  REQUIRE(recorded.size() == 1);
  CHECK(contains(s.err, "pushed " + proxy.ref("app@" + recorded[0])));

  for (const char* format : {"both", "bundle"}) {
    INFO("--format " << format);
    const auto before = proxy.count("GET", "/referrers/");
    auto v = verify_via_http(proxied, key, {"--format", format});
    CHECK(v.exit_code == kOk);
    CHECK(summary_says(v, std::string(format) == "both" ? "1 legacy, 1 bundle" : "1 bundle"));
    CHECK(proxy.count("GET", "/referrers/") - before == 1);
  }
  // Signing again finds the bundle through the API too.
  auto again = sign_via_http(proxied, key);
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "already has this bundle"));
  CHECK(proxy.recorded_referrers("app", digest).size() == 1);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);
}

TEST_CASE("formats: a paged, unfiltered referrers API is read to the end",
          "[e2e][formats][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg, {.page_size = 1, .filter = false});
  const std::string proxied = proxy.ref("app@" + digest);
  auto keys = key_pairs(dir, 3);
  for (const auto& k : keys)
    REQUIRE(sign_via_http(proxied, k, {"--format", "bundle"}).exit_code == kOk);
  auto recorded = proxy.recorded_referrers("app", digest);
  REQUIRE(recorded.size() == 3);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).status == 404);
  // The key whose bundle is on the last page.
  const auto before = proxy.count("GET", "/referrers/");
  auto v = verify_via_http(proxied, keys[2], {"--format", "bundle"});
  CHECK(v.exit_code == kOk);
  CHECK(proxy.count("GET", "/referrers/") - before == 3);
  for (const auto& k : keys)
    CHECK(verify_via_http(proxied, k).exit_code == kOk);
  auto t = isign_cmd("triangulate", {"--allow-http-registry", "--type", "bundle"}, {proxied});
  REQUIRE(t.exit_code == kOk);
  std::set<std::string> expected;
  for (const auto& d : recorded)
    expected.insert(proxy.ref("app@" + d));
  auto printed = lines_of(t.out);
  CHECK(std::set<std::string>(printed.begin(), printed.end()) == expected);
  CHECK(printed.size() == 3);
}

// --- failures ----------------------------------------------------------------------------------

TEST_CASE("formats: a referrers listing that fails is never 'unsigned' for a bundle-only image",
          "[e2e][formats][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  REQUIRE(sign_via_http(proxied, key, {"--format", "bundle"}).exit_code == kOk);
  REQUIRE(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);

  struct Case {
    const char* name;
    Fault fault;
    int exit_code;
  };
  for (const auto& c : {Case{"429", Fault::throttle(0), kThrottled},
                        Case{"500", Fault::http_status(500), kRegistryError}}) {
    for (const char* format : {"both", "bundle"}) {
      INFO(c.name << ", --format " << format);
      proxy.clear_faults();
      proxy.inject({"GET", "/referrers/", c.fault, -1});
      const auto index_reads = proxy.count("GET", "/manifests/" + referrers_tag_of(digest)) -
                               proxy.count("GET", "/manifests/" + sig_tag_of(digest));
      auto v = verify_via_http(proxied, key, {"--format", format});
      CHECK(v.exit_code == c.exit_code);
      CHECK_FALSE(contains(v.err, "no signature"));
      // A failed listing is not taken for "no API": the index tag is not read instead.
      CHECK(proxy.count("GET", "/manifests/" + referrers_tag_of(digest)) -
                proxy.count("GET", "/manifests/" + sig_tag_of(digest)) ==
            index_reads);
    }
  }
}

TEST_CASE("formats: without the API, an index tag that cannot be read is an error, not unsigned",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  FaultProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  REQUIRE(sign_via_http(proxied, key, {"--format", "bundle"}).exit_code == kOk);
  REQUIRE(verify_via_http(proxied, key).exit_code == kOk);
  // The rule's path also matches the (absent) .sig tag: its GET fails the same way.
  proxy.inject({"GET", "/manifests/" + referrers_tag_of(digest), Fault::http_status(500), -1});
  CHECK(verify_via_http(proxied, key, {"--format", "bundle"}).exit_code == kRegistryError);
  CHECK(verify_via_http(proxied, key).exit_code == kRegistryError);
  proxy.clear_faults();
  proxy.inject({"GET", "/manifests/" + referrers_tag_of(digest), Fault::throttle(0), -1});
  CHECK(verify_via_http(proxied, key, {"--format", "bundle"}).exit_code == kThrottled);
}

TEST_CASE("formats: a valid .sig passes while the referrers listing fails, with a warning",
          "[e2e][formats][referrers]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  ReferrersProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  REQUIRE(sign_via_http(proxied, key).exit_code == kOk);
  for (auto fault : {Fault::throttle(0), Fault::http_status(500)}) {
    INFO(fault.name());
    proxy.clear_faults();
    proxy.inject({"GET", "/referrers/", fault, -1});
    // By default the .sig settles it and the referrers are not listed at all; --format both
    // lists them, and says what could not be read.
    const auto listed_before = proxy.count("GET", "/referrers/");
    auto quiet = verify_via_http(proxied, key);
    CHECK(quiet.exit_code == kOk);
    CHECK_FALSE(contains(quiet.err, "not read"));
    CHECK(proxy.count("GET", "/referrers/") == listed_before);
    auto v = verify_via_http(proxied, key, {"--format", "both"});
    CHECK(v.exit_code == kOk);
    CHECK(summary_says(v, "1 legacy"));
    CHECK(contains(v.err, "not read"));
    // Asked for bundles only, the failure decides; for the .sig only, nothing is listed.
    CHECK(verify_via_http(proxied, key, {"--format", "bundle"}).exit_code != kOk);
    const auto listings = proxy.count("GET", "/referrers/");
    auto legacy = verify_via_http(proxied, key, {"--format", "legacy"});
    CHECK(legacy.exit_code == kOk);
    CHECK_FALSE(contains(legacy.err, "not read"));
    CHECK(proxy.count("GET", "/referrers/") == listings);
    auto t = isign_cmd("triangulate", {"--allow-http-registry", "--type", "bundle"}, {proxied});
    CHECK(t.exit_code == (fault.kind == Fault::Kind::throttle ? kThrottled : kRegistryError));
    CHECK(t.out.empty());
  }
}

TEST_CASE("formats: a refused referrer PUT says the .sig was written, a rerun completes it",
          "[e2e][formats]") {
  struct Case {
    const char* name;
    Fault fault;
  };
  for (const auto& c : {Case{"401", Fault::http_status(401)}, Case{"500", Fault::http_status(500)},
                        Case{"stored, answered 500", Fault::stored_then_status(500)}}) {
    DYNAMIC_SECTION(c.name) {
      SignScene scene;
      auto& [reg, dir, key, digest, ref] = scene;
      FaultProxy proxy(reg);
      const std::string proxied = proxy.ref("app@" + digest);
      // By digest: the referrer manifest, never the .sig (a tag).
      proxy.inject({"PUT", "/manifests/sha256:", c.fault, -1});
      auto s = sign_via_http(proxied, key);
      CHECK(s.exit_code != kOk);
      CHECK(contains(s.err, "the signature (cosign v2 .sig) was written, but the bundle (cosign v3 "
                            "referrer) was not"));
      CHECK(sig_layer_count(reg, "app", digest) == 1);
      CHECK(indexed_referrers(reg, "app", digest).empty());

      proxy.clear_faults();
      auto again = sign_via_http(proxied, key);
      CHECK(again.exit_code == kOk);
      CHECK(contains(again.err, "already has this signature"));
      CHECK(sig_layer_count(reg, "app", digest) == 1);
      CHECK(indexed_referrers(reg, "app", digest).size() == 1);
      auto v = verify_via_http(proxied, key, {"--format", "both"});
      CHECK(v.exit_code == kOk);
      CHECK(summary_says(v, "1 legacy, 1 bundle"));
    }
  }
}

TEST_CASE("formats: a registry that is down is a network error in each format", "[e2e][formats]") {
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  RefusingPort down;
  const std::string ref = down.address() + "/app@sha256:" + std::string(64, 'a');
  for (const char* format : {"both", "legacy", "bundle"}) {
    INFO("--format " << format);
    CHECK(sign_via_http(ref, key, {"--format", format}).exit_code == kNetwork);
    CHECK(verify_via_http(ref, key, {"--format", format}).exit_code == kNetwork);
    CHECK(
        isign_cmd("triangulate", {"--allow-http-registry", "--type", "bundle"}, {ref}).exit_code ==
        kNetwork);
  }
  // A registry that stops after the image was pushed.
  SignScene scene;
  scene.reg.stop();
  CHECK(sign_default(scene.reg, key, {scene.ref}).exit_code == kNetwork);
  CHECK(verify_with_key(scene.reg, key, {scene.ref}).exit_code == kNetwork);
}

TEST_CASE("formats: a bundle whose blob was swapped is invalid, with a reason", "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::string other = push_random_image(reg, "app", "v2");
  REQUIRE(sign_default(reg, key, {"--format", "bundle", ref}).exit_code == kOk);
  auto listed = indexed_referrers(reg, "app", digest);
  REQUIRE(listed.size() == 1);

  // The statement re-pointed at another image, the DSSE signature kept; pushed as a new bundle
  // blob, the referrer manifest rewritten to it and the index entry rewritten to that manifest.
  auto referrer = nlohmann::ordered_json::parse(get_manifest(reg, "app", listed[0]).body);
  auto bundle =
      nlohmann::ordered_json::parse(get_blob(reg, "app", referrer["layers"][0]["digest"]).body);
  auto statement =
      isign::common::base64_decode(bundle["dsseEnvelope"]["payload"].get<std::string>());
  REQUIRE(statement);
  REQUIRE(contains(*statement, digest.substr(7)));
  std::string forged = *statement;
  forged.replace(forged.find(digest.substr(7)), 64, other.substr(7));
  bundle["dsseEnvelope"]["payload"] = isign::common::base64_encode(forged);
  const std::string bundle_bytes = bundle.dump();
  referrer["layers"][0]["digest"] = push_blob(reg, "app", bundle_bytes);
  referrer["layers"][0]["size"] = bundle_bytes.size();
  const std::string referrer_bytes = referrer.dump();
  const std::string new_referrer = push_manifest(
      reg, "app", isign::common::sha256_digest(referrer_bytes), referrer_bytes, kOciManifestType);
  auto index =
      nlohmann::ordered_json::parse(get_manifest(reg, "app", referrers_tag_of(digest)).body);
  index["manifests"][0]["digest"] = new_referrer;
  index["manifests"][0]["size"] = referrer_bytes.size();
  push_manifest(reg, "app", referrers_tag_of(digest), index.dump(), kOciIndexType);
  REQUIRE(indexed_referrers(reg, "app", digest) == std::vector<std::string>{new_referrer});

  auto v = verify_image(with(reg.client_flags(), with(key_flags({key}), {"-o", "json"})), {ref});
  CHECK(v.exit_code == kInvalid);
  auto sigs = report_signatures(v);
  REQUIRE(sigs.size() == 1);
  CHECK(sigs[0]["format"] == "bundle");
  CHECK(sigs[0]["status"] == "invalid");
  CHECK(sigs[0]["reason"].is_string());
  CHECK(sigs[0]["where"] == reg.ref("app@" + new_referrer));
  CHECK(contains(v.err, sigs[0]["reason"].get<std::string>()));
}

TEST_CASE("formats: an index tag holding an image manifest is refused and left as it was",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  push_random_image(reg, "app", referrers_tag_of(digest));
  const std::string before = get_manifest(reg, "app", referrers_tag_of(digest)).body;

  auto s = sign_default(reg, key, {"--format", "bundle", ref});
  CHECK(s.exit_code == kRegistryError);
  CHECK(contains(s.err, "not an OCI index"));
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).body == before);
  // Both formats: the .sig is written, the bundle refused, and the error says which.
  auto both = sign_default(reg, key, {ref});
  CHECK(both.exit_code == kRegistryError);
  CHECK(contains(both.err, "was written, but the bundle"));
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).body == before);

  auto flags = with(reg.client_flags(), key_flags({key}));
  CHECK(verify_image(with(flags, {"--format", "bundle"}), {ref}).exit_code == kRegistryError);
  // The .sig verifies; read too (--format both), the index that could not be read is named.
  CHECK(verify_image(flags, {ref}).exit_code == kOk);
  auto v = verify_image(with(flags, {"--format", "both"}), {ref});
  CHECK(v.exit_code == kOk);
  CHECK(contains(v.err, "not read"));

  // Unsigned in the legacy format too: the unreadable index decides, never "no signature".
  std::string bare = push_random_image(reg, "app", "bare");
  push_random_image(reg, "app", referrers_tag_of(bare));
  CHECK(verify_image(flags, {reg.ref("app@" + bare)}).exit_code == kRegistryError);
}

TEST_CASE("formats: an index tag answered with invalid JSON is refused and not rewritten",
          "[e2e][formats]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string empty_index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  push_manifest(reg, "app", referrers_tag_of(digest), empty_index, kOciIndexType);
  FaultProxy proxy(reg);
  const std::string proxied = proxy.ref("app@" + digest);
  proxy.inject({"GET", "/manifests/" + referrers_tag_of(digest),
                Fault::replace_body(R"({"schemaVersion":2,"manifests":[{)"), -1});
  auto s = sign_via_http(proxied, key, {"--format", "bundle"});
  CHECK(s.exit_code == kRegistryError);
  CHECK(get_manifest(reg, "app", referrers_tag_of(digest)).body == empty_index);
  CHECK(proxy.count("PUT", "/manifests/" + referrers_tag_of(digest)) == 0);
  CHECK(verify_via_http(proxied, key, {"--format", "bundle"}).exit_code == kRegistryError);
  CHECK(verify_via_http(proxied, key).exit_code == kRegistryError);
}

// --- concurrency -------------------------------------------------------------------------------

TEST_CASE("formats: eight concurrent bundle signers keep all eight referrers",
          "[e2e][formats][concurrency]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto keys = key_pairs(dir, 8);
  sign_concurrently(reg, keys, ref, {"--format", "bundle"});
  auto listed = indexed_referrers(reg, "app", digest);
  CHECK(listed.size() == 8);
  CHECK(std::set<std::string>(listed.begin(), listed.end()).size() == listed.size());
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  for (const auto& k : keys) {
    INFO("key " << k);
    CHECK(
        verify_image(with(reg.client_flags(), with(key_flags({k}), {"--format", "bundle"})), {ref})
            .exit_code == kOk);
  }
}

TEST_CASE("formats: eight concurrent signers in both formats keep eight of each",
          "[e2e][formats][concurrency]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto keys = key_pairs(dir, 8);
  sign_concurrently(reg, keys, ref, {"--format", "both"});
  CHECK(sig_layer_count(reg, "app", digest) == 8);
  CHECK(indexed_referrers(reg, "app", digest).size() == 8);
  for (const auto& k : keys) {
    INFO("key " << k);
    auto v =
        verify_image(with(reg.client_flags(), with(key_flags({k}), {"--format", "both"})), {ref});
    CHECK(v.exit_code == kOk);
    CHECK(summary_says(v, "1 legacy, 1 bundle"));
  }
}

// --- triangulate -------------------------------------------------------------------------------

TEST_CASE("formats: triangulate prints the .sig, the .att and each bundle referrer",
          "[e2e][formats][triangulate]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto other = new_key_pair(dir, "other");
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  REQUIRE(sign_default(reg, other, {"--format", "bundle", ref}).exit_code == kOk);
  const auto flags = reg.client_flags();
  auto triangulate = [&](const std::string& type, const std::string& target) {
    return isign_cmd("triangulate", with(flags, {"--type", type}), {target});
  };

  for (const auto& target : {ref, reg.ref("app:v1")}) {
    INFO(target);
    auto sig = triangulate("signature", target);
    CHECK(sig.exit_code == kOk);
    CHECK(sig.out == signature_tag(reg.url(), "app", digest) + "\n");
    auto att = triangulate("attestation", target);
    CHECK(att.exit_code == kOk);
    CHECK(att.out == reg.ref("app:sha256-" + digest.substr(7) + ".att") + "\n");
    auto bundles = triangulate("bundle", target);
    CHECK(bundles.exit_code == kOk);
    auto printed = lines_of(bundles.out);
    CHECK(printed.size() == 2);
    CHECK(std::set<std::string>(printed.begin(), printed.end()) ==
          refs_of(reg, indexed_referrers(reg, "app", digest)));
  }
  CHECK(isign_cmd("triangulate", flags, {ref}).out ==
        signature_tag(reg.url(), "app", digest) + "\n");

  auto bogus = triangulate("bogus", ref);
  CHECK(bogus.exit_code == kUsage);
  CHECK(contains(bogus.err, "'bogus'"));
  std::string bare = push_random_image(reg, "app", "bare");
  auto none = triangulate("bundle", reg.ref("app@" + bare));
  CHECK(none.exit_code == kNoSignature);
  CHECK(none.out.empty());
}

// --- TLS and authentication --------------------------------------------------------------------

TEST_CASE("formats: both formats over TLS with htpasswd authentication", "[e2e][formats][tls]") {
  SignScene scene({.tls = true, .auth = RegistryAuth::htpasswd});
  auto& [reg, dir, key, digest, ref] = scene;
  auto s = sign_default(reg, key, {ref});
  REQUIRE(s.exit_code == kOk);
  CHECK_FALSE(contains(all_output(s), reg.password()));
  CHECK(sig_layer_count(reg, "app", digest) == 1);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
  auto flags = with(reg.client_flags(), key_flags({key}));
  auto v = verify_image(with(flags, {"--format", "both"}), {ref});
  CHECK(v.exit_code == kOk);
  CHECK(summary_says(v, "1 legacy, 1 bundle"));
  CHECK(verify_image(with(flags, {"--format", "bundle"}), {ref}).exit_code == kOk);
  CHECK(sign_default(reg, key, {ref}).exit_code == kOk);
  CHECK(indexed_referrers(reg, "app", digest).size() == 1);
  // Without credentials the bundle is not read either: an error, not "unsigned".
  auto anonymous =
      verify_image(with(reg.tls_flags(), with(key_flags({key}), {"--format", "bundle"})), {ref});
  CHECK(anonymous.exit_code != kOk);
  CHECK(anonymous.exit_code != kNoSignature);
}
