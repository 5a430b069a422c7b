// isign sign / isign verify end to end: the built binary against a real docker-registry.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;

namespace {

// Rewrites the .sig manifest's first layer: new payload bytes, signature annotation as given.
void replace_first_layer(const RegistryFixture& reg, const std::string& repo,
                         const std::string& digest, const std::string& payload,
                         const std::string& signature_b64) {
  auto m = nlohmann::ordered_json::parse(get_manifest(reg, repo, sig_tag_of(digest)).body);
  std::string blob_digest = push_blob(reg, repo, payload);
  auto& layer = m["layers"][0];
  layer["digest"] = blob_digest;
  layer["size"] = payload.size();
  layer["annotations"][kSigAnnotation] = signature_b64;
  push_manifest(reg, repo, sig_tag_of(digest), m.dump(), kOciManifestType);
}

} // namespace

TEST_CASE("sign/verify: wrong key, unsigned and missing images have their own exit codes",
          "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto other = new_key_pair(dir, "other");
  std::string unsigned_digest = push_random_image(reg, "app", "v2");
  REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);

  auto wrong = verify_with_key(reg, other, {ref});
  CHECK(wrong.exit_code == kInvalid);
  CHECK(contains(wrong.err, "bad-signature"));
  CHECK(wrong.out.empty());

  CHECK(verify_with_key(reg, key, {reg.ref("app@" + unsigned_digest)}).exit_code == kNoSignature);

  std::string missing = "sha256:" + std::string(64, 'a');
  CHECK(verify_with_key(reg, key, {reg.ref("app@" + missing)}).exit_code == kNotFound);
  CHECK(sign_image(reg, key, {reg.ref("app@" + missing)}).exit_code == kNotFound);
  CHECK(sign_image(reg, key, {reg.ref("app:nope")}).exit_code == kNotFound);
  CHECK(get_manifest(reg, "app", sig_tag_of(missing)).status == 404);

  // Several references in one run: one result each, the first failure's exit code.
  auto many = verify_with_key(reg, key, {ref, reg.ref("app@" + unsigned_digest)});
  CHECK(many.exit_code == kNoSignature);
  CHECK(contains(many.err, "isign: verified"));
}

TEST_CASE("sign: a wrong password pushes nothing", "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto s = sign_image(reg, key, {ref}, "not-the-password");
  CHECK(s.exit_code == kWrongPassword);
  CHECK(contains(s.err, "incorrect password"));
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
}

TEST_CASE("sign/verify: annotations are signed and required exactly", "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_image(reg, key, {"-a", "git=abc,def", "-a", "env=", ref}).exit_code == kOk);
  auto v = verify_with_key(reg, key, {ref});
  REQUIRE(v.exit_code == kOk);
  CHECK(contains(v.out, R"("optional":{"env":"","git":"abc,def"})"));
  auto flags = with(reg.client_flags(), key_flags({key}));
  CHECK(verify_image(with(flags, {"-a", "git=abc,def", "-a", "env="}), {ref}).exit_code == kOk);
  CHECK(verify_image(with(flags, {"-a", "git=abc"}), {ref}).exit_code == kInvalid);
  CHECK(verify_image(with(flags, {"-a", "absent="}), {ref}).exit_code == kInvalid);
}

TEST_CASE("sign/verify: two keys on one image, re-signing adds nothing", "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, a, digest, ref] = scene;
  auto b = new_key_pair(dir, "b");
  auto c = new_key_pair(dir, "c");
  REQUIRE(sign_image(reg, a, {ref}).exit_code == kOk);
  REQUIRE(sign_image(reg, b, {ref}).exit_code == kOk);
  CHECK(sig_manifest_of(reg, "app", digest)["layers"].size() == 2);
  CHECK(verify_with_key(reg, a, {ref}).exit_code == kOk);
  CHECK(verify_with_key(reg, b, {ref}).exit_code == kOk);
  CHECK(verify_with_key(reg, c, {ref}).exit_code == kInvalid);

  std::string before = get_manifest(reg, "app", sig_tag_of(digest)).body;
  auto again = sign_image(reg, a, {ref});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.err, "nothing pushed"));
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).body == before);
}

TEST_CASE("verify: tampering is caught layer by layer", "[e2e][verify]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::string good_payload = cosign_payload(reg.url() + "/app", digest);

  struct Case {
    const char* name;
    std::string payload;
    bool resign;
    const char* reason;
  };
  std::string other_digest = "sha256:" + std::string(64, 'b');
  std::vector<Case> cases = {
      {"payload changed, old signature", good_payload + " ", false, "bad-signature"},
      {"unknown key",
       R"({"critical":{"identity":{"docker-reference":")" + reg.url() +
           R"(/app"},"image":{"docker-manifest-digest":")" + digest +
           R"("},"type":"cosign container image signature","extra":1},"optional":null})",
       true, "payload"},
      {"duplicate key",
       R"({"critical":{"identity":{"docker-reference":")" + reg.url() +
           R"(/app"},"image":{"docker-manifest-digest":")" + digest +
           R"("},"type":"cosign container image signature"},"optional":null,"optional":null})",
       true, "payload"},
      {"wrong digest", cosign_payload(reg.url() + "/app", other_digest), true, "digest"},
      {"wrong type",
       R"({"critical":{"identity":{"docker-reference":")" + reg.url() +
           R"(/app"},"image":{"docker-manifest-digest":")" + digest +
           R"("},"type":"atomic container signature"},"optional":null})",
       true, "payload"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);
      std::string old_sig =
          sig_manifest_of(reg, "app", digest)["layers"][0]["annotations"][kSigAnnotation];
      replace_first_layer(reg, "app", digest, c.payload,
                          c.resign ? sign_bytes(key, c.payload) : old_sig);
      auto v = verify_with_key(reg, key, {ref});
      CHECK(v.exit_code == kInvalid);
      CHECK(contains(v.err, "layer 0"));
      CHECK(contains(v.err, c.reason));
      CHECK(v.out.empty());
      delete_manifest(reg, "app",
                      get_manifest(reg, "app", sig_tag_of(digest)).header("docker-content-digest"));
    }
  }
  SECTION("signature annotation changed") {
    REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);
    replace_first_layer(reg, "app", digest, good_payload,
                        sign_bytes(key, "something else entirely"));
    auto v = verify_with_key(reg, key, {ref});
    CHECK(v.exit_code == kInvalid);
    CHECK(contains(v.err, "bad-signature"));
  }
}

TEST_CASE("sign: a .sig written in containers/image's layout is kept byte for byte",
          "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  // containers/image: descriptor order mediaType, digest, size; config without created/history;
  // payload with creator/timestamp and a docker-reference carrying the tag.
  std::string payload =
      R"({"critical":{"identity":{"docker-reference":")" + reg.url() +
      R"(/app:v1"},"image":{"docker-manifest-digest":")" + digest +
      R"("},"type":"cosign container image signature"},"optional":{"creator":"containers/image 5.23","timestamp":1700000000}})";
  std::string payload_digest = push_blob(reg, "app", payload);
  std::string config =
      R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
      payload_digest + R"("]}})";
  std::string config_digest = push_blob(reg, "app", config);
  std::string layer =
      R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":")" +
      payload_digest + R"(","size":)" + std::to_string(payload.size()) +
      R"(,"annotations":{"dev.cosignproject.cosign/signature":")" + sign_bytes(key, payload) +
      R"("}})";
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config_digest + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[)" + layer +
      "]}";
  push_manifest(reg, "app", sig_tag_of(digest), manifest, kOciManifestType);

  auto v = verify_with_key(reg, key, {ref});
  CHECK(v.exit_code == kOk);
  CHECK(v.out == "[" + payload + "]\n");

  auto other = new_key_pair(dir, "other");
  REQUIRE(sign_image(reg, other, {ref}).exit_code == kOk);
  std::string after = get_manifest(reg, "app", sig_tag_of(digest)).body;
  CHECK(contains(after, layer));
  CHECK(json::parse(after)["layers"].size() == 2);
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kOk);
  CHECK(verify_with_key(reg, other, {ref}).exit_code == kOk);
}

TEST_CASE("sign --recursive signs an index and every child", "[e2e][sign]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  std::string amd = push_random_image(reg, "app", "amd");
  std::string arm = push_random_image(reg, "app", "arm");
  std::string index =
      push_index(reg, "app", "multi", {{amd, {"linux", "amd64"}}, {arm, {"linux", "arm64", "v8"}}});
  REQUIRE(sign_image(reg, key, {"--recursive", reg.ref("app@" + index)}).exit_code == kOk);
  for (const auto& d : {index, amd, arm})
    CHECK(verify_with_key(reg, key, {reg.ref("app@" + d)}).exit_code == kOk);

  std::string plain = push_index(reg, "app", "multi2", {{amd, {"linux", "amd64"}}});
  REQUIRE(sign_image(reg, key, {reg.ref("app@" + plain)}).exit_code == kOk);
  CHECK(verify_with_key(reg, key, {reg.ref("app@" + plain)}).exit_code == kOk);
}

TEST_CASE("sign: eight concurrent signers lose no signature", "[e2e][sign][concurrency]") {
  RegistryFixture reg;
  TempDir dir;
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i)
    keys.push_back(new_key_pair(dir, "k" + std::to_string(i)));
  std::string digest = push_random_image(reg, "app", "v1");
  std::string ref = reg.ref("app@" + digest);
  std::vector<std::thread> threads;
  std::vector<RunResult> results(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      RunOptions o;
      o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
      results[static_cast<std::size_t>(i)] =
          run_isign(with(with({"sign"}, reg.client_flags()),
                         {"--key", keys[static_cast<std::size_t>(i)] + ".key", ref}),
                    o);
    });
  for (auto& t : threads)
    t.join();
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == kOk);
  }
  CHECK(sig_manifest_of(reg, "app", digest)["layers"].size() == 8);
  for (const auto& k : keys)
    CHECK(verify_with_key(reg, k, {ref}).exit_code == kOk);
}

TEST_CASE("sign: detached outputs with --upload=false push nothing, cosign flags accepted",
          "[e2e][sign]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto s = sign_image(reg, key,
                      {"--upload=false", "--output-signature", dir / "sig.b64", "--output-payload",
                       dir / "payload.json", ref});
  REQUIRE(s.exit_code == kOk);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
  std::string payload = read_text(dir / "payload.json");
  CHECK(payload == cosign_payload(reg.url() + "/app", digest));
  CHECK(signature_verifies(key + ".pub", payload, read_text(dir / "sig.b64")));

  CHECK(sign_image(reg, key, {"--tlog-upload=false", "-y", ref}).exit_code == kOk);
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kOk);
}

TEST_CASE("sign/verify over TLS with htpasswd and with token auth", "[e2e][sign][tls]") {
  auto mode = GENERATE(RegistryAuth::htpasswd, RegistryAuth::token);
  RegistryOptions o;
  o.tls = true;
  o.auth = mode;
  SignScene scene(o, "team/app");
  auto& [reg, dir, key, digest, ref] = scene;
  auto s = sign_image(reg, key, {ref});
  CHECK(s.exit_code == kOk);
  CHECK_FALSE(contains(all_output(s), reg.password()));
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kOk);
}

TEST_CASE("verify: a registry that is down is not 'unsigned'", "[e2e][verify]") {
  RefusingPort port;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  auto r = verify_image(with({"--allow-http-registry"}, key_flags({key})),
                        {port.address() + "/app@sha256:" + std::string(64, 'c')});
  CHECK(r.exit_code == kNetwork);
}

TEST_CASE("interop: skopeo copies the image and its .sig, identity is checked", "[e2e][interop]") {
  SignScene scene({}, "src/app");
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);
  for (const std::string& tag : {std::string("v1"), sig_tag_of(digest)}) {
    auto c = run({"skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                  "--preserve-digests", "docker://" + reg.ref("src/app:" + tag),
                  "docker://" + reg.ref("mirror/app:" + tag)},
                 RunOptions{{{"HOME", reg.dir()}}, {}, {}, {}, 60});
    INFO("skopeo: " << c.err);
    REQUIRE(c.exit_code == 0);
  }
  std::string mirrored = reg.ref("mirror/app@" + digest);
  auto strict = verify_with_key(reg, key, {mirrored});
  CHECK(strict.exit_code == kInvalid);
  CHECK(contains(strict.err, "identity"));
  auto relaxed = verify_image(
      with(reg.client_flags(), with(key_flags({key}), {"--skip-identity-check"})), {mirrored});
  CHECK(relaxed.exit_code == kOk);
}
