// sign/verify end to end: the exact bytes `isign sign` pushes (docs/formats.md sections 3 and 4),
// read back with the independent image helpers, and what `isign verify` prints.
#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

TEST_CASE("sign-verify artifact: by digest the .sig has cosign's exact manifest config and payload",
          "[e2e][sign][artifact]") {
  SignScene scene({}, "team/app");
  auto& [reg, dir, key, digest, ref] = scene;

  auto s = sign_image(reg, key, {ref});
  REQUIRE(s.exit_code == kOk);
  CHECK(s.out.empty());
  CHECK_FALSE(contains(s.err, "warning"));
  CHECK_FALSE(contains(s.err, "error"));

  auto a = fetch_artifact(reg, "team/app", digest);
  REQUIRE(a.status == 200);
  CHECK(a.content_type == kOciManifestType);
  // docker-reference is the repository: no tag, no digest.
  std::string payload = cosign_payload(reg.url() + "/team/app", digest);
  REQUIRE(a.payloads.size() == 1);
  CHECK(a.payloads[0] == payload);
  REQUIRE(a.signatures.size() == 1);
  // The annotation is standard padded base64 of a DER ECDSA signature over the payload bytes.
  auto der = isign::common::base64_decode(a.signatures[0]);
  REQUIRE(der);
  CHECK(isign::common::base64_encode(*der) == a.signatures[0]);
  CHECK(static_cast<unsigned char>((*der)[0]) == 0x30);
  CHECK(signature_verifies(key + ".pub", payload, a.signatures[0]));

  std::string payload_digest = isign::common::sha256_digest(payload);
  std::string config = cosign_config({payload_digest});
  CHECK(a.config == config);
  CHECK(a.manifest == cosign_manifest(config, {cosign_layer(payload, a.signatures[0])}));
  // Only the image tag and its signature tag: nothing else was pushed under a tag.
  auto tags = list_tags(reg, "team/app");
  std::sort(tags.begin(), tags.end());
  CHECK(tags == std::vector<std::string>{sig_tag_of(digest), "v1"});
}

TEST_CASE("sign-verify artifact: a second signer appends a layer and keeps the first byte for byte",
          "[e2e][sign][artifact]") {
  SignScene scene;
  auto& [reg, dir, first, digest, ref] = scene;
  auto second = new_key_pair(dir, "second");
  REQUIRE(sign_image(reg, first, {ref}).exit_code == kOk);
  auto before = fetch_artifact(reg, "app", digest);
  REQUIRE(before.status == 200);

  REQUIRE(sign_image(reg, second, {"-a", "team=ops", ref}).exit_code == kOk);
  auto after = fetch_artifact(reg, "app", digest);
  REQUIRE(after.payloads.size() == 2);
  std::string p1 = cosign_payload(reg.url() + "/app", digest);
  std::string p2 = cosign_payload(reg.url() + "/app", digest, R"({"team":"ops"})");
  CHECK(after.payloads[0] == p1);
  CHECK(after.payloads[1] == p2);
  CHECK(after.signatures[0] == before.signatures[0]);
  CHECK(signature_verifies(second + ".pub", p2, after.signatures[1]));
  // diff_ids and history grow by one each (go-containerregistry's mutate.Append, as cosign).
  std::string config =
      cosign_config({isign::common::sha256_digest(p1), isign::common::sha256_digest(p2)});
  CHECK(after.config == config);
  CHECK(after.manifest == cosign_manifest(config, {cosign_layer(p1, before.signatures[0]),
                                                   cosign_layer(p2, after.signatures[1])}));
  // The old config blob is still there (content addressed; nothing deletes it).
  auto old_config_digest = nlohmann::json::parse(before.manifest)["config"]["digest"];
  CHECK(get_blob(reg, "app", old_config_digest).status == 200);
}

TEST_CASE("sign-verify artifact: by tag both commands warn and name the digest",
          "[e2e][sign][verify]") {
  SignScene scene({}, "org/app", "stable");
  auto& [reg, dir, key, digest, by_digest] = scene;
  std::string by_tag = reg.ref("org/app:stable");

  auto s = sign_image(reg, key, {by_tag});
  REQUIRE(s.exit_code == kOk);
  CHECK(contains(s.err, "isign: warning:"));
  CHECK(contains(s.err, "tag"));
  CHECK(contains(s.err, reg.ref("org/app@" + digest)));
  // The signature covers the digest, and the identity is the repository without the tag.
  auto a = fetch_artifact(reg, "org/app", digest);
  REQUIRE(a.payloads.size() == 1);
  CHECK(a.payloads[0] == cosign_payload(reg.url() + "/org/app", digest));

  auto v = verify_with_key(reg, key, {by_tag});
  CHECK(v.exit_code == kOk);
  CHECK(contains(v.err, "isign: warning:"));
  CHECK(contains(v.err, digest));
  CHECK(contains(v.err, "Verification for " + by_tag + " --"));
  CHECK(v.out == "[" + a.payloads[0] + "]\n");

  // By digest: no warning.
  auto d = verify_with_key(reg, key, {by_digest});
  CHECK(d.exit_code == kOk);
  CHECK_FALSE(contains(d.err, "warning"));
  CHECK(contains(d.err, "Verification for " + by_digest + " --"));

  // tag@digest: the digest decides, no tag warning.
  auto both = verify_with_key(reg, key, {reg.ref("org/app:stable@" + digest)});
  CHECK(both.exit_code == kOk);
  CHECK_FALSE(contains(both.err, "warning"));
}

TEST_CASE("sign-verify artifact: verify prints the payloads exactly as signed as JSON or text",
          "[e2e][verify][output]") {
  SignScene scene;
  auto& [reg, dir, a, digest, ref] = scene;
  auto b = new_key_pair(dir, "b");
  REQUIRE(sign_image(reg, a, {ref}).exit_code == kOk);
  REQUIRE(sign_image(reg, b, {"-a", "z=last", "-a", "a=first", ref}).exit_code == kOk);
  std::string pa = cosign_payload(reg.url() + "/app", digest);
  std::string pb = cosign_payload(reg.url() + "/app", digest, R"({"a":"first","z":"last"})");

  // One key: only its payload. The array is cosign's: the payload bytes, not re-serialised.
  auto only_b = verify_with_key(reg, b, {ref});
  CHECK(only_b.exit_code == kOk);
  CHECK(only_b.out == "[" + pb + "]\n");
  auto parsed = nlohmann::json::parse(only_b.out, nullptr, false);
  REQUIRE(parsed.is_array());
  CHECK(parsed.size() == 1);
  CHECK(count_of(only_b.err, "Verification for " + ref + " --") == 1);

  // Both keys: every valid payload, in manifest order.
  auto both = verify_image(with(reg.client_flags(), key_flags({a, b})), {ref});
  CHECK(both.exit_code == kOk);
  CHECK(both.out == "[" + pa + "," + pb + "]\n");

  // --output text: one payload per line, nothing else on stdout.
  auto text =
      verify_image(with(reg.client_flags(), with(key_flags({a, b}), {"--output", "text"})), {ref});
  CHECK(text.exit_code == kOk);
  CHECK(text.out == pa + "\n" + pb + "\n");
  CHECK(contains(text.err, "Verification for " + ref + " --"));

  auto bad =
      verify_image(with(reg.client_flags(), with(key_flags({a}), {"--output", "yaml"})), {ref});
  CHECK(bad.exit_code == kUsage);
  CHECK(bad.out.empty());
}

TEST_CASE("sign-verify artifact: a Docker schema2 image in a nested repository",
          "[e2e][sign][verify]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  ImageSpec spec;
  spec.docker_media_types = true;
  auto image = push_image(reg, "a/b/c", "v1", spec);
  std::string ref = reg.ref("a/b/c@" + image.digest);
  REQUIRE(sign_image(reg, key, {ref}).exit_code == kOk);
  auto art = fetch_artifact(reg, "a/b/c", image.digest);
  REQUIRE(art.payloads.size() == 1);
  // The signature artifact is OCI whatever the image's media type.
  CHECK(art.content_type == kOciManifestType);
  CHECK(art.payloads[0] == cosign_payload(reg.url() + "/a/b/c", image.digest));
  auto v = verify_with_key(reg, key, {ref});
  CHECK(v.exit_code == kOk);
  CHECK(v.out == "[" + art.payloads[0] + "]\n");
}
