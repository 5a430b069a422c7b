// cosign v3 bundles against independent implementations: sigstore-js verifies what isign writes
// and writes what isign verifies (tests/interop), openssl checks the DSSE signatures, and the
// referrer manifests are read back from a real docker-registry (no referrers API, so the
// sha256-<hex> index).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/bundle_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// The keys of an object, in order.
std::vector<std::string> keys_of(const ordered_json& o) {
  std::vector<std::string> out;
  for (const auto& [k, v] : o.items())
    out.push_back(k);
  return out;
}

// docs/formats.md section 11: the referrer manifest cosign v3 pushes, checked key by key.
void check_referrer_shape(const BundleReferrer& b, const HttpResult& image,
                          const std::string& image_digest) {
  INFO("referrer manifest: " << b.manifest);
  const auto& m = b.doc;
  CHECK(keys_of(m) == std::vector<std::string>{"schemaVersion", "mediaType", "config", "layers",
                                               "annotations", "subject", "artifactType"});
  CHECK(m["schemaVersion"] == 2);
  CHECK(m["mediaType"] == kOciManifestType);
  CHECK(m["config"] == ordered_json({{"mediaType", kOciEmptyType},
                                     {"size", 2},
                                     {"digest", kEmptyConfigDigest},
                                     {"artifactType", kBundleType}}));
  REQUIRE(m["layers"].size() == 1);
  CHECK(keys_of(m["layers"][0]) == std::vector<std::string>{"mediaType", "size", "digest"});
  CHECK(m["layers"][0]["mediaType"] == kBundleType);
  CHECK(m["layers"][0]["size"] == b.bundle.size());
  const auto& a = m["annotations"];
  CHECK(keys_of(a) == std::vector<std::string>{"dev.sigstore.bundle.content",
                                               "dev.sigstore.bundle.predicateType",
                                               "org.opencontainers.image.created"});
  CHECK(a["dev.sigstore.bundle.content"] == "dsse-envelope");
  CHECK(a["dev.sigstore.bundle.predicateType"] == kSignPredicate);
  CHECK(std::regex_match(a["org.opencontainers.image.created"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  CHECK(m["subject"] == ordered_json({{"mediaType", image.header("content-type")},
                                      {"size", image.body.size()},
                                      {"digest", image_digest}}));
  CHECK(m["artifactType"] == kBundleType);
  // The index entry copies the manifest's annotations and artifactType (section 12).
  CHECK(b.index_entry["mediaType"] == kOciManifestType);
  CHECK(b.index_entry["annotations"] == a);
  CHECK(b.index_entry["artifactType"] == kBundleType);
}

// node verify-bundle.mjs over the bundle bytes for an image digest.
RunResult node_verify_image_bundle(const TempDir& dir, const std::string& bundle,
                                   const std::string& pub, const std::string& digest) {
  static int n = 0;
  std::string path = dir / ("bundle-" + std::to_string(++n) + ".json");
  write_text(path, bundle);
  return run_interop("verify-bundle.mjs", {"--bundle", path, "--key", pub, "--digest", digest});
}

// node attach-bundle.mjs: a cosign-style bundle (no subject name) signed with PEM, attached to
// repo@digest.
RunResult node_attach(const RegistryFixture& reg, const std::string& repo,
                      const std::string& digest, const std::string& pem,
                      const std::vector<std::string>& annotations = {}) {
  auto image = get_manifest(reg, repo, digest);
  REQUIRE(image.status == 200);
  std::vector<std::string> args = {"--registry",   "http://" + reg.url(),
                                   "--repo",       repo,
                                   "--digest",     digest,
                                   "--media-type", image.header("content-type"),
                                   "--size",       std::to_string(image.body.size()),
                                   "--key",        pem};
  for (const auto& a : annotations) {
    args.push_back("--annotation");
    args.push_back(a);
  }
  return run_interop("attach-bundle.mjs", args);
}

// The signatures of the first manifest of a --output json report.
json report_signatures(const RunResult& r) {
  INFO("report: " << r.out);
  return report_of(r)["results"][0]["manifests"][0]["signatures"];
}

} // namespace

TEST_CASE("interop: bundles isign writes verify with sigstore-js, referrers have cosign's shape",
          "[e2e][interop][bundle]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  interop_script("verify-bundle.mjs");
  REQUIRE(sign_image(reg, key, {"--format", "both", ref}).exit_code == kOk);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 200); // both: the .sig too
  REQUIRE(bundle_referrers_of(reg, "app", digest).size() == 1);
  REQUIRE(sign_image(reg, key, {"--format", "both", "-a", "env=prod", ref}).exit_code == kOk);

  auto image = get_manifest(reg, "app", digest);
  REQUIRE(image.status == 200);
  auto referrers = bundle_referrers_of(reg, "app", digest);
  REQUIRE(referrers.size() == 2);
  std::vector<json> annotations;
  for (const auto& b : referrers) {
    check_referrer_shape(b, image, digest);
    auto r = node_verify_image_bundle(dir, b.bundle, key + ".pub", digest);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok\n");
    auto statement = json::parse(dsse_of(b.bundle).statement);
    CHECK(statement["subject"][0]["name"] == reg.url() + "/app");
    CHECK(statement["subject"][0]["digest"]["sha256"] == hex_of(digest));
    annotations.push_back(statement["subject"][0]["annotations"]);
  }
  CHECK(annotations[0] == json::object());
  CHECK(annotations[1] == json({{"env", "prod"}}));

  // sigstore-js refuses them for another image digest or another key.
  auto other = new_key_pair(dir, "other");
  std::string other_digest = "sha256:" + std::string(64, 'b');
  CHECK(node_verify_image_bundle(dir, referrers[0].bundle, key + ".pub", other_digest).exit_code ==
        1);
  CHECK(node_verify_image_bundle(dir, referrers[0].bundle, other + ".pub", digest).exit_code == 1);
}

TEST_CASE("interop: a P-384 key signs bundles with SHA-384 over the DSSE PAE (openssl checks it)",
          "[e2e][interop][bundle]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto ec = openssl_ec_key(dir, "p384", "P-384");
  auto imported = import_key_pair(dir, "p384-isign", ec + ".pem");
  REQUIRE(sign_image(reg, imported, {"--format", "bundle", ref}).exit_code == kOk);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  CHECK(verify_with_key(reg, imported, {ref}).exit_code == kOk);
  CHECK(verify_image(with(reg.client_flags(), {"--key", ec + ".pub.pem"}), {ref}).exit_code == kOk);

  auto referrers = bundle_referrers_of(reg, "app", digest);
  REQUIRE(referrers.size() == 1);
  auto parts = dsse_of(referrers[0].bundle);
  CHECK(parts.payload_type == kInTotoType);
  write_text(dir / "pae.bin", pae_of(kInTotoType, parts.statement));
  write_text(dir / "sig.der", parts.signature);
  CHECK(openssl({"dgst", "-sha384", "-verify", ec + ".pub.pem", "-signature", dir / "sig.der",
                 dir / "pae.bin"}) == "Verified OK\n");
  // Not SHA-256 (cosign v3 signs with the curve's hash), and not the bare statement.
  CHECK(run({"openssl", "dgst", "-sha256", "-verify", ec + ".pub.pem", "-signature",
             dir / "sig.der", dir / "pae.bin"})
            .exit_code == 1);
  write_text(dir / "statement.json", parts.statement);
  CHECK(run({"openssl", "dgst", "-sha384", "-verify", ec + ".pub.pem", "-signature",
             dir / "sig.der", dir / "statement.json"})
            .exit_code == 1);
  // The hint is the key's: base64 SHA-256 of its DER SubjectPublicKeyInfo.
  std::string spki = openssl({"pkey", "-pubin", "-in", ec + ".pub.pem", "-outform", "DER"});
  CHECK(json::parse(referrers[0].bundle)["verificationMaterial"]["publicKey"]["hint"] ==
        isign::common::base64_encode(isign::common::sha256_raw(spki)));
}

TEST_CASE("interop: a bundle sigstore-js attached (no subject name) verifies with isign",
          "[e2e][interop][bundle]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto ec = openssl_ec_key(dir, "node", "P-256");
  auto attached = node_attach(reg, "app", digest, ec + ".pem", {"env=prod"});
  REQUIRE(attached.exit_code == 0);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  auto referrers = bundle_referrers_of(reg, "app", digest);
  REQUIRE(referrers.size() == 1);
  CHECK(referrers[0].digest + "\n" == attached.out);
  CHECK_FALSE(json::parse(dsse_of(referrers[0].bundle).statement)["subject"][0].contains("name"));

  const std::vector<std::string> by_pub = with(reg.client_flags(), {"--key", ec + ".pub.pem"});
  auto ok = verify_image(by_pub, {ref});
  CHECK(ok.exit_code == kOk);
  CHECK(contains(ok.err, "names no repository"));

  auto report = verify_image(with(by_pub, {"-o", "json"}), {ref});
  CHECK(report.exit_code == kOk);
  auto sigs = report_signatures(report);
  REQUIRE(sigs.size() == 1);
  CHECK(sigs[0]["format"] == "bundle");
  CHECK(sigs[0]["status"] == "valid");
  CHECK(sigs[0]["identityChecked"] == false);
  CHECK(sigs[0]["where"].is_string());

  // The same public key through isign's import gives the same verdict.
  auto imported = import_key_pair(dir, "node-isign", ec + ".pem");
  CHECK(verify_with_key(reg, imported, {ref}).exit_code == kOk);

  CHECK(verify_image(with(by_pub, {"--format", "legacy"}), {ref}).exit_code == kNoSignature);
  CHECK(verify_image(with(by_pub, {"--format", "bundle"}), {ref}).exit_code == kOk);
  auto strict = verify_image(with(by_pub, {"--require-identity"}), {ref});
  CHECK(strict.exit_code == kInvalid);
  CHECK(contains(strict.err, "identity-mismatch"));
  CHECK(verify_image(with(by_pub, {"-a", "env=prod"}), {ref}).exit_code == kOk);
  CHECK(verify_image(with(by_pub, {"-a", "env=dev"}), {ref}).exit_code == kInvalid);
  CHECK(verify_image(with(by_pub, {"-a", "team=x"}), {ref}).exit_code == kInvalid);
  auto wrong = verify_with_key(reg, key, {ref});
  CHECK(wrong.exit_code == kInvalid);
  CHECK_FALSE(wrong.err.empty());
}

TEST_CASE("interop: tampered bundles and attestations are not signatures",
          "[e2e][interop][bundle]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto a = openssl_ec_key(dir, "a", "P-256");
  auto b = openssl_ec_key(dir, "b", "P-256");

  SECTION("signed with key A, verified with key B") {
    REQUIRE(node_attach(reg, "app", digest, a + ".pem").exit_code == 0);
    auto r = verify_image(with(reg.client_flags(), {"--key", b + ".pub.pem"}), {ref});
    CHECK(r.exit_code == kInvalid);
    CHECK(contains(r.err, "bad-signature"));
    auto report =
        verify_image(with(reg.client_flags(), {"--key", b + ".pub.pem", "-o", "json"}), {ref});
    auto sigs = report_signatures(report);
    REQUIRE(sigs.size() == 1);
    CHECK(sigs[0]["format"] == "bundle");
    CHECK(sigs[0]["status"] == "invalid");
    CHECK(sigs[0]["reason"] == "bad-signature");
  }

  SECTION("one byte of the statement changed, the referrer replaced in the index") {
    auto imported = import_key_pair(dir, "a-isign", a + ".pem");
    REQUIRE(sign_image(reg, imported, {"--format", "bundle", "-a", "env=prod", ref}).exit_code ==
            kOk);
    REQUIRE(verify_with_key(reg, imported, {ref}).exit_code == kOk);
    auto referrers = bundle_referrers_of(reg, "app", digest);
    REQUIRE(referrers.size() == 1);

    auto bundle = ordered_json::parse(referrers[0].bundle);
    auto parts = dsse_of(referrers[0].bundle);
    std::string statement = parts.statement;
    auto at = statement.find("\"prod\"");
    REQUIRE(at != std::string::npos);
    statement[at + 3] = 'u'; // "prod" -> "prud": still a valid statement, signature broken
    bundle["dsseEnvelope"]["payload"] = isign::common::base64_encode(statement);
    std::string tampered = bundle.dump();
    auto m = referrers[0].doc;
    m["layers"][0]["digest"] = push_blob(reg, "app", tampered);
    m["layers"][0]["size"] = tampered.size();
    std::string bytes = m.dump();
    std::string m_digest =
        push_manifest(reg, "app", isign::common::sha256_digest(bytes), bytes, kOciManifestType);
    auto entry = referrers[0].index_entry;
    entry["digest"] = m_digest;
    entry["size"] = bytes.size();
    list_only(reg, "app", digest, {entry});
    REQUIRE(bundle_referrers_of(reg, "app", digest)[0].bundle == tampered);

    auto r = verify_with_key(reg, imported, {ref});
    CHECK(r.exit_code == kInvalid);
    CHECK(contains(r.err, "bad-signature"));
  }

  SECTION("a validly signed attestation (another predicateType) does not count") {
    const std::string statement =
        R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":")" +
        hex_of(digest) +
        R"("},"annotations":{}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}})";
    write_text(dir / "pae.bin", pae_of(kInTotoType, statement));
    std::string sig = openssl({"dgst", "-sha256", "-sign", a + ".pem", dir / "pae.bin"});
    write_text(dir / "sig.der", sig);
    REQUIRE(openssl({"dgst", "-sha256", "-verify", a + ".pub.pem", "-signature", dir / "sig.der",
                     dir / "pae.bin"}) == "Verified OK\n");
    std::string spki = openssl({"pkey", "-pubin", "-in", a + ".pub.pem", "-outform", "DER"});
    ordered_json bundle = {
        {"mediaType", kBundleType},
        {"verificationMaterial",
         {{"publicKey",
           {{"hint", isign::common::base64_encode(isign::common::sha256_raw(spki))}}}}},
        {"dsseEnvelope",
         {{"payload", isign::common::base64_encode(statement)},
          {"payloadType", kInTotoType},
          {"signatures", {{{"sig", isign::common::base64_encode(sig)}}}}}}};
    // The manifest annotation claims a signature: it is not signed, the statement decides.
    attach_bundle_referrer(reg, "app", digest, bundle.dump(), kSignPredicate);
    // sigstore-js accepts it (it does not look at predicateType): a well-formed, valid bundle.
    CHECK(node_verify_image_bundle(dir, bundle.dump(), a + ".pub.pem", digest).exit_code == 0);

    auto r = verify_image(with(reg.client_flags(), {"--key", a + ".pub.pem"}), {ref});
    CHECK(r.exit_code != kOk);
    CHECK((r.exit_code == kInvalid || r.exit_code == kNoSignature));
    CHECK(contains(r.err, "predicateType"));
    CHECK(r.out.empty());
  }
}

TEST_CASE("interop: sign-blob bundles and signatures against sigstore-js and openssl",
          "[e2e][interop][bundle][blob]") {
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  std::string file = dir / "artifact.bin";
  write_text(file, "an artifact\n" + random_bytes(100));
  RunOptions pw;
  pw.env = {{"COSIGN_PASSWORD", kKeyPassword}};

  REQUIRE(isign_cmd("sign-blob", {"--key", key + ".key", "--bundle", dir / "b.json"}, {file}, pw)
              .exit_code == kOk);
  auto node = run_interop("verify-bundle.mjs",
                          {"--bundle", dir / "b.json", "--key", key + ".pub", "--artifact", file});
  CHECK(node.exit_code == 0);
  CHECK(node.out == "ok\n");
  auto v = isign_cmd("verify-blob", {"--key", key + ".pub", "--bundle", dir / "b.json"}, {file});
  CHECK(v.exit_code == kOk);
  CHECK(contains(v.err, "Verified OK"));

  std::string tampered = dir / "tampered.bin";
  write_text(tampered, read_text(file) + "x");
  CHECK(isign_cmd("verify-blob", {"--key", key + ".pub", "--bundle", dir / "b.json"}, {tampered})
            .exit_code == kInvalid);
  CHECK(run_interop("verify-bundle.mjs",
                    {"--bundle", dir / "b.json", "--key", key + ".pub", "--artifact", tampered})
            .exit_code == 1);

  REQUIRE(isign_cmd("sign-blob", {"--key", key + ".key", "--output-signature", dir / "s.b64"},
                    {file}, pw)
              .exit_code == kOk);
  CHECK(isign_cmd("verify-blob", {"--key", key + ".pub", "--signature", dir / "s.b64"}, {file})
            .exit_code == kOk);
  CHECK(isign_cmd("verify-blob", {"--key", key + ".pub", "--signature", dir / "s.b64"}, {tampered})
            .exit_code == kInvalid);

  // cosign v2's sign-blob form, made by openssl: SHA-256 whatever the curve, base64 DER.
  for (const char* curve : {"P-256", "P-384"}) {
    DYNAMIC_SECTION("openssl " << curve << " signature") {
      auto ec = openssl_ec_key(dir, std::string("ossl-") + curve, curve);
      std::string sig = openssl({"dgst", "-sha256", "-sign", ec + ".pem", file});
      write_text(dir / "ossl.b64", isign::common::base64_encode(sig) + "\n");
      CHECK(isign_cmd("verify-blob", {"--key", ec + ".pub.pem", "--signature", dir / "ossl.b64"},
                      {file})
                .exit_code == kOk);
      CHECK(isign_cmd("verify-blob", {"--key", ec + ".pub.pem", "--signature", dir / "ossl.b64"},
                      {tampered})
                .exit_code == kInvalid);
      // And an isign bundle with that key (imported) verifies with sigstore-js whatever the curve.
      auto imported = import_key_pair(dir, std::string("imp-") + curve, ec + ".pem");
      REQUIRE(isign_cmd("sign-blob", {"--key", imported + ".key", "--bundle", dir / "c.json"},
                        {file}, pw)
                  .exit_code == kOk);
      CHECK(run_interop("verify-bundle.mjs",
                        {"--bundle", dir / "c.json", "--key", ec + ".pub.pem", "--artifact", file})
                .exit_code == 0);
    }
  }
}
