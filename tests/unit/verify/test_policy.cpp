// Policies: the isign format and containers-policy.json, parsed strictly; scope matching.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "tests/unit/verify/sig_fixture.h"
#include "verify/policy.h"

using namespace isign;
using namespace isign::verify::testing;
using common::ErrorKind;
using verify::IdentityRule;
using verify::Policy;
using verify::PolicyFormat;
using verify::Requirement;

namespace {

// Key files by path, for PolicyLoadOptions::read_key_file.
struct KeyFiles {
  std::map<std::string, std::string> files;
  std::vector<std::string> reads;

  verify::PolicyLoadOptions options(const std::string& base_dir = "/etc/isign") {
    verify::PolicyLoadOptions o;
    o.base_dir = base_dir;
    o.read_key_file = [this](const std::string& path) -> common::Result<std::string> {
      reads.push_back(path);
      auto it = files.find(path);
      if (it == files.end())
        return common::make_error(ErrorKind::io, "cannot open: No such file or directory");
      return it->second;
    };
    return o;
  }
};

struct Fixture {
  Signer a = new_signer();
  Signer b = new_signer();
  Signer c = new_signer();
  KeyFiles files;

  Fixture() {
    files.files["/etc/isign/a.pub"] = a.key.public_key_pem();
    files.files["/etc/isign/keys/b.pub"] = b.key.public_key_pem();
    files.files["/abs/c.pub"] = c.key.public_key_pem();
  }

  common::Result<Policy> parse(const std::string& text) {
    return verify::parse_policy(text, files.options());
  }
  Policy ok(const std::string& text) {
    auto p = parse(text);
    INFO(text);
    if (!p)
      FAIL(p.error().message());
    return std::move(*p);
  }
  // The error message of a policy that must be refused with a usage error.
  std::string refused(const std::string& text, ErrorKind kind = ErrorKind::usage) {
    auto p = parse(text);
    INFO(text);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind() == kind);
    return p.error().message();
  }
};

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump();
}

} // namespace

TEST_CASE("policy: the isign format, one rule per scope", "[policy]") {
  Fixture f;
  auto p = f.ok(R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      "registry.example": {"keys": ["a.pub"]},
      "registry.example/team": {"keys": ["a.pub", "keys/b.pub", "/abs/c.pub"], "threshold": 2,
                                "annotations": {"env": "prod", "empty": ""},
                                "identity": {"type": "matchExact"}},
      "mirror.local:5000/upstream": {"keys": [)" +
                json_string(f.b.key.public_key_pem()) + R"(],
        "identity": {"type": "remapIdentity", "prefix": "mirror.local:5000/upstream",
                     "signedPrefix": "registry.example/team"}},
      "registry.example/team/legacy": {"type": "insecureAcceptAnything"},
      "registry.example/team/app:debug": {"type": "reject"},
      "*.corp.example": {"keys": ["a.pub"], "identity": {"type": "none"}}
    }
  })");
  CHECK(p.format == PolicyFormat::isign);
  CHECK(p.scopes.size() == 6);
  // Each key file is read once, relative paths against the base directory.
  CHECK(f.files.reads ==
        std::vector<std::string>{"/etc/isign/a.pub", "/etc/isign/keys/b.pub", "/abs/c.pub"});

  const auto& team = p.scopes.at("registry.example/team");
  REQUIRE(team.requirements.size() == 1);
  const Requirement& r = team.requirements[0];
  CHECK(r.type == Requirement::Type::signed_by);
  CHECK(r.keys.size() == 3);
  CHECK(verify::key_id(r.keys[1]) == verify::key_id(f.b.pub));
  CHECK(r.options.threshold == 2);
  CHECK(r.options.identity == IdentityRule::exact);
  CHECK(r.options.required_annotations ==
        std::map<std::string, std::string>{{"empty", ""}, {"env", "prod"}});

  const auto& mirror = p.scopes.at("mirror.local:5000/upstream").requirements[0];
  CHECK(mirror.options.identity == IdentityRule::remap);
  CHECK(mirror.options.remap_prefix == "mirror.local:5000/upstream");
  CHECK(mirror.options.remap_signed_prefix == "registry.example/team");
  CHECK(mirror.options.remap_then == IdentityRule::same_repository);
  CHECK(verify::key_id(mirror.keys[0]) == verify::key_id(f.b.pub));

  // Defaults: threshold 1, matchRepository, no annotations.
  const auto& reg = p.scopes.at("registry.example").requirements[0];
  CHECK(reg.options.threshold == 1);
  CHECK(reg.options.identity == IdentityRule::same_repository);
  CHECK(reg.options.required_annotations.empty());
  // No attestations asked for: no gates.
  for (const auto& [scope, rule] : p.scopes)
    CHECK(rule.attestations.empty());
  CHECK(p.default_rule.attestations.empty());

  // The most specific scope wins.
  auto scope_of = [&](const std::string& image) { return p.rule_for(image_ref(image)).scope; };
  CHECK(scope_of("registry.example/app:v1") == "registry.example");
  CHECK(scope_of("registry.example/team/app:v1") == "registry.example/team");
  CHECK(scope_of("registry.example/team/app:debug") == "registry.example/team/app:debug");
  CHECK(scope_of("registry.example/team/legacy@sha256:" + std::string(64, 'a')) ==
        "registry.example/team/legacy");
  CHECK(scope_of("registry.example/team/legacy/sub:v1") == "registry.example/team/legacy");
  CHECK(scope_of("registry.example/teams/app:v1") == "registry.example"); // not under "team"
  CHECK(scope_of("registry.example:5000/team/app:v1") == "default");      // another host
  CHECK(scope_of("mirror.local:5000/upstream/app:v1") == "mirror.local:5000/upstream");
  CHECK(scope_of("a.b.corp.example/x:v1") == "*.corp.example");
  CHECK(scope_of("corp.example/x:v1") == "default"); // a wildcard needs a subdomain
  CHECK(scope_of("ubuntu") == "default");
  CHECK(p.rule_for(image_ref("ubuntu")).requirements[0].type == Requirement::Type::reject);
  CHECK(p.rule_for(image_ref("registry.example/team/legacy:v1")).requirements[0].type ==
        Requirement::Type::accept_anything);
}

TEST_CASE("policy: scope candidates, most specific first", "[policy]") {
  const std::string d = "sha256:" + std::string(64, 'a');
  CHECK(verify::scope_candidates(image_ref("a.b.example.com/ns/app:v1")) ==
        std::vector<std::string>{"a.b.example.com/ns/app:v1", "a.b.example.com/ns/app",
                                 "a.b.example.com/ns", "a.b.example.com", "*.b.example.com",
                                 "*.example.com", "*.com"});
  CHECK(
      verify::scope_candidates(image_ref("localhost:5000/app@" + d)) ==
      std::vector<std::string>{"localhost:5000/app@" + d, "localhost:5000/app", "localhost:5000"});
  CHECK(verify::scope_candidates(image_ref("ubuntu")) ==
        std::vector<std::string>{"docker.io/library/ubuntu:latest", "docker.io/library/ubuntu",
                                 "docker.io/library", "docker.io", "*.io"});
  CHECK(verify::scope_candidates(image_ref("r.io/app:v1@" + d)) ==
        std::vector<std::string>{"r.io/app:v1@" + d, "r.io/app@" + d, "r.io/app", "r.io", "*.io"});
}

TEST_CASE("policy: a tag scope never applies to a reference with a digest", "[policy]") {
  // "repo:legacy@sha256:X" pulls X: an exception for the tag must not admit any digest.
  Fixture f;
  auto p = f.ok(R"({"version": 1, "default": {"keys": ["a.pub"]}, "scopes": {
      "r.io/app:legacy": {"type": "insecureAcceptAnything"}}})");
  const std::string d = "sha256:" + std::string(64, 'c');
  CHECK(p.rule_for(image_ref("r.io/app:legacy")).scope == "r.io/app:legacy");
  CHECK(p.rule_for(image_ref("r.io/app:legacy@" + d)).scope == "default");
}

TEST_CASE("policy: Docker Hub scopes are normalized", "[policy]") {
  Fixture f;
  auto p = f.ok(R"({"version": 1, "default": {"type": "reject"}, "scopes": {
      "index.docker.io/library/ubuntu": {"keys": ["a.pub"]},
      "docker.io/myorg": {"keys": ["a.pub"]},
      "registry-1.docker.io/library/debian:12": {"keys": ["a.pub"]}}})");
  CHECK(p.rule_for(image_ref("ubuntu:22.04")).scope == "index.docker.io/library/ubuntu");
  CHECK(p.rule_for(image_ref("myorg/app")).scope == "docker.io/myorg");
  CHECK(p.rule_for(image_ref("debian:12")).scope == "registry-1.docker.io/library/debian:12");
  CHECK(p.rule_for(image_ref("debian:11")).scope == "default");
  CHECK(f.refused(R"({"version": 1, "default": {"type": "reject"}, "scopes": {
      "docker.io/library/ubuntu": {"keys": ["a.pub"]},
      "index.docker.io/library/ubuntu": {"keys": ["a.pub"]}}})") ==
        "scopes.\"index.docker.io/library/ubuntu\": the same scope as another one "
        "(\"docker.io/library/ubuntu\")");
}

TEST_CASE("policy: anything unknown or out of place rejects the whole file", "[policy]") {
  Fixture f;
  const std::string key = R"({"keys": ["a.pub"]})";
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"version": 1, "default": )" + key + R"(, "scope": {}})",
       "the top level: unknown field \"scope\" (allowed: version, default, scopes, admission)"},
      {R"({"version": 1, "default": )" + key + R"(, "admission": {"exemptNamespace": []}})",
       "admission: unknown field \"exemptNamespace\" (allowed: exemptNamespaces, exemptImages)"},
      {R"({"version": 1, "default": )" + key +
           R"(, "admission": {"exemptNamespaces": ["Kube_System"]}})",
       "admission.exemptNamespaces: \"Kube_System\" is not a namespace name (a DNS label)"},
      {R"({"version": 1, "default": )" + key + R"(, "admission": []})",
       "admission: must be an object, not an array"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "thresold": 1}})",
       "default: unknown field \"thresold\" (allowed: type, keys, threshold, annotations, "
       "identity, requireIdentity, attestations)"},
      {R"({"version": 1, "default": )" + key +
           R"(, "scopes": {"r.example": {"keys": ["a.pub"], "identity": {"type": "matchExact", "prefix": "x"}}}})",
       "scopes.\"r.example\".identity: unknown field \"prefix\" (allowed: type)"},
      {R"({"version": 1, "version": 1, "default": )" + key + "}",
       "not valid JSON: duplicate key \"version\""},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "keys": ["a.pub"]}})",
       "not valid JSON: duplicate key \"keys\""},
      {R"({"default": )" + key + "}",
       "missing field \"version\" (an isign policy starts with \"version\": 1; a "
       "containers-policy.json has \"default\" as a list)"},
      {R"({"version": 2, "default": )" + key + "}",
       "version: must be 1 (the only version of the isign policy format)"},
      {R"({"version": "1", "default": )" + key + "}",
       "version: must be 1 (the only version of the isign policy format)"},
      {R"({"version": 1})",
       "missing field \"default\" (the rule for images no scope matches; {\"type\": \"reject\"} "
       "refuses them)"},
      {R"({"version": 1, "default": {}})",
       "default: missing field \"keys\" (public key files or PEM text)"},
      {R"({"version": 1, "default": {"keys": []}})", "default.keys: must not be empty"},
      {R"({"version": 1, "default": {"keys": "a.pub"}})",
       "default.keys: must be a list of strings, not a string"},
      {R"({"version": 1, "default": {"keys": [""]}})", "default.keys[0]: must not be empty"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "threshold": 2}})",
       "default.threshold: 2 is more than the 1 distinct key"},
      {R"({"version": 1, "default": {"keys": ["a.pub", "a.pub"], "threshold": 2}})",
       "default.threshold: 2 is more than the 1 distinct key"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "threshold": 0}})",
       "default.threshold: must be a whole number of at least 1"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "threshold": 1.5}})",
       "default.threshold: must be a whole number of at least 1"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "annotations": {"env": 1}}})",
       "default.annotations.\"env\": must be a string, not a number"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "annotations": ["env"]}})",
       "default.annotations: must be an object of strings, not an array"},
      {R"({"version": 1, "default": {"type": "reject", "keys": ["a.pub"]}})",
       "default: unknown field \"keys\" (allowed: type)"},
      {R"({"version": 1, "default": {"type": "signedBy"}})",
       "default.type: unknown rule type \"signedBy\" (sigstoreSigned, the default; reject; "
       "insecureAcceptAnything)"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "identity": {"type": "matchAnything"}}})",
       "default.identity.type: unknown identity type \"matchAnything\" (matchRepository, "
       "matchExact, matchRepoDigestOrExact, remapIdentity, none)"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "identity": "matchExact"}})",
       "default.identity: must be an object, not a string"},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "identity": {"type": "remapIdentity", "prefix": "m.local/x"}}})",
       "default.identity: missing field \"signedPrefix\""},
      {R"({"version": 1, "default": {"keys": ["a.pub"], "identity": {"type": "remapIdentity", "prefix": "m.local/x/", "signedPrefix": "r.example"}}})",
       "default.identity.prefix: \"m.local/x/\" is not a registry host or host/namespace prefix in "
       "normalized form (e.g. \"mirror.local:5000/team\", \"docker.io/library\")"},
      {R"({"version": 1, "default": )" + key + R"(, "scopes": {"ubuntu": )" + key + "}}",
       "scopes.\"ubuntu\": a scope starts with a registry host (\"ghcr.io\", \"localhost:5000\", "
       "\"docker.io/library/ubuntu\"), not \"ubuntu\""},
      {R"({"version": 1, "default": )" + key + R"(, "scopes": {"r.example/Team": )" + key + "}}",
       "scopes.\"r.example/Team\": not a registry, namespace or repository (path components are "
       "lowercase letters, digits, '.', '_' and '-')"},
      {R"({"version": 1, "default": )" + key + R"(, "scopes": {"*.example:5000": )" + key + "}}",
       "scopes.\"*.example:5000\": a wildcard scope is \"*.\" and a host name without port, e.g. "
       "\"*.example.com\""},
      {R"({"version": 1, "default": )" + key + R"(, "scopes": {"r.example": []}})",
       "scopes.\"r.example\": must be an object, not an array"},
      {R"({"version": 1, "default": )" + key + R"(, "scopes": []})",
       "scopes: must be an object, not an array"},
      {R"([1])", "the policy must be a JSON object"},
      {R"({"version": 1, "default": )" + key + "} trailing", "not valid JSON: "},
  };
  for (const auto& c : cases) {
    auto message = f.refused(c.text);
    if (c.message.back() == ' ')
      CHECK_THAT(message, Catch::StartsWith(c.message));
    else
      CHECK(message == c.message);
  }
}

TEST_CASE("policy: key files that cannot be read or are not public keys", "[policy]") {
  Fixture f;
  f.files.files["/etc/isign/private.pem"] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  auto missing = f.refused(R"({"version": 1, "default": {"keys": ["nope.pub"]}})", ErrorKind::io);
  CHECK(missing == "default.keys[0]: reading key '/etc/isign/nope.pub': cannot open: No such file "
                   "or directory");
  auto priv = f.refused(R"({"version": 1, "default": {"keys": ["private.pem"]}})", ErrorKind::key);
  CHECK_THAT(priv, Catch::StartsWith("default.keys[0]: key '/etc/isign/private.pem': "));
  auto inline_bad = f.refused(
      R"({"version": 1, "default": {"keys": ["-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"]}})",
      ErrorKind::key);
  CHECK_THAT(inline_bad, Catch::StartsWith("default.keys[0]: "));
}

TEST_CASE("policy: attestations, gates on a scope's attestations", "[policy]") {
  Fixture f;
  f.files.files["/etc/isign/keys/ci.pub"] = f.a.key.public_key_pem();
  f.files.files["/etc/isign/keys/scanner.pub"] = f.b.key.public_key_pem();
  // README.md's example.
  auto p = f.ok(R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      "registry.example.com/payments": {
        "keys": ["keys/ci.pub"],
        "attestations": [
          {"type": "vuln", "keys": ["keys/scanner.pub"], "failOnSeverity": "HIGH", "maxScanAge": "7d",
           "allow": [{"id": "CVE-2023-1234", "until": "2027-01-31"}]},
          {"type": "cyclonedx", "maxAge": "30d"},
          {"type": "slsaprovenance1", "builderId": "https://github.com/example/builder",
           "sourceUri": "git+https://github.com/example/"},
          {"type": "https://example.com/review/v1", "pointer": "/approved", "equals": true}
        ]
      }
    }
  })");
  // Each key file read once, relative to the policy, whoever names it.
  CHECK(f.files.reads ==
        std::vector<std::string>{"/etc/isign/keys/ci.pub", "/etc/isign/keys/scanner.pub"});
  const auto& rule = p.rule_for(image_ref("registry.example.com/payments/api:v1"));
  REQUIRE(rule.requirements.size() == 1);
  CHECK(verify::key_id(rule.requirements[0].keys[0]) == verify::key_id(f.a.pub));
  REQUIRE(rule.attestations.size() == 4);

  const auto& vuln = rule.attestations[0];
  CHECK(vuln.predicate_types ==
        std::vector<std::string>{"https://cosign.sigstore.dev/attestation/vuln/v1"});
  CHECK(vuln.key_files == std::vector<std::string>{"keys/scanner.pub"});
  REQUIRE(vuln.keys.size() == 1);
  CHECK(verify::key_id(vuln.keys[0]) == verify::key_id(f.b.pub));
  CHECK(vuln.fail_on_severity == verify::Severity::high);
  CHECK(vuln.max_scan_age == std::chrono::hours(24 * 7));
  REQUIRE(vuln.allow.size() == 1);
  CHECK(vuln.allow[0].id == "CVE-2023-1234");
  CHECK(vuln.allow[0].until_text == "2027-01-31");

  const auto& sbom = rule.attestations[1];
  CHECK(sbom.predicate_types == std::vector<std::string>{"https://cyclonedx.org/bom"});
  // The scope's keys when the entry names none.
  CHECK(sbom.key_files == std::vector<std::string>{"keys/ci.pub"});
  REQUIRE(sbom.keys.size() == 1);
  CHECK(verify::key_id(sbom.keys[0]) == verify::key_id(f.a.pub));
  CHECK(sbom.max_age == std::chrono::hours(24 * 30));

  const auto& slsa = rule.attestations[2];
  CHECK(slsa.predicate_types == std::vector<std::string>{"https://slsa.dev/provenance/v1"});
  CHECK(slsa.builder_id == "https://github.com/example/builder");
  CHECK(slsa.source_uri == "git+https://github.com/example/");

  const auto& review = rule.attestations[3];
  CHECK(review.predicate_types == std::vector<std::string>{"https://example.com/review/v1"});
  REQUIRE(review.pointers.size() == 1);
  CHECK(review.pointers[0].pointer == "/approved");
  CHECK(review.pointers[0].value == nlohmann::json(true));

  SECTION("the default rule may have attestations; inline PEM keys") {
    auto d =
        f.ok(R"({"version": 1, "default": {"keys": [)" + json_string(f.c.key.public_key_pem()) +
             R"(], "attestations": [{"type": "sbom"}, {"type": "vuln", "keys": [)" +
             json_string(f.b.key.public_key_pem()) + R"(]}]}})");
    REQUIRE(d.default_rule.attestations.size() == 2);
    CHECK(d.default_rule.attestations[0].key_files ==
          std::vector<std::string>{"an inline PEM key"});
    CHECK(verify::key_id(d.default_rule.attestations[0].keys[0]) == verify::key_id(f.c.pub));
    CHECK(d.default_rule.attestations[1].key_files ==
          std::vector<std::string>{"an inline PEM key"});
    CHECK(verify::key_id(d.default_rule.attestations[1].keys[0]) == verify::key_id(f.b.pub));
  }
}

TEST_CASE("policy: a bad attestations entry rejects the whole file, naming it", "[policy]") {
  Fixture f;
  const std::string head =
      R"({"version": 1, "default": {"type": "reject"}, "scopes": {"r.example": )";
  struct Case {
    std::string rule;
    std::string message;
    ErrorKind kind = ErrorKind::usage;
  };
  const std::vector<Case> cases = {
      {R"({"keys": ["a.pub"], "attestations": {"type": "vuln"}})",
       "scopes.\"r.example\".attestations: must be a list of attestation rules, not an object"},
      {R"({"attestations": [{"type": "vuln", "keys": ["a.pub"]}]})",
       "scopes.\"r.example\": missing field \"keys\" (public key files or PEM text: attestations "
       "add to the image's signatures, they do not replace them)"},
      {R"({"type": "insecureAcceptAnything", "attestations": []})",
       "scopes.\"r.example\".attestations: only with a sigstoreSigned rule "
       "(insecureAcceptAnything checks nothing in the registry)"},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "sbom"}, {"type": "sbom", "maxAge": "1 month"}]})",
       "scopes.\"r.example\".attestations[1].maxAge: "},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "cyclonedx", "failOnSeverity": "HIGH"}]})",
       "scopes.\"r.example\".attestations[0].failOnSeverity: applies to vulnerability reports "
       "(vuln, https://in-toto.io/attestation/vulns/v0.2) only, not to \"cyclonedx\""},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "vuln", "failOnSeverity": "HIGH", "allow": [{"id": "CVE-1"}]}]})",
       "scopes.\"r.example\".attestations[0].allow[0]: missing field \"until\" (the date the "
       "exception ends, e.g. \"2027-01-31\": every allow entry expires)"},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "vuln", "threshold": 2}]})",
       "scopes.\"r.example\".attestations[0].threshold: 2 is more than the 1 distinct key"},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "vuln", "kyes": ["a.pub"]}]})",
       "scopes.\"r.example\".attestations[0]: unknown field \"kyes\" (allowed: type, keys, "
       "threshold, failOnSeverity, maxScanAge, allow, maxAge, builderId, sourceUri, pointer, "
       "equals, oneOf, exists)"},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "vuln", "type": "sbom"}]})",
       "not valid JSON: duplicate key \"type\""},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "x", "pointer": "/a", "exists": 1}]})",
       "scopes.\"r.example\".attestations[0].type: unknown attestation type \"x\": "},
      {R"({"keys": ["a.pub"], "attestations": [{"type": "vuln", "keys": ["nope.pub"]}]})",
       "scopes.\"r.example\".attestations[0].keys[0]: reading key '/etc/isign/nope.pub': cannot "
       "open: No such file or directory",
       ErrorKind::io},
  };
  for (const auto& c : cases) {
    auto message = f.refused(head + c.rule + "}}", c.kind);
    if (c.message.back() == ' ')
      CHECK_THAT(message, Catch::StartsWith(c.message));
    else
      CHECK(message == c.message);
  }
  // containers-policy.json has no attestations: the field is unknown there.
  CHECK_THAT(f.refused(R"({"default": [{"type": "sigstoreSigned", "keyPath": "/abs/c.pub",
                           "attestations": []}]})"),
             Catch::Contains("unknown field \"attestations\""));
}

TEST_CASE("policy: containers-policy.json with sigstoreSigned", "[policy]") {
  Fixture f;
  const std::string b_data = common::base64_encode(f.b.key.public_key_pem());
  auto p = f.ok(R"({
    "default": [{"type": "insecureAcceptAnything"}],
    "transports": {
      "docker": {
        "registry.example/team": [{"type": "sigstoreSigned", "keyPath": "/abs/c.pub",
                                   "signedIdentity": {"type": "matchRepository"}}],
        "mirror.local:5000": [{"type": "sigstoreSigned", "keyPaths": ["a.pub", "keys/b.pub"],
                               "signedIdentity": {"type": "remapIdentity",
                                                  "prefix": "mirror.local:5000",
                                                  "signedPrefix": "registry.example"}}],
        "registry.example/both": [{"type": "sigstoreSigned", "keyPath": "/abs/c.pub"},
                                  {"type": "sigstoreSigned", "keyData": ")" +
                b_data + R"("}],
        "registry.example/gpg": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/x.gpg"}],
        "registry.example/fulcio": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem",
                                     "oidcIssuer": "https://x", "subjectEmail": "a@b"},
                                     "rekorPublicKeyPath": "/rekor.pub"}],
        "": [{"type": "reject"}]
      },
      "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
    }
  })");
  CHECK(p.format == PolicyFormat::containers);
  CHECK(p.default_rule.requirements[0].type == Requirement::Type::accept_anything);

  const auto& team = p.rule_for(image_ref("registry.example/team/app:v1"));
  CHECK(team.scope == "registry.example/team");
  REQUIRE(team.requirements.size() == 1);
  CHECK(team.requirements[0].options.identity == IdentityRule::same_repository);
  CHECK(verify::key_id(team.requirements[0].keys[0]) == verify::key_id(f.c.pub));

  const auto& mirror = p.rule_for(image_ref("mirror.local:5000/app:v1")).requirements[0];
  CHECK(mirror.keys.size() == 2);
  CHECK(mirror.options.identity == IdentityRule::remap);
  CHECK(mirror.options.remap_signed_prefix == "registry.example");
  CHECK(mirror.options.remap_then == IdentityRule::repo_digest_or_exact);

  // Several requirements must all hold; keyData is base64 of the PEM; the default identity rule
  // is matchRepoDigestOrExact.
  const auto& both = p.rule_for(image_ref("registry.example/both:v1"));
  REQUIRE(both.requirements.size() == 2);
  CHECK(verify::key_id(both.requirements[1].keys[0]) == verify::key_id(f.b.pub));
  CHECK(both.requirements[0].options.identity == IdentityRule::repo_digest_or_exact);

  // What isign cannot check fails closed, for the images of that scope only.
  const auto& gpg = p.rule_for(image_ref("registry.example/gpg:v1")).requirements[0];
  CHECK(gpg.type == Requirement::Type::unsupported);
  CHECK(gpg.unsupported_reason == "signedBy (GPG simple signing) is not supported by isign");
  const auto& fulcio = p.rule_for(image_ref("registry.example/fulcio:v1")).requirements[0];
  CHECK(fulcio.type == Requirement::Type::unsupported);
  CHECK_THAT(fulcio.unsupported_reason, Catch::StartsWith("sigstoreSigned: "));

  // The docker transport's "" scope comes before the global default.
  CHECK(p.rule_for(image_ref("elsewhere.example/app:v1")).requirements[0].type ==
        Requirement::Type::reject);
  CHECK(p.rule_for(image_ref("elsewhere.example/app:v1")).scope.empty());
}

TEST_CASE("policy: containers-policy.json is parsed as strictly as containers/image does",
          "[policy]") {
  Fixture f;
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"default": [{"type": "reject"}], "transport": {}})",
       "the top level: unknown field \"transport\" (allowed: default, transports)"},
      {R"({"transports": {}})", "missing field \"default\""},
      {R"({"default": []})", "default: the list of requirements must not be empty"},
      {R"({"default": [{"type": "reject", "keyPath": "a.pub"}]})",
       "default[0]: unknown field \"keyPath\" (allowed: type)"},
      {R"({"default": [{"type": "rejected"}]})",
       "default[0].type: unknown requirement type \"rejected\""},
      {R"({"default": [{"type": "sigstoreSigned", "keyPath": "a.pub", "keyPaths": ["a.pub"]}]})",
       "default[0]: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be "
       "given"},
      {R"({"default": [{"type": "sigstoreSigned"}]})",
       "default[0]: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be "
       "given"},
      {R"({"default": [{"type": "sigstoreSigned", "keyPath": "a.pub", "signedIdentity": {"type": "none"}}]})",
       "default[0].signedIdentity.type: unknown identity type \"none\" (matchExact, "
       "matchRepoDigestOrExact, matchRepository, exactReference, exactRepository, "
       "remapIdentity)"},
      {R"({"default": [{"type": "sigstoreSigned", "keyPath": "a.pub", "keypath": "a.pub"}]})",
       "default[0]: unknown field \"keypath\" (allowed: type, keyPath, keyPaths, keyData, "
       "keyDatas, fulcio, pki, rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData, "
       "rekorPublicKeyDatas, signedIdentity)"},
      {R"({"default": [{"type": "sigstoreSigned", "keyData": "!!"}]})",
       "default[0].keyData: is not base64 (keyData holds the PEM public key, base64-encoded)"},
      {R"({"default": [{"type": "reject"}], "transports": {"docker": {"ubuntu": [{"type": "reject"}]}}})",
       "transports.\"docker\".\"ubuntu\": a scope starts with a registry host (\"ghcr.io\", "
       "\"localhost:5000\", \"docker.io/library/ubuntu\"), not \"ubuntu\""},
      {R"({"default": [{"type": "reject"}], "transports": {"docker": {"r.example": {}}}})",
       "transports.\"docker\".\"r.example\": must be a list of requirements, not an object"},
      {R"({"default": [{"type": "reject"}], "transports": {"docker-daemon": {"": [{"type": "bogus"}]}}})",
       "transports.\"docker-daemon\".\"\"[0].type: unknown requirement type \"bogus\""},
  };
  for (const auto& c : cases)
    CHECK(f.refused(c.text) == c.message);
}

TEST_CASE("policy: load_policy_file resolves keys next to the policy", "[policy]") {
  auto missing = verify::load_policy_file("/nonexistent/isign-policy.json");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::io);
}

TEST_CASE("policy: a NUL byte in the policy text is refused", "[policy]") {
  Fixture f;
  auto p =
      f.parse(std::string(R"({"version": 1, "default": {"keys": ["a.pub"]}})") + '\0' + "ignored");
  REQUIRE_FALSE(p);
  CHECK_THAT(p.error().message(), Catch::Contains("NUL"));
}

TEST_CASE("policy: the admission block exempts namespaces by name and images by scope",
          "[policy]") {
  Fixture f;
  auto policy = f.parse(R"({"version": 1, "default": {"type": "reject"},
    "admission": {"exemptNamespaces": ["kube-system"],
                  "exemptImages": ["registry.k8s.io", "docker.io/library/busybox", "*.corp.example"]}})");
  REQUIRE(policy);
  const auto& a = policy->admission;
  CHECK(a.exempts_namespace("kube-system"));
  CHECK_FALSE(a.exempts_namespace("kube"));
  auto exempt = [&](const std::string& image) {
    auto ref = isign::registry::Reference::parse(image);
    REQUIRE(ref);
    return a.exempts_image(*ref);
  };
  CHECK(exempt("registry.k8s.io/pause:3.9"));
  CHECK(exempt("busybox"));
  CHECK(exempt("mirror.corp.example/app:v1"));
  CHECK_FALSE(exempt("busybox2"));
  CHECK_FALSE(exempt("registry.k8s.io.evil.example/pause:3.9"));
}
