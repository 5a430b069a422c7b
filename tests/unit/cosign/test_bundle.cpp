// cosign v3's formats: DSSE pre-authentication encoding, the sign statement, the bundle, the
// referrer manifest and the referrers index, asserted byte for byte (docs/formats.md sections
// 8-12).
#include <catch2/catch.hpp>

#include <string>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/bundle.h"
#include "cosign/referrer.h"

using namespace isign;
using common::ErrorKind;

namespace {

constexpr std::string_view kImage =
    "sha256:d1056c5a7dcf8fb8f8cc23ff17ee880f2f19c27bc80f707f0fcd5188d5f96633";

std::string statement_v1(std::string_view hex) {
  return R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":")" +
         std::string(hex) +
         R"("},"annotations":{}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}})";
}

} // namespace

TEST_CASE("the sign statement and its PAE match docs/formats.md's worked example", "[bundle]") {
  auto statement = cosign::make_sign_statement("", kImage, {});
  REQUIRE(statement);
  CHECK(*statement == statement_v1(kImage.substr(7)));
  CHECK(statement->size() == 230);
  const std::string pae = cosign::dsse_pae(cosign::kInTotoPayloadType, *statement);
  CHECK(pae.size() == 273);
  CHECK(pae.rfind("DSSEv1 28 application/vnd.in-toto+json 230 {", 0) == 0);
  CHECK(common::sha256_digest(pae) ==
        "sha256:6285b23d8c3dca0ab71ceb8d62d248e35ab506f50eb2bfccddad87b0d442ca35");
}

TEST_CASE("the sign statement carries the name first and sorted annotations", "[bundle]") {
  auto statement =
      cosign::make_sign_statement("reg.example/app", kImage, {{"z", "1"}, {"a", "<&>"}});
  REQUIRE(statement);
  CHECK(
      *statement ==
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"reg.example/app","digest":{"sha256":")" +
          std::string(kImage.substr(7)) +
          R"("},"annotations":{"a":"\u003c\u0026\u003e","z":"1"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}})");
  auto parsed = cosign::parse_statement(*statement);
  REQUIRE(parsed);
  REQUIRE(parsed->subjects.size() == 1);
  CHECK(parsed->subjects[0].name == std::optional<std::string>("reg.example/app"));
  CHECK(parsed->subjects[0].annotations.at("a") == "<&>");
  CHECK(parsed->predicate_type == cosign::kSignPredicateType);
  CHECK_FALSE(cosign::make_sign_statement("", "sha256:abc", {}));
}

TEST_CASE("parse_statement reads what cosign 3.0.0, 3.0.3 and 3.0.5 wrote", "[bundle]") {
  const std::string hex(kImage.substr(7));
  const std::vector<std::string> accepted = {
      // 3.0.0-3.0.2: neither annotations nor predicate
      R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":")" + hex +
          R"("}}],"predicateType":"https://sigstore.dev/cosign/sign/v1"})",
      // 3.0.3: annotations; protojson's optional spaces
      R"({"_type": "https://in-toto.io/Statement/v1", "subject": [{"digest": {"sha256": ")" + hex +
          R"("}, "annotations": {"k": "v"}}], "predicateType": "https://sigstore.dev/cosign/sign/v1"})",
      statement_v1(hex),
      // v0.1 (attest) with a name
      R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"index.docker.io/x/y","digest":{"sha256":")" +
          hex + R"("}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"a":1}})",
  };
  for (const auto& s : accepted) {
    INFO(s);
    CHECK(cosign::parse_statement(s));
  }
  struct Refused {
    std::string text;
    std::string why;
  };
  const std::vector<Refused> refused = {
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"x"}}],"predicateType":"p","extra":1})",
       "unknown key \"extra\""},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"})",
       "no subject"},
      {R"({"_type":"https://example/Statement","subject":[{"digest":{"sha256":"x"}}],"predicateType":"p"})",
       "_type"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":1}}],"predicateType":"p"})",
       "not a string"},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"x"},"colour":"red"}],"predicateType":"p"})",
       "unknown key \"colour\""},
      {R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"x"}}],"predicateType":"p","predicate":[]})",
       "predicate"},
      {R"({"_type":"https://in-toto.io/Statement/v1","_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"x"}}],"predicateType":"p"})",
       "duplicate"},
      {"[1]", "not an object"},
  };
  for (const auto& r : refused) {
    INFO(r.text);
    auto parsed = cosign::parse_statement(r.text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind() == ErrorKind::verification);
    CHECK_THAT(parsed.error().message(), Catch::Contains(r.why));
  }
}

TEST_CASE("make_dsse_bundle writes cosign v3's bundle and parse_bundle reads it back", "[bundle]") {
  const std::string statement = statement_v1(kImage.substr(7));
  const std::string sig("\x30\x06\x02\x01\x01\x02\x01\x02", 8);
  const std::string bundle = cosign::make_dsse_bundle("aGludA==", statement, sig);
  CHECK(
      bundle ==
      R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"aGludA=="}},"dsseEnvelope":{"payload":")" +
          common::base64_encode(statement) +
          R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MAYCAQECAQI="}]}})");
  auto parsed = cosign::parse_bundle(bundle);
  REQUIRE(parsed);
  REQUIRE(parsed->envelope);
  CHECK(parsed->envelope->payload == statement);
  CHECK(parsed->envelope->signature == sig);
  CHECK(parsed->hint == "aGludA==");
  CHECK_FALSE(parsed->message);
}

TEST_CASE("make_message_bundle writes sign-blob's bundle", "[bundle]") {
  const std::string digest(32, '\x01');
  const std::string bundle =
      cosign::make_message_bundle("h", "SHA2_256", digest, std::string("\x30\x00", 2));
  CHECK(
      bundle ==
      R"({"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"h"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":")" +
          common::base64_encode(digest) + R"("},"signature":"MAA="}})");
  auto parsed = cosign::parse_bundle(bundle);
  REQUIRE(parsed);
  REQUIRE(parsed->message);
  CHECK(parsed->message->algorithm == "SHA2_256");
  CHECK(parsed->message->digest == digest);
}

TEST_CASE("parse_bundle reads protojson's spellings and refuses what sigstore-go refuses",
          "[bundle]") {
  const std::string payload = common::base64_encode("{}");
  auto with = [&](const std::string& media_type, const std::string& material,
                  const std::string& envelope) {
    return R"({"mediaType":")" + media_type + R"(","verificationMaterial":)" + material +
           R"(,"dsseEnvelope":)" + envelope + "}";
  };
  const std::string v03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
  const std::string key = R"({"publicKey":{"hint":"x"}})";
  const std::string env =
      R"({"payload":")" + payload +
      R"(","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MAA="}]})";
  // URL-safe and unpadded base64, the other media type spelling, keyid, key order, tlogEntries.
  CHECK(cosign::parse_bundle(with(
      "application/vnd.dev.sigstore.bundle+json;version=0.3", key,
      R"({"signatures":[{"keyid":"","sig":"MAA"}],"payloadType":"application/vnd.in-toto+json","payload":"e30"})")));
  CHECK(cosign::parse_bundle(with(v03, R"({"publicKey":{"hint":"x"},"tlogEntries":[]})", env)));
  CHECK(cosign::parse_bundle(with(v03, R"({"publicKey":{}})", env)));
  struct Refused {
    std::string text;
    std::string why;
  };
  const std::vector<Refused> refused = {
      {with("application/vnd.dev.sigstore.bundle.v0.2+json", key, env), "mediaType"},
      {with("application/vnd.dev.sigstore.bundle.v0.4+json", key, env), "mediaType"},
      {with(v03, R"({"certificate":{"rawBytes":"MAA="}})", env), "certificate"},
      {with(v03, R"({"tlogEntries":[]})", env), "no publicKey"},
      {with(v03, key,
            R"({"payload":"e30=","payloadType":"text/plain","signatures":[{"sig":"MAA="}]})"),
       "payloadType"},
      {with(v03, key,
            R"({"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]})"),
       "0 signatures"},
      {with(
           v03, key,
           R"({"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MAA="},{"sig":"MAA="}]})"),
       "2 signatures"},
      {with(
           v03, key,
           R"({"payload":"e3-/","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MAA="}]})"),
       "alphabets"},
      {with(
           v03, key,
           R"({"payload":"!!","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MAA="}]})"),
       "base64"},
      {with(v03, key, env).insert(1, R"("extra":1,)"), "unknown key \"extra\""},
      {R"({"mediaType":")" + v03 + R"(","verificationMaterial":)" + key + "}", "neither"},
      {R"({"mediaType":")" + v03 + R"(","verificationMaterial":)" + key + R"(,"dsseEnvelope":)" +
           env +
           R"(,"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"MAA="}})",
       "both"},
      {"not json", "not valid JSON"},
  };
  for (const auto& r : refused) {
    INFO(r.text);
    auto parsed = cosign::parse_bundle(r.text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().kind() == ErrorKind::verification);
    CHECK_THAT(parsed.error().message(), Catch::Contains(r.why));
  }
}

TEST_CASE("the referrer manifest is go-containerregistry's bytes", "[referrer]") {
  registry::Descriptor subject{"application/vnd.oci.image.manifest.v1+json", std::string(kImage),
                               1234};
  const std::string bundle_digest =
      "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  const std::string m = cosign::make_referrer_manifest(
      subject, bundle_digest, 987, cosign::kSignPredicateType, "2026-11-30T09:00:00Z");
  CHECK(
      m ==
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":987,"digest":")" +
          bundle_digest +
          R"("}],"annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1","org.opencontainers.image.created":"2026-11-30T09:00:00Z"},"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234,"digest":")" +
          std::string(kImage) +
          R"("},"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"})");
  auto read = cosign::read_referrer(m);
  REQUIRE(read);
  CHECK(read->artifact_type == cosign::kBundleMediaType);
  CHECK(read->subject_digest == kImage);
  CHECK(read->annotations.at("dev.sigstore.bundle.predicateType") == cosign::kSignPredicateType);
  REQUIRE(read->bundle);
  CHECK(read->bundle->digest == bundle_digest);
  CHECK(read->bundle->size == 987u);
  CHECK(read->bundle->format == cosign::Format::bundle);
  CHECK(read->bundle->is_signature());
}

TEST_CASE("read_referrer keeps only a single bundle layer", "[referrer]") {
  const std::string two =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":1,"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"},{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","size":1,"digest":"sha256:2111111111111111111111111111111111111111111111111111111111111111"}]})";
  auto read = cosign::read_referrer(two);
  REQUIRE(read);
  CHECK_FALSE(read->bundle);
  CHECK(read->artifact_type == "application/vnd.oci.empty.v1+json");
  const std::string sbom =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/spdx+json","size":1,"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}]})";
  auto other = cosign::read_referrer(sbom);
  REQUIRE(other);
  CHECK_FALSE(other->bundle);
  CHECK(other->artifact_type == "application/spdx+json");
  auto bad = cosign::read_referrer("{\"layers\":1}");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == ErrorKind::registry);
}

TEST_CASE("the referrers tag and index", "[referrer]") {
  auto tag = cosign::referrers_tag(kImage);
  REQUIRE(tag);
  CHECK(*tag == "sha256-" + std::string(kImage.substr(7)));
  CHECK_FALSE(cosign::referrers_tag("sha256:00"));

  const std::string empty = cosign::empty_referrers_index();
  CHECK(
      empty ==
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
  const std::string d1 = cosign::referrers_index_descriptor(
      "application/vnd.oci.image.manifest.v1+json",
      "sha256:1111111111111111111111111111111111111111111111111111111111111111", 10,
      cosign::kBundleMediaType, {{"b", "2"}, {"a", "1"}});
  CHECK(
      d1 ==
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":10,"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","annotations":{"a":"1","b":"2"},"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"})");
  auto one = cosign::edit_referrers_index(empty, d1, {});
  REQUIRE(one);
  CHECK(
      *one ==
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
          d1 + "]}");
  // Another tool's spacing and a stale descriptor (no artifactType): kept, or repaired in place.
  const std::string theirs =
      "{ \"schemaVersion\": 2, \"manifests\": [ "
      "{\"digest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\", "
      "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":5} ] }";
  auto entries = cosign::read_referrers_index(theirs);
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK_FALSE((*entries)[0].has_artifact_type);
  const std::string repaired = cosign::referrers_index_descriptor(
      "application/vnd.oci.image.manifest.v1+json",
      "sha256:2222222222222222222222222222222222222222222222222222222222222222", 5,
      cosign::kBundleMediaType, {});
  auto two = cosign::edit_referrers_index(theirs, d1, {{0, repaired}});
  REQUIRE(two);
  // The new descriptor goes right before the closing bracket, after the other tool's blank.
  CHECK(*two == "{ \"schemaVersion\": 2, \"manifests\": [ " + repaired + " ," + d1 + "] }");
  auto reread = cosign::read_referrers_index(*two);
  REQUIRE(reread);
  CHECK(reread->size() == 2);
  CHECK((*reread)[0].has_artifact_type);

  for (
      std::string bad :
      {std::string("[]"), std::string(R"({"schemaVersion":2})"),
       std::string(R"({"schemaVersion":2,"manifests":[1]})"),
       std::string(
           R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})"),
       std::string(R"({"schemaVersion":2,"manifests":[{"digest":"sha256:1"}]})")}) {
    INFO(bad);
    auto r = cosign::read_referrers_index(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
  }
}
