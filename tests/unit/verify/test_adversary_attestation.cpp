// Adversarial tests of checking attestations (verify/attestation.h through verify_target): hostile
// statements and envelopes, type confusion between the unsigned descriptor annotation and the
// signed statement, gates that a crafted or odd report must not slip past, damaged .att
// manifests, and the error kinds (exit codes) each outcome maps to.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/attestation.h"
#include "cosign/constants.h"
#include "cosign/predicate.h"
#include "sign/signer.h"
#include "tests/unit/verify/batch_fixture.h"
#include "verify/attestation.h"
#include "verify/image_verifier.h"

using namespace isign;
using namespace isign::verify;
using namespace isign::verify::testing;
using common::ErrorKind;
using common::TimePoint;
using nlohmann::json;

namespace {

constexpr std::string_view kVuln = cosign::kVulnPredicateType;
constexpr std::string_view kCdx = cosign::kCycloneDxPredicateType;
constexpr std::string_view kCustom = cosign::kCustomPredicateType;

TimePoint at(const std::string& rfc3339) {
  auto t = common::parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

// The time of every check (a fixed one: the scans below are dated against it).
TimePoint now() {
  return at("2026-06-01T12:00:00Z");
}

std::string statement(const std::string& digest, std::string_view type,
                      const std::string& predicate) {
  auto s = cosign::make_attestation_statement(isign::testing::kRepo.str(), digest, type, predicate);
  REQUIRE(s);
  return *s;
}

// Attaches statement signed by key in format through the attestation stores, with descriptor
// type annotation (the .att layer's predicateType, a bundle's artifact annotation).
void attest(Registry& client, const keys::PrivateKey& key, const registry::Target& target,
            const std::string& statement_text, std::string_view annotated_type,
            cosign::Format format = cosign::Format::legacy) {
  auto sig = sign::sign_statement(key, statement_text, annotated_type, format);
  REQUIRE(sig);
  auto store = cosign::make_store(client, {format}, cosign::Kind::attestation);
  REQUIRE(store);
  const keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;
  options.signer_key = &pub;
  options.max_payload_size = cosign::kMaxAttestationSize;
  options.sleep = [](std::chrono::milliseconds) {};
  const cosign::Subject subject{isign::testing::kRepo, target.digest, target.media_type,
                                target.size};
  REQUIRE((*store)->attach(subject, *sig, options));
}

// A Grype report wrapped in cosign's vuln predicate, scanned at `when`.
std::string grype_predicate(const std::string& when, const json& matches) {
  json p = {{"invocation", {{"parameters", nullptr}, {"uri", ""}, {"event_id", ""}}},
            {"scanner",
             {{"uri", "pkg:github/anchore/grype"},
              {"version", "0.80.0"},
              {"result", {{"matches", matches}}}}},
            {"metadata", {{"scanStartedOn", when}, {"scanFinishedOn", when}}}};
  return p.dump();
}

json match(const std::string& id, const json& severity) {
  json vulnerability = {{"id", id}};
  if (!severity.is_discarded())
    vulnerability["severity"] = severity;
  return {{"vulnerability", vulnerability}, {"artifact", {{"name", "libssl3"}, {"version", "3"}}}};
}

const json kClean = json::array();
json critical() {
  return json::array({match("CVE-2026-0001", "Critical")});
}

AttestationRule rule_of(json entry, const std::vector<keys::PublicKey>& keys) {
  std::vector<std::string> files;
  for (std::size_t i = 0; i < keys.size(); ++i)
    files.push_back("k" + std::to_string(i) + ".pub");
  auto rule = parse_attestation_rule(entry, "test", keys, files,
                                     [](const std::string&) -> common::Result<keys::PublicKey> {
                                       return common::make_error(ErrorKind::internal, "no files");
                                     });
  REQUIRE(rule);
  return std::move(*rule);
}

TargetResult check(Registry& client, const registry::Target& target, const AttestationRule& a,
                   Limits limits = {}, Discovery discovery = Discovery::every) {
  Rule rule;
  rule.scope = "default";
  rule.attestations.push_back(a);
  rule.attestation_options = VerifyOptions{};
  auto signatures = cosign::make_store(client, cosign::kBothFormats);
  auto attestations = cosign::make_store(client, cosign::kBothFormats, cosign::Kind::attestation);
  REQUIRE(signatures);
  REQUIRE(attestations);
  return verify_target(**signatures, ref_of(target.digest), target, rule, limits, discovery,
                       attestations->get(), now());
}

std::string att_tag(const registry::Target& t) {
  auto tag = cosign::attestation_tag(t.digest);
  REQUIRE(tag);
  return *tag;
}

// The .att manifest of target, edited by edit, stored back.
template <class Edit> void edit_att(Registry& client, const registry::Target& t, Edit edit) {
  json m;
  {
    std::lock_guard lock(client.mu);
    m = json::parse(client.tags.at(att_tag(t)));
  }
  edit(m);
  std::lock_guard lock(client.mu);
  client.tags[att_tag(t)] = m.dump();
}

// A layer descriptor of the .att manifest over blob (stored), annotated with type.
json att_layer(Registry& client, const std::string& blob, std::string_view type) {
  const std::string digest = common::sha256_digest(blob);
  {
    std::lock_guard lock(client.mu);
    client.blobs[digest] = blob;
  }
  return {{"mediaType", cosign::kDsseEnvelopeMediaType},
          {"size", blob.size()},
          {"digest", digest},
          {"annotations", {{"dev.sigstore.cosign/signature", ""}, {"predicateType", type}}}};
}

// An envelope over payload signed by key (DSSE PAE), in cosign's key order.
std::string envelope(const keys::PrivateKey& key, const std::string& payload,
                     std::string_view payload_type = cosign::kInTotoPayloadType) {
  auto der = key.sign(cosign::dsse_pae(payload_type, payload), keys::default_hash(key.algorithm()));
  REQUIRE(der);
  return cosign::make_envelope(payload_type, payload, *der);
}

ErrorKind kind_of(const TargetResult& r) {
  REQUIRE(r.error);
  return r.error->kind();
}

} // namespace

TEST_CASE("adversary: a statement about another image fails as a digest mismatch, not a pass",
          "[adversary][attestation]") {
  Registry client;
  const auto image = push_image(client, "a");
  const auto other = push_image(client, "b");
  const auto key = new_key();
  const auto rule = rule_of({{"type", "custom"}}, {key.public_key()});
  for (auto format : {cosign::Format::legacy, cosign::Format::bundle}) {
    DYNAMIC_SECTION(cosign::format_name(format)) {
      // Signed for `other`, stored beside `image`.
      attest(client, key, image, statement(other.digest, kCustom, "{}"), kCustom, format);
      auto r = check(client, image, rule);
      CHECK(kind_of(r) == ErrorKind::verification);
      CHECK_THAT(r.error->message(), Catch::Contains("digest_mismatch") ||
                                         Catch::Contains("the statement is about " + other.digest));
      REQUIRE(r.attestations.size() == 1);
      REQUIRE(r.attestations[0].report.attestations.size() == 1);
      CHECK(r.attestations[0].report.attestations[0].layer.failure == Failure::digest_mismatch);
    }
  }
}

TEST_CASE("adversary: several subjects, one of them the image, pass, none of them fails",
          "[adversary][attestation]") {
  Registry client;
  const auto image = push_image(client, "a");
  const auto other = push_image(client, "b");
  const auto key = new_key();
  const auto rule = rule_of({{"type", "custom"}}, {key.public_key()});
  auto subject = [](const registry::Target& t) {
    return json{{"name", isign::testing::kRepo.str()},
                {"digest", {{"sha256", t.digest.substr(7)}}}};
  };
  json s = {{"_type", cosign::kStatementTypeV1},
            {"subject", json::array({subject(other), subject(image)})},
            {"predicateType", kCustom},
            {"predicate", json::object()}};
  attest(client, key, image, s.dump(), kCustom);
  CHECK_FALSE(check(client, image, rule).error);

  Registry client2;
  const auto image2 = push_image(client2, "a");
  // Upper-case hex of the right digest is another digest: not the image.
  json upper = s;
  upper["subject"] = json::array({subject(other)});
  std::string hex = image2.digest.substr(7);
  for (char& c : hex)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper["subject"].push_back({{"digest", {{"sha256", hex}}}});
  attest(client2, key, image2, upper.dump(), kCustom);
  auto r = check(client2, image2, rule);
  CHECK(kind_of(r) == ErrorKind::verification);
}

TEST_CASE("adversary: hostile statements are invalid (exit 1), never a pass or a crash",
          "[adversary][attestation]") {
  const auto key = new_key();
  const auto rule = rule_of({{"type", "custom"}}, {key.public_key()});
  Registry probe;
  const auto probe_image = push_image(probe, "a");
  const std::string hex = probe_image.digest.substr(7);
  const std::string subj = R"([{"name":"reg.example/app","digest":{"sha256":")" + hex + R"("}}])";
  const std::string type = R"("https://cosign.sigstore.dev/attestation/v1")";
  std::string deep;
  for (int i = 0; i < 5000; ++i)
    deep += "[";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unknown key", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subj +
                          R"(,"predicateType":)" + type + R"(,"predicate":{},"x":1})"},
      {"wrong _type", R"({"_type":"https://in-toto.io/Statement/v2","subject":)" + subj +
                          R"(,"predicateType":)" + type + R"(,"predicate":{}})"},
      {"empty subject", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":[],)"
                        R"("predicateType":)" +
                            type + R"(,"predicate":{}})"},
      {"absent subject", R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":)" + type +
                             R"(,"predicate":{}})"},
      {"predicate not an object", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" +
                                      subj + R"(,"predicateType":)" + type +
                                      R"(,"predicate":[1]})"},
      {"duplicate key", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subj +
                            R"(,"predicateType":)" + type +
                            R"(,"predicate":{},"predicateType":"x"})"},
      {"BOM", "\xEF\xBB\xBF"
              R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" +
                  subj + R"(,"predicateType":)" + type + R"(,"predicate":{}})"},
      {"trailing garbage", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subj +
                               R"(,"predicateType":)" + type + R"(,"predicate":{}} x)"},
      {"invalid UTF-8", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subj +
                            R"(,"predicateType":)" + type + "," +
                            "\"predicate\":{\"a\":\"\xC3\x28\"}}"},
      {"huge nesting", R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)" + subj +
                           R"(,"predicateType":)" + type + R"(,"predicate":{"a":)" + deep + "}}"},
      {"NUL then more", std::string(R"({"_type":"https://in-toto.io/Statement/v0.1","subject":)") +
                            subj + R"(,"predicateType":)" + type + R"(,"predicate":{}})" +
                            std::string(1, '\0') + "{}"},
  };
  for (const auto& [name, text] : cases) {
    DYNAMIC_SECTION(name) {
      Registry client;
      const auto image = push_image(client, "a");
      REQUIRE(image.digest == probe_image.digest);
      attest(client, key, image, text, kCustom);
      auto r = check(client, image, rule);
      CHECK(kind_of(r) == ErrorKind::verification);
      REQUIRE(r.attestations.size() == 1);
      REQUIRE(r.attestations[0].report.attestations.size() == 1);
      CHECK(r.attestations[0].report.attestations[0].layer.failure == Failure::payload_invalid);
      CHECK(r.error->message().find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("adversary: hostile envelopes in .att layers are invalid, never a pass",
          "[adversary][attestation]") {
  Registry client;
  const auto image = push_image(client, "a");
  const auto key = new_key();
  const auto rule = rule_of({{"type", "custom"}}, {key.public_key()});
  const std::string s = statement(image.digest, kCustom, "{}");
  // A valid attestation first, so that the .att exists; then replaced by hostile layers.
  attest(client, key, image, s, kCustom);
  const std::string good = envelope(key, s);
  json good_doc = json::parse(good);
  const std::string sig = good_doc["signatures"][0]["sig"];
  const std::string payload = good_doc["payload"];

  std::string url_safe = payload;
  for (char& c : url_safe)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!url_safe.empty() && url_safe.back() == '=')
    url_safe.pop_back();
  const std::string garbage = common::base64_encode("garbage signature");
  const std::vector<std::pair<std::string, json>> cases = {
      {"two signatures, one valid",
       {{"payload", payload},
        {"payloadType", cosign::kInTotoPayloadType},
        {"signatures", json::array({{{"sig", sig}}, {{"sig", garbage}}})}}},
      {"no signatures",
       {{"payload", payload},
        {"payloadType", cosign::kInTotoPayloadType},
        {"signatures", json::array()}}},
      {"keyid a number",
       {{"payload", payload},
        {"payloadType", cosign::kInTotoPayloadType},
        {"signatures", json::array({{{"sig", sig}, {"keyid", 7}}})}}},
      // The signature covers the PAE with the in-toto type: another type must not verify.
      {"payloadType not in-toto",
       {{"payload", payload},
        {"payloadType", "application/json"},
        {"signatures", json::array({{{"sig", sig}}})}}},
      {"garbage signature",
       {{"payload", payload},
        {"payloadType", cosign::kInTotoPayloadType},
        {"signatures", json::array({{{"sig", garbage}}})}}},
  };
  for (const auto& [name, doc] : cases) {
    DYNAMIC_SECTION(name) {
      edit_att(client, image, [&](json& m) {
        m["layers"] = json::array({att_layer(client, doc.dump(), kCustom)});
      });
      auto r = check(client, image, rule);
      CHECK(kind_of(r) == ErrorKind::verification);
    }
  }
  SECTION("a keyid naming another key changes nothing: the signature decides") {
    json doc = good_doc;
    doc["signatures"][0]["keyid"] = "SHA256:not-this-key";
    edit_att(client, image,
             [&](json& m) { m["layers"] = json::array({att_layer(client, doc.dump(), kCustom)}); });
    CHECK_FALSE(check(client, image, rule).error);
  }
  SECTION("URL-safe unpadded base64 decodes to the same signed payload") {
    json doc = good_doc;
    doc["payload"] = url_safe;
    edit_att(client, image,
             [&](json& m) { m["layers"] = json::array({att_layer(client, doc.dump(), kCustom)}); });
    auto r = check(client, image, rule);
    // Either refused or accepted, but accepted only because the signed bytes are the same.
    if (r.error)
      CHECK(r.error->kind() == ErrorKind::verification);
  }
}

TEST_CASE("adversary: a signed cosign sign statement never counts as an attestation, nor an "
          "attestation as a signature",
          "[adversary][attestation]") {
  Registry client;
  const auto image = push_image(client, "a");
  const auto key = new_key();
  auto sign_statement =
      cosign::make_sign_statement(isign::testing::kRepo.str(), image.digest, cosign::Annotations{});
  REQUIRE(sign_statement);
  // Stored as an .att layer and as an attestation bundle, claiming the custom type.
  attest(client, key, image, *sign_statement, kCustom, cosign::Format::legacy);
  attest(client, key, image, *sign_statement, kCustom, cosign::Format::bundle);
  auto r = check(client, image, rule_of({{"type", "custom"}}, {key.public_key()}));
  CHECK(kind_of(r) == ErrorKind::no_signature);
  // Asking for the sign predicate's type itself: still none.
  auto r2 = check(client, image,
                  rule_of({{"type", std::string(cosign::kSignPredicateType)}}, {key.public_key()}));
  CHECK(kind_of(r2) == ErrorKind::no_signature);

  // An attestation bundle stored where signatures are: verify refuses it as a signature.
  Registry client2;
  const auto image2 = push_image(client2, "a");
  auto att = sign::sign_statement(key, statement(image2.digest, kCustom, "{}"), kCustom,
                                  cosign::Format::bundle);
  REQUIRE(att);
  att->kind = cosign::Kind::signature;
  auto store = cosign::make_store(client2, {cosign::Format::bundle});
  REQUIRE(store);
  const keys::PublicKey pub = key.public_key();
  cosign::AttachOptions options;
  options.signer_key = &pub;
  options.sleep = [](std::chrono::milliseconds) {};
  const cosign::Subject subject{isign::testing::kRepo, image2.digest, image2.media_type,
                                image2.size};
  REQUIRE((*store)->attach(subject, *att, options));
  auto sigs = cosign::make_store(client2, cosign::kBothFormats);
  REQUIRE(sigs);
  auto v = verify_target(**sigs, ref_of(image2.digest), image2, key_policy({pub}).default_rule,
                         Limits{});
  REQUIRE(v.error);
  CHECK(v.error->kind() != ErrorKind::internal);
  CHECK_FALSE(v.reports.at(0).verified());
}

TEST_CASE("adversary: the descriptor's predicateType cannot make another type count",
          "[adversary][attestation]") {
  const auto key = new_key();
  const auto vuln_rule =
      rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  for (auto format : {cosign::Format::legacy, cosign::Format::bundle}) {
    DYNAMIC_SECTION(cosign::format_name(format)) {
      Registry client;
      const auto image = push_image(client, "a");
      // Annotated vuln, signed statement CycloneDX: not a vuln attestation.
      attest(client, key, image,
             statement(image.digest, kCdx, R"({"bomFormat":"CycloneDX","specVersion":"1.5"})"),
             kVuln, format);
      auto r = check(client, image, vuln_rule);
      CHECK(kind_of(r) == ErrorKind::no_signature);
      CHECK_THAT(r.error->message(), Catch::Contains(std::string(kCdx)));

      // Annotated CycloneDX, signed statement a failing vuln scan: skipped unread, "none
      // matched", no crash.
      Registry client2;
      const auto image2 = push_image(client2, "a");
      attest(client2, key, image2,
             statement(image2.digest, kVuln, grype_predicate("2026-06-01T11:00:00Z", critical())),
             kCdx, format);
      auto r2 = check(client2, image2, vuln_rule);
      CHECK(kind_of(r2) == ErrorKind::no_signature);
      CHECK_THAT(r2.error->message(), Catch::Contains("found: " + std::string(kCdx)));
    }
  }
}

TEST_CASE("adversary: Grype reports with odd severities are read, not waved through",
          "[adversary][attestation][gates]") {
  const auto key = new_key();
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  struct Case {
    std::string name;
    json matches;
    bool passes;
  };
  const std::vector<Case> cases = {
      {"lower case", json::array({match("CVE-1", "critical")}), false},
      {"mixed case", json::array({match("CVE-1", "hIgH")}), false},
      {"missing severity", json::array({match("CVE-1", json(json::value_t::discarded))}), true},
      {"null severity", json::array({match("CVE-1", nullptr)}), true},
      {"negligible", json::array({match("CVE-1", "Negligible")}), true},
      {"null artifact",
       json::array({{{"vulnerability", {{"id", "CVE-1"}, {"severity", "High"}}},
                     {"artifact", nullptr},
                     {"relatedVulnerabilities", nullptr}}}),
       false},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Registry client;
      const auto image = push_image(client, "a");
      attest(client, key, image,
             statement(image.digest, kVuln, grype_predicate("2026-06-01T11:00:00Z", c.matches)),
             kVuln);
      auto r = check(client, image, rule);
      CHECK(!r.error == c.passes);
      if (r.error)
        CHECK(r.error->kind() == ErrorKind::verification);
    }
  }
  SECTION("a severity of the wrong type fails the gate, naming the field") {
    Registry client;
    const auto image = push_image(client, "a");
    attest(client, key, image,
           statement(image.digest, kVuln,
                     grype_predicate("2026-06-01T11:00:00Z", json::array({match("CVE-1", 9)}))),
           kVuln);
    auto r = check(client, image, rule);
    CHECK(kind_of(r) == ErrorKind::verification);
  }
  SECTION("100000 findings: one bounded line") {
    Registry client;
    const auto image = push_image(client, "a");
    json many = json::array();
    for (int i = 0; i < 100000; ++i)
      many.push_back(match("CVE-2026-" + std::to_string(i), "CRITICAL"));
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-06-01T11:00:00Z", many)), kVuln);
    auto r = check(client, image, rule);
    CHECK(kind_of(r) == ErrorKind::verification);
    CHECK(r.error->message().size() < 1000);
    CHECK(r.error->message().find('\n') == std::string::npos);
    CHECK_THAT(r.error->message(), Catch::Contains("and 99997 more"));
  }
}

TEST_CASE("adversary: a future scan time fails maxScanAge, expired allow entries excuse nothing",
          "[adversary][attestation][gates]") {
  const auto key = new_key();
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, key, image,
         statement(image.digest, kVuln, grype_predicate("2030-01-01T00:00:00Z", kClean)), kVuln);
  auto r =
      check(client, image, rule_of({{"type", "vuln"}, {"maxScanAge", "7d"}}, {key.public_key()}));
  CHECK(kind_of(r) == ErrorKind::verification);
  CHECK_THAT(r.error->message(), Catch::Contains("in the future"));

  Registry client2;
  const auto image2 = push_image(client2, "a");
  attest(client2, key, image2,
         statement(image2.digest, kVuln, grype_predicate("2026-06-01T11:00:00Z", critical())),
         kVuln);
  json expired = {{"type", "vuln"},
                  {"failOnSeverity", "HIGH"},
                  {"allow", json::array({{{"id", "cve-2026-0001"}, {"until", "2026-05-31"}}})}};
  auto r2 = check(client2, image2, rule_of(expired, {key.public_key()}));
  CHECK(kind_of(r2) == ErrorKind::verification);
  CHECK_THAT(r2.error->message(), Catch::Contains("expired"));
  json current = expired;
  current["allow"][0]["until"] = "2026-06-02";
  CHECK_FALSE(check(client2, image2, rule_of(current, {key.public_key()})).error);
}

TEST_CASE("adversary: each key's newest scan decides, whatever the stored order",
          "[adversary][attestation][gates]") {
  const auto key = new_key();
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  SECTION("a newer failing scan is not outvoted by an older clean one") {
    for (bool newer_first : {false, true}) {
      Registry client;
      const auto image = push_image(client, "a");
      const auto older =
          statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", kClean));
      const auto newer =
          statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", critical()));
      attest(client, key, image, newer_first ? newer : older, kVuln);
      attest(client, key, image, newer_first ? older : newer, kVuln);
      auto r = check(client, image, rule);
      CHECK(kind_of(r) == ErrorKind::verification);
    }
  }
  SECTION("a newer clean scan clears an older failing one") {
    Registry client;
    const auto image = push_image(client, "a");
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", critical())),
           kVuln);
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", kClean)), kVuln);
    CHECK_FALSE(check(client, image, rule).error);
  }
}

TEST_CASE("adversary: a newer failing scan among the referrers is read though the .att passes",
          "[adversary][attestation][gates]") {
  // verify-attestation's default discovery stops at the first place that passes: a vuln rule
  // must not, or an old cosign v2 scan outvotes a newer cosign v3 one.
  const auto key = new_key();
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, key, image,
         statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", kClean)), kVuln,
         cosign::Format::legacy);
  attest(client, key, image,
         statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", critical())), kVuln,
         cosign::Format::bundle);
  for (auto discovery : {Discovery::until_met, Discovery::every}) {
    auto r = check(client, image, rule, {}, discovery);
    CHECK(kind_of(r) == ErrorKind::verification);
  }
  // Rules where any passing attestation suffices may still stop at the .att.
  Registry client2;
  const auto image2 = push_image(client2, "a");
  attest(client2, key, image2, statement(image2.digest, kCustom, "{}"), kCustom,
         cosign::Format::legacy);
  auto r = check(client2, image2, rule_of({{"type", "custom"}}, {key.public_key()}), {},
                 Discovery::until_met);
  CHECK_FALSE(r.error);
  CHECK(client2.listings == 0);
}

TEST_CASE("adversary: a vuln rule does not pass while the referrers could not be read",
          "[adversary][attestation][gates]") {
  // The newest scan may be among the referrers: a clean .att alone settles nothing.
  const auto key = new_key();
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, key, image,
         statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", kClean)), kVuln,
         cosign::Format::legacy);
  client.on_list = [](int) -> std::optional<common::Result<registry::Referrers>> {
    return common::Result<registry::Referrers>(
        common::make_error(ErrorKind::registry, "GET /v2/app/referrers/...: 500"));
  };
  auto r = check(client, image, rule);
  CHECK(kind_of(r) == ErrorKind::registry);
  REQUIRE(r.error);
  CHECK_THAT(r.error->message(), Catch::Contains("newest scan"));
  // A rule that any attestation settles passes on the .att, the unread place noted.
  auto any = check(client, image, rule_of({{"type", "vuln"}}, {key.public_key()}));
  CHECK_FALSE(any.error);
  CHECK_FALSE(any.unread.empty());
}

TEST_CASE("adversary: a key's scan whose time cannot be read is not outvoted by an older clean one",
          "[adversary][attestation][gates]") {
  const auto key = new_key();
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}}, {key.public_key()});
  SECTION("no scan time") {
    Registry client;
    const auto image = push_image(client, "a");
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", kClean)), kVuln);
    json undated = json::parse(grype_predicate("2026-05-30T00:00:00Z", critical()));
    undated.erase("metadata");
    attest(client, key, image, statement(image.digest, kVuln, undated.dump()), kVuln);
    CHECK(kind_of(check(client, image, rule)) == ErrorKind::verification);
  }
  SECTION("a report the reader refuses") {
    Registry client;
    const auto image = push_image(client, "a");
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-05-01T00:00:00Z", kClean)), kVuln);
    attest(client, key, image,
           statement(image.digest, kVuln,
                     grype_predicate("2026-05-30T00:00:00Z",
                                     json::array({match("CVE-2026-1", json::array({"HIGH"}))}))),
           kVuln);
    CHECK(kind_of(check(client, image, rule)) == ErrorKind::verification);
  }
  SECTION("a clean scan dated years ahead does not stay the newest for ever") {
    Registry client;
    const auto image = push_image(client, "a");
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2099-01-01T00:00:00Z", kClean)), kVuln);
    attest(client, key, image,
           statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", critical())),
           kVuln);
    CHECK(kind_of(check(client, image, rule)) == ErrorKind::verification);
  }
}

TEST_CASE("adversary: threshold 2 fails when one key's attestation fails its gate",
          "[adversary][attestation][gates]") {
  const auto a = new_key();
  const auto b = new_key();
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, a, image,
         statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", kClean)), kVuln);
  attest(client, b, image,
         statement(image.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", critical())),
         kVuln);
  const auto rule = rule_of({{"type", "vuln"}, {"failOnSeverity", "HIGH"}, {"threshold", 2}},
                            {a.public_key(), b.public_key()});
  auto r = check(client, image, rule);
  CHECK(kind_of(r) == ErrorKind::verification);
  CHECK_THAT(r.error->message(), Catch::Contains("CVE-2026-0001"));
  // The same attestation twice (both formats) by one key is still one key.
  Registry client2;
  const auto image2 = push_image(client2, "a");
  const auto clean =
      statement(image2.digest, kVuln, grype_predicate("2026-05-30T00:00:00Z", kClean));
  attest(client2, a, image2, clean, kVuln, cosign::Format::legacy);
  attest(client2, a, image2, clean, kVuln, cosign::Format::bundle);
  CHECK(kind_of(check(client2, image2, rule)) == ErrorKind::verification);
}

TEST_CASE("adversary: a damaged .att manifest gives clear errors, never a crash",
          "[adversary][attestation]") {
  const auto key = new_key();
  const auto rule = rule_of({{"type", "custom"}}, {key.public_key()});
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, key, image, statement(image.digest, kCustom, "{}"), kCustom);

  SECTION("layers of other media types beside a valid one are ignored") {
    edit_att(client, image, [&](json& m) {
      json other = m["layers"][0];
      other["mediaType"] = "application/octet-stream";
      m["layers"].push_back(other);
    });
    CHECK_FALSE(check(client, image, rule).error);
  }
  SECTION("a layer that is not an object: a registry error naming it") {
    edit_att(client, image, [&](json& m) { m["layers"].push_back(42); });
    auto r = check(client, image, rule);
    CHECK(kind_of(r) == ErrorKind::registry);
    CHECK_THAT(r.error->message(), Catch::Contains("not a JSON object"));
  }
  SECTION("layers not an array") {
    edit_att(client, image, [&](json& m) { m["layers"] = "x"; });
    auto r = check(client, image, rule);
    REQUIRE(r.error);
    CHECK(r.error->kind() != ErrorKind::internal);
  }
  SECTION("a blob the registry lost: a registry error (exit 7), not 'invalid'") {
    {
      std::lock_guard lock(client.mu);
      client.blobs.clear();
    }
    auto r = check(client, image, rule);
    CHECK(kind_of(r) == ErrorKind::registry);
  }
  SECTION("a blob whose bytes differ from the descriptor (truncated)") {
    edit_att(client, image, [&](json& m) {
      std::lock_guard lock(client.mu);
      auto& blob = client.blobs.at(m["layers"][0]["digest"].get<std::string>());
      blob.resize(blob.size() / 2);
    });
    CHECK(kind_of(check(client, image, rule)) == ErrorKind::verification);
  }
  SECTION("a descriptor with a bad digest and one with a negative size") {
    edit_att(client, image, [&](json& m) {
      json bad = m["layers"][0];
      bad["digest"] = "sha256:zz";
      json neg = m["layers"][0];
      neg["size"] = -1;
      m["layers"] = json::array({bad, neg});
    });
    CHECK(kind_of(check(client, image, rule)) == ErrorKind::verification);
  }
}

TEST_CASE("adversary: an attestation over --max-predicate-size is a limit (exit 11), not invalid",
          "[adversary][attestation]") {
  const auto key = new_key();
  Registry client;
  const auto image = push_image(client, "a");
  attest(client, key, image,
         statement(image.digest, kCustom, R"({"pad":")" + std::string(4096, 'x') + "\"}"), kCustom);
  Limits limits;
  limits.max_attestation_size = 1024;
  auto r = check(client, image, rule_of({{"type", "custom"}}, {key.public_key()}), limits);
  CHECK(kind_of(r) == ErrorKind::limit);
  CHECK_THAT(r.error->message(), Catch::Contains("1024"));
}

TEST_CASE("adversary: many invalid attestations make one bounded line",
          "[adversary][attestation]") {
  const auto key = new_key();
  const auto stranger = new_key();
  Registry client;
  const auto image = push_image(client, "a");
  for (int i = 0; i < 60; ++i)
    attest(client, stranger, image,
           statement(image.digest, kCustom, R"({"n":)" + std::to_string(i) + "}"), kCustom);
  auto r = check(client, image, rule_of({{"type", "custom"}}, {key.public_key()}));
  CHECK(kind_of(r) == ErrorKind::verification);
  CHECK(r.error->message().size() < 3000);
  CHECK_THAT(r.error->message(), Catch::Contains("more"));
}
