// The .sig artifact: cosign's exact bytes for a new one, byte-preserving extension of existing
// ones (cosign's and containers/image's layouts), duplicate detection and the read-back check.
#include <catch2/catch.hpp>

#include <string>

#include "common/digest.h"
#include "common/file.h"
#include "cosign/constants.h"
#include "cosign/signature_manifest.h"
#include "tests/unit/testdata.h"

using namespace isign;
using common::ErrorKind;
using unit::testdata_file;

namespace {

// The sigstore-rs vector: a payload made by cosign and its signature.
cosign::NewSignature sigstore_rs_signature() {
  return {testdata_file("signatures/sigstore-rs/payload.json"),
          testdata_file("signatures/sigstore-rs/signature.b64")};
}

cosign::NewSignature other_signature() {
  return {
      R"({"critical":{"identity":{"docker-reference":"reg.example/app"},)"
      R"("image":{"docker-manifest-digest":"sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7"},)"
      R"("type":"cosign container image signature"},"optional":{"env":"prod"}})",
      "MEQCIDe8/other+signature/"
      "base64AAAAAAAAAAAAAAAAAAAAAAAAAAAiAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="};
}

const std::string kPayloadDigest =
    "sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9";
const std::string kSignatureB64 =
    "MEUCIQD6q/"
    "COgzOyW0YH1Dk+CCYSt4uAhm3FDHUwvPI55zwnlwIgE0ZK58ZOWpZw8YVmBapJhBqCfdPekIknimuO0xH8Jh8=";

// cosign's layer descriptor for the sigstore-rs vector.
const std::string kCosignLayer =
    R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":248,)"
    R"("digest":"sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9",)"
    R"("annotations":{"dev.cosignproject.cosign/signature":"MEUCIQD6q/COgzOyW0YH1Dk+CCYSt4uAhm3FDHUwvPI55zwnlwIgE0ZK58ZOWpZw8YVmBapJhBqCfdPekIknimuO0xH8Jh8="}})";

std::string layer_for(const cosign::NewSignature& sig) {
  return R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)" +
         std::to_string(sig.payload.size()) + R"(,"digest":")" +
         common::sha256_digest(sig.payload) +
         R"(","annotations":{"dev.cosignproject.cosign/signature":")" + sig.signature + R"("}})";
}

std::string oci_manifest(const std::string& config, const std::string& layers) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
         std::to_string(config.size()) + R"(,"digest":")" + common::sha256_digest(config) +
         R"("},"layers":[)" + layers + "]}";
}

cosign::SignatureArtifact extend(const std::string& manifest, const std::string& config,
                                 const cosign::NewSignature& sig) {
  auto existing = cosign::parse_existing_artifact(manifest);
  REQUIRE(existing);
  CHECK(existing->config.digest == common::sha256_digest(config));
  CHECK(existing->config.size == config.size());
  auto out = cosign::extend_signature_artifact(*existing, config, sig);
  REQUIRE(out);
  return *out;
}

} // namespace

TEST_CASE("signature_tag", "[artifact]") {
  auto tag = cosign::signature_tag(
      "sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7");
  REQUIRE(tag);
  CHECK(*tag == "sha256-6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7.sig");
  CHECK_FALSE(cosign::signature_tag("sha256:abc"));
  CHECK_FALSE(cosign::signature_tag("latest"));
}

TEST_CASE("new artifact: cosign's exact config, layer and manifest bytes", "[artifact]") {
  auto sig = sigstore_rs_signature();
  REQUIRE(common::sha256_digest(sig.payload) == kPayloadDigest);
  REQUIRE(sig.signature == kSignatureB64);
  auto art = cosign::new_signature_artifact(sig);

  const std::string config =
      R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],)"
      R"("os":"","rootfs":{"type":"layers","diff_ids":["sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9"]},"config":{}})";
  CHECK(art.config == config);
  CHECK(art.config.size() == 233);
  CHECK(common::sha256_digest(art.config) ==
        "sha256:6be03ee91610ddcd1b1c5b664bb2ef319a85b4ca9ebee1d64d87729c5fd83a91");
  CHECK(art.manifest ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":233,)"
        R"("digest":"sha256:6be03ee91610ddcd1b1c5b664bb2ef319a85b4ca9ebee1d64d87729c5fd83a91"},)"
        R"("layers":[)" +
            kCosignLayer + "]}");
  CHECK(art.media_type == "application/vnd.oci.image.manifest.v1+json");
  CHECK(art.changed);
  REQUIRE(art.blobs_to_upload.size() == 2);
  CHECK(art.blobs_to_upload[0].digest == kPayloadDigest);
  CHECK(art.blobs_to_upload[0].bytes == sig.payload);
  CHECK(art.blobs_to_upload[1].digest == common::sha256_digest(config));
  CHECK(art.blobs_to_upload[1].bytes == config);
}

TEST_CASE("extending cosign's artifact gives what cosign writes for two signatures", "[artifact]") {
  auto first = cosign::new_signature_artifact(sigstore_rs_signature());
  auto second = other_signature();
  auto art = extend(first.manifest, first.config, second);

  const std::string second_digest = common::sha256_digest(second.payload);
  const std::string config =
      R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},{"created":"0001-01-01T00:00:00Z"}],)"
      R"("os":"","rootfs":{"type":"layers","diff_ids":["sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9",")" +
      second_digest + R"("]},"config":{}})";
  CHECK(art.config == config);
  CHECK(art.manifest == oci_manifest(config, kCosignLayer + "," + layer_for(second)));
  CHECK(art.changed);
  REQUIRE(art.blobs_to_upload.size() == 2);
  CHECK(art.blobs_to_upload[0].digest == second_digest);
  CHECK(art.blobs_to_upload[0].bytes == second.payload);
  CHECK(art.blobs_to_upload[1].digest == common::sha256_digest(config));
  CHECK(art.blobs_to_upload[1].bytes == config);
}

TEST_CASE("extending containers/image's layout keeps its bytes", "[artifact]") {
  const std::string manifest = testdata_file("manifests/containers-image-sig.json");
  const std::string config = testdata_file("manifests/containers-image-sig.config.json");
  auto sig = sigstore_rs_signature();
  auto art = extend(manifest, config, sig);

  // The config keeps containers/image's fields (no created/history) and gains a diff_id.
  const std::string expected_config =
      config.substr(0, config.size() - 3) + ",\"" + kPayloadDigest + "\"]}}";
  CHECK(art.config == expected_config);

  // The manifest: the config descriptor keeps its key order (mediaType, digest, size) with the
  // new digest and size; the existing layer is byte for byte the same; ours is appended.
  auto old_layer_begin = manifest.find("\"layers\":[") + 10;
  const std::string old_layer =
      manifest.substr(old_layer_begin, manifest.size() - 2 - old_layer_begin);
  const std::string cimage_order =
      R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest")";
  REQUIRE(old_layer.substr(0, cimage_order.size()) == cimage_order);
  const std::string expected_manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      common::sha256_digest(expected_config) + R"(","size":)" +
      std::to_string(expected_config.size()) + R"(},"layers":[)" + old_layer + "," + kCosignLayer +
      "]}";
  CHECK(art.manifest == expected_manifest);
  CHECK(art.media_type == "application/vnd.oci.image.manifest.v1+json");
}

TEST_CASE("an identical layer is not added twice", "[artifact]") {
  auto sig = sigstore_rs_signature();
  auto first = cosign::new_signature_artifact(sig);
  auto again = extend(first.manifest, first.config, sig);
  CHECK_FALSE(again.changed);
  CHECK(again.manifest == first.manifest);
  CHECK(again.config == first.config);
  CHECK(again.blobs_to_upload.empty());

  // Also when another tool wrote the identical layer with its key order and extra annotations.
  const std::string config =
      R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
      kPayloadDigest + R"("]}})";
  const std::string layer =
      R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":")" +
      kPayloadDigest +
      R"(","size":248,"annotations":{"dev.sigstore.cosign/bundle":"{}",)"
      R"("dev.cosignproject.cosign/signature":")" +
      kSignatureB64 + R"("}})";
  auto other_tool = extend(oci_manifest(config, layer), config, sig);
  CHECK_FALSE(other_tool.changed);

  // Same payload, different signature (another key): a new layer.
  auto other_key = sig;
  other_key.signature = other_signature().signature;
  auto added = extend(first.manifest, first.config, other_key);
  CHECK(added.changed);
  CHECK(added.blobs_to_upload.size() == 2);
}

TEST_CASE("extending keeps manifest annotations, unknown fields and formatting", "[artifact]") {
  const std::string config = "{\n  \"architecture\": \"\",\n  \"history\": [],\n  \"os\": \"\",\n"
                             "  \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [ ]},\n"
                             "  \"x-other\": {\"keep\": [1, 2.5e3, true, null]}\n}\n";
  const std::string foreign_layer =
      "{\"mediaType\": \"application/vnd.example.other+json\", \"size\": 3, \"digest\": "
      "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\", "
      "\"annotations\": {\"a\": \"\\u003c\\/\"}}";
  const std::string manifest = "{\n  \"schemaVersion\": 2,\n  \"config\": {\"mediaType\": "
                               "\"application/vnd.oci.image.config.v1+json\", \"size\": " +
                               std::to_string(config.size()) + ", \"digest\": \"" +
                               common::sha256_digest(config) + "\"},\n  \"layers\": [\n    " +
                               foreign_layer +
                               "\n  ],\n  \"annotations\": {\"org.example\": \"kept\"}\n}\n";
  auto sig = sigstore_rs_signature();
  auto art = extend(manifest, config, sig);

  CHECK(art.config ==
        "{\n  \"architecture\": \"\",\n  \"history\": [{\"created\":\"0001-01-01T00:00:00Z\"}],"
        "\n  \"os\": \"\",\n  \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [ \"" +
            kPayloadDigest +
            "\"]},\n"
            "  \"x-other\": {\"keep\": [1, 2.5e3, true, null]}\n}\n");
  CHECK(art.manifest == "{\n  \"schemaVersion\": 2,\n  \"config\": {\"mediaType\": "
                        "\"application/vnd.oci.image.config.v1+json\", \"size\": " +
                            std::to_string(art.config.size()) + ", \"digest\": \"" +
                            common::sha256_digest(art.config) + "\"},\n  \"layers\": [\n    " +
                            foreign_layer + "\n  ," + kCosignLayer +
                            "],\n  \"annotations\": {\"org.example\": \"kept\"}\n}\n");
  // No mediaType field: OCI is assumed for the PUT.
  CHECK(art.media_type == "application/vnd.oci.image.manifest.v1+json");
}

TEST_CASE("extending: empty or null layers, diff_ids null or absent", "[artifact]") {
  auto sig = sigstore_rs_signature();
  const std::string null_config = R"({"rootfs":{"type":"layers","diff_ids":null}})";
  auto from_null = extend(R"({"schemaVersion":2,"config":{"mediaType":"m","digest":")" +
                              common::sha256_digest(null_config) + R"(","size":)" +
                              std::to_string(null_config.size()) + R"(},"layers":null})",
                          null_config, sig);
  CHECK(from_null.config ==
        R"({"rootfs":{"type":"layers","diff_ids":[")" + kPayloadDigest + "\"]}}");
  CHECK(from_null.manifest.find(R"("layers":[)" + kCosignLayer + "]}") != std::string::npos);

  const std::string no_diff_ids = R"({"rootfs":{"type":"layers"}})";
  auto from_empty = extend(oci_manifest(no_diff_ids, ""), no_diff_ids, sig);
  CHECK(from_empty.config ==
        R"({"rootfs":{"type":"layers","diff_ids":[")" + kPayloadDigest + "\"]}}");
  CHECK(from_empty.manifest.find(R"("layers":[)" + kCosignLayer + "]}") != std::string::npos);
}

TEST_CASE("a Docker schema 2 .sig manifest keeps its media type", "[artifact]") {
  const std::string config = R"({"rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":)" +
      std::to_string(config.size()) + R"(,"digest":")" + common::sha256_digest(config) +
      R"("},"layers":[]})";
  auto art = extend(manifest, config, sigstore_rs_signature());
  CHECK(art.media_type == "application/vnd.docker.distribution.manifest.v2+json");
}

TEST_CASE("existing manifests we do not understand are refused", "[artifact]") {
  const std::string config = R"({"rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string good_config =
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
      std::to_string(config.size()) + R"(,"digest":")" + common::sha256_digest(config) + "\"}";
  struct Case {
    std::string name;
    std::string manifest;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"not JSON", "<html>", "not valid JSON"},
      {"empty", "", "not valid JSON"},
      {"trailing garbage", R"({"schemaVersion":2,)" + good_config + R"(,"layers":[]} x)",
       "not valid JSON"},
      {"byte-order mark", "\xEF\xBB\xBF{\"schemaVersion\":2," + good_config + ",\"layers\":[]}",
       "byte-order mark"},
      {"NUL byte after the object",
       R"({"schemaVersion":2,)" + good_config + R"(,"layers":[]})" + std::string(1, '\0') + "x",
       "NUL byte"},
      {"array", "[]", "not a JSON object"},
      {"index",
       R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
       "not an image manifest"},
      {"schema 1", R"({"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]})", "schemaVersion 2"},
      {"no config", R"({"schemaVersion":2,"layers":[]})", "no config descriptor"},
      {"config digest", R"({"schemaVersion":2,"config":{"digest":"md5:x","size":1},"layers":[]})",
       "sha256 digest"},
      {"config size",
       R"({"schemaVersion":2,"config":{"digest":")" + common::sha256_digest(config) +
           R"(","size":-1},"layers":[]})",
       "integer size"},
      {"no layers", R"({"schemaVersion":2,)" + good_config + "}", "has no layers"},
      {"layers object", R"({"schemaVersion":2,)" + good_config + R"(,"layers":{}})",
       "not an array"},
      {"layer not object", R"({"schemaVersion":2,)" + good_config + R"(,"layers":["x"]})",
       "malformed layer 0"},
      {"layer size beyond int64",
       R"({"schemaVersion":2,)" + good_config +
           R"(,"layers":[{"mediaType":"a","size":18446744073709551615,"digest":"d"}]})",
       "malformed layer 0 (no integer size)"},
      {"layer no digest",
       R"({"schemaVersion":2,)" + good_config + R"(,"layers":[{"mediaType":"a","size":1}]})",
       "malformed layer 0 (no string digest)"},
      {"layer annotations",
       R"({"schemaVersion":2,)" + good_config +
           R"(,"layers":[{"mediaType":"a","size":1,"digest":"d","annotations":[]}]})",
       "annotations is not an object"},
      {"duplicate key", R"({"schemaVersion":2,)" + good_config + R"(,"layers":[],"layers":[]})",
       "duplicate key \"layers\""},
      {"duplicate in layer",
       R"({"schemaVersion":2,)" + good_config +
           R"(,"layers":[{"mediaType":"a","mediaType":"b","size":1,"digest":"d"}]})",
       "duplicate key \"mediaType\""},
      {"deep nesting",
       R"({"schemaVersion":2,)" + good_config + R"(,"layers":[],"x":)" + std::string(100, '[') +
           std::string(100, ']') + "}",
       "nested more than 64"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto existing = cosign::parse_existing_artifact(c.manifest);
    REQUIRE_FALSE(existing);
    CHECK(existing.error().kind() == ErrorKind::registry);
    CHECK_THAT(existing.error().message(), Catch::Contains(c.why));
    CHECK_THAT(existing.error().message(), Catch::Contains("refusing to rewrite"));
    auto has = cosign::artifact_has_signature(c.manifest, sigstore_rs_signature());
    CHECK_FALSE(has);
  }
}

TEST_CASE("extending refuses a config that does not match or has no rootfs", "[artifact]") {
  auto sig = sigstore_rs_signature();
  auto first = cosign::new_signature_artifact(other_signature());
  auto existing = cosign::parse_existing_artifact(first.manifest);
  REQUIRE(existing);
  auto tampered = cosign::extend_signature_artifact(*existing, first.config + " ", sig);
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().kind() == ErrorKind::registry);
  CHECK_THAT(tampered.error().message(), Catch::Contains("does not match its descriptor"));

  for (std::string config :
       {std::string(R"({"os":""})"), std::string(R"({"rootfs":[]})"),
        std::string(R"({"rootfs":{"diff_ids":"x"}})"), std::string("[]"), std::string("nope")}) {
    INFO(config);
    auto manifest = oci_manifest(config, "");
    auto e = cosign::parse_existing_artifact(manifest);
    REQUIRE(e);
    auto out = cosign::extend_signature_artifact(*e, config, sig);
    REQUIRE_FALSE(out);
    CHECK(out.error().kind() == ErrorKind::registry);
  }
}

TEST_CASE("artifact_has_signature finds our layer after a read-back", "[artifact]") {
  auto ours = sigstore_rs_signature();
  auto theirs = other_signature();
  auto only_theirs = cosign::new_signature_artifact(theirs);
  auto both = extend(only_theirs.manifest, only_theirs.config, ours);

  auto has = cosign::artifact_has_signature(only_theirs.manifest, ours);
  REQUIRE(has);
  CHECK_FALSE(*has);
  has = cosign::artifact_has_signature(both.manifest, ours);
  REQUIRE(has);
  CHECK(*has);
  has = cosign::artifact_has_signature(both.manifest, theirs);
  REQUIRE(has);
  CHECK(*has);

  // Same payload under another signature does not count as ours.
  auto other_key = ours;
  other_key.signature = theirs.signature;
  has = cosign::artifact_has_signature(cosign::new_signature_artifact(ours).manifest, other_key);
  REQUIRE(has);
  CHECK_FALSE(*has);
}
