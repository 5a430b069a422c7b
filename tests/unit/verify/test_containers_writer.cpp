// A policy written as /etc/containers files: exact policy.json and registries.d bytes, what is
// refused or warned about, and the written policy.json read back by isign's own reader.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/file.h"
#include "verify/containers_writer.h"
#include "verify/policy.h"

using namespace isign;
using common::ErrorKind;
using verify::IdentityRule;
using verify::Policy;
using verify::Requirement;

namespace {

// Two fixed P-256 keys, so that keyData is known bytes.
std::string testdata_key(const std::string& name) {
  auto text = common::read_file(std::string(ISIGN_TESTDATA_DIR) + "/keys/openssl/" + name);
  REQUIRE(text);
  return *text;
}

struct Fixture {
  std::map<std::string, std::string> files{{"/etc/isign/a.pub", testdata_key("ec-p256-pkcs8.pub")},
                                           {"/etc/isign/b.pub", testdata_key("ec-p256-sec1.pub")}};

  Policy parse(const std::string& text) {
    verify::PolicyLoadOptions o;
    o.base_dir = "/etc/isign";
    o.read_key_file = [this](const std::string& path) -> common::Result<std::string> {
      auto it = files.find(path);
      if (it == files.end())
        return common::make_error(ErrorKind::io, "cannot open " + path);
      return it->second;
    };
    auto p = verify::parse_policy(text, o);
    INFO(text);
    if (!p)
      FAIL(p.error().message());
    return std::move(*p);
  }
  verify::ContainersFiles written(const std::string& text) {
    auto files_out = verify::write_containers_policy(parse(text));
    INFO(text);
    if (!files_out)
      FAIL(files_out.error().message());
    return std::move(*files_out);
  }
  // The usage error's message for a policy that cannot be written.
  std::string refused(const std::string& text) {
    auto out = verify::write_containers_policy(parse(text));
    INFO(text);
    REQUIRE_FALSE(out);
    CHECK(out.error().kind() == ErrorKind::usage);
    return out.error().message();
  }
};

// base64 of testdata/keys/openssl/ec-p256-pkcs8.pub and ec-p256-sec1.pub.
const std::string kA =
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFblk2SGZs"
    "VHNkd3lpOStWaHlkQzhwdW9DV2pySwpQRjM0L3hNL3hiMk9HUVhMTGtOWUV2eFE2d3NhNHFTRkdzcnlEUXBTc0RsYkxo"
    "MWl1QnpOaXphOVpRPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==";
const std::string kB =
    "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FFMjZlU2FD"
    "RWxXTjFYTE0vUjBPMzlHK05ISllTTgo0Y1pLRjBpK1orL0xUQ0ZHK0NEMUFJdDMxeTMzWHg4TWQ2L25ldWp4WWduZFls"
    "WlU2NUVhWVhNa3JRPT0KLS0tLS1FTkQgUFVCTElDIEtFWS0tLS0tCg==";

std::string sigstore_signed(const std::string& key_data, const std::string& identity,
                            const std::string& indent) {
  return indent + "{\n" + indent + "  \"type\": \"sigstoreSigned\",\n" + indent +
         "  \"keyData\": \"" + key_data + "\",\n" + indent + "  \"signedIdentity\": {\n" + indent +
         "    \"type\": \"" + identity + "\"" + "\n" + indent + "  }\n" + indent + "}";
}

} // namespace

TEST_CASE("containers writer: a representative policy, exact bytes", "[policy][containers]") {
  Fixture f;
  auto out = f.written(R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      "registry.example.com": {"keys": ["a.pub"]},
      "registry.example.com/payments": {"keys": ["a.pub", "b.pub"], "threshold": 2,
                                        "identity": {"type": "matchExact"}},
      "registry.example.com/app:v1": {"keys": ["a.pub", "a.pub"],
                                      "identity": {"type": "matchRepoDigestOrExact"}},
      "registry.example.com/sandbox": {"type": "insecureAcceptAnything"},
      "index.docker.io/library/ubuntu": {"type": "reject"},
      "*.dev.example.com": {"keys": ["b.pub"]}
    }
  })");
  const std::string in = "        ";
  CHECK(out.policy_json == "{\n"
                           "  \"default\": [\n"
                           "    {\n"
                           "      \"type\": \"reject\"\n"
                           "    }\n"
                           "  ],\n"
                           "  \"transports\": {\n"
                           "    \"docker\": {\n"
                           "      \"*.dev.example.com\": [\n" +
                               sigstore_signed(kB, "matchRepository", in) +
                               "\n"
                               "      ],\n"
                               "      \"docker.io/library/ubuntu\": [\n"
                               "        {\n"
                               "          \"type\": \"reject\"\n"
                               "        }\n"
                               "      ],\n"
                               "      \"registry.example.com\": [\n" +
                               sigstore_signed(kA, "matchRepository", in) +
                               "\n"
                               "      ],\n"
                               "      \"registry.example.com/app:v1\": [\n" +
                               sigstore_signed(kA, "matchRepoDigestOrExact", in) +
                               "\n"
                               "      ],\n"
                               "      \"registry.example.com/payments\": [\n" +
                               sigstore_signed(kA, "matchExact", in) + ",\n" +
                               sigstore_signed(kB, "matchExact", in) +
                               "\n"
                               "      ],\n"
                               "      \"registry.example.com/sandbox\": [\n"
                               "        {\n"
                               "          \"type\": \"insecureAcceptAnything\"\n"
                               "        }\n"
                               "      ]\n"
                               "    }\n"
                               "  }\n"
                               "}\n");
  // Signed scopes only, a tag scope as its repository; the default rejects: no default-docker.
  CHECK(out.registries_yaml ==
        "# Written by isign policy containers: containers/image reads the sigstore signatures "
        "(.sig)\n# of the scopes policy.json checks them in.\n"
        "docker:\n"
        "  \"*.dev.example.com\":\n    use-sigstore-attachments: true\n"
        "  \"registry.example.com\":\n    use-sigstore-attachments: true\n"
        "  \"registry.example.com/app\":\n    use-sigstore-attachments: true\n"
        "  \"registry.example.com/payments\":\n    use-sigstore-attachments: true\n");
  CHECK(out.warnings.empty());
  CHECK(common::base64_encode(f.files["/etc/isign/a.pub"]) == kA);
  CHECK(common::base64_encode(f.files["/etc/isign/b.pub"]) == kB);
}

TEST_CASE("containers writer: remapIdentity, a signed default, and warnings",
          "[policy][containers]") {
  Fixture f;
  auto out = f.written(R"({
    "version": 1,
    "default": {"keys": ["b.pub"]},
    "scopes": {
      "mirror.internal:5000/upstream": {
        "keys": ["a.pub"],
        "identity": {"type": "remapIdentity", "prefix": "mirror.internal:5000/upstream",
                     "signedPrefix": "registry.example.com"}},
      "registry.example.com/app": {
        "keys": ["a.pub"],
        "attestations": [{"type": "vuln", "failOnSeverity": "HIGH"},
                         {"type": "cyclonedx", "maxAge": "30d"}]}
    }
  })");
  CHECK(out.policy_json == "{\n"
                           "  \"default\": [\n" +
                               sigstore_signed(kB, "matchRepository", "    ") +
                               "\n"
                               "  ],\n"
                               "  \"transports\": {\n"
                               "    \"docker\": {\n"
                               "      \"mirror.internal:5000/upstream\": [\n"
                               "        {\n"
                               "          \"type\": \"sigstoreSigned\",\n"
                               "          \"keyData\": \"" +
                               kA +
                               "\",\n"
                               "          \"signedIdentity\": {\n"
                               "            \"type\": \"remapIdentity\",\n"
                               "            \"prefix\": \"mirror.internal:5000/upstream\",\n"
                               "            \"signedPrefix\": \"registry.example.com\"\n"
                               "          }\n"
                               "        }\n"
                               "      ],\n"
                               "      \"registry.example.com/app\": [\n" +
                               sigstore_signed(kA, "matchRepository", "        ") +
                               "\n"
                               "      ]\n"
                               "    }\n"
                               "  }\n"
                               "}\n");
  CHECK(out.registries_yaml ==
        "# Written by isign policy containers: containers/image reads the sigstore signatures "
        "(.sig)\n# of the scopes policy.json checks them in.\n"
        "docker:\n"
        "  \"mirror.internal:5000/upstream\":\n    use-sigstore-attachments: true\n"
        "  \"registry.example.com/app\":\n    use-sigstore-attachments: true\n"
        "default-docker:\n  use-sigstore-attachments: true\n");
  REQUIRE(out.warnings.size() == 2);
  CHECK_THAT(out.warnings[0],
             Catch::StartsWith("scope \"mirror.internal:5000/upstream\": nodes check "
                               "remapIdentity more strictly than isign"));
  CHECK(out.warnings[1] ==
        "scope \"registry.example.com/app\": nodes will not check its 2 attestation rules "
        "(containers-policy.json has none): check them at admission, with isign verify --policy "
        "or the admission webhook");
}

TEST_CASE("containers writer: what nodes cannot check is refused, naming the scope",
          "[policy][containers]") {
  Fixture f;
  struct Case {
    std::string rule;
    std::string message;
  };
  const std::string scope = "scope \"registry.example.com/app\": ";
  const std::vector<Case> cases = {
      {R"({"keys": ["a.pub"], "identity": {"type": "none"}})",
       scope + "identity \"none\" cannot be written: containers/image always checks the "
               "signature's docker-reference (use matchRepository, or remapIdentity for a "
               "mirror)"},
      {R"({"keys": ["a.pub"], "annotations": {"env": "prod"}})",
       scope + "annotations cannot be written: containers-policy.json does not check a "
               "signature's annotations (drop \"annotations\" from this scope, or leave the "
               "scope to isign verify)"},
      {R"({"keys": ["a.pub", "b.pub"]})",
       scope + "a threshold of 1 of 2 distinct keys cannot be written for containers/image "
               "5.23 (Debian 12's podman, skopeo and CRI-O), which requires a signature by "
               "every key it lists: set the threshold to 2 or list one key"},
  };
  for (const auto& c : cases)
    CHECK(f.refused(R"({"version": 1, "default": {"type": "reject"},
                        "scopes": {"registry.example.com/app": )" +
                    c.rule + "}}") == c.message);

  // The default rule is named as such.
  CHECK_THAT(f.refused(R"({"version": 1,
                           "default": {"keys": ["a.pub"], "identity": {"type": "none"}}})"),
             Catch::StartsWith("the default rule: identity \"none\" cannot be written"));
  // A scope with a tag and a digest never matches in containers/image.
  CHECK_THAT(f.refused(R"({"version": 1, "default": {"type": "reject"}, "scopes": {
      "registry.example.com/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef":
      {"type": "reject"}}})"),
             Catch::Contains("a scope with both a tag and a digest would never match on a node"));
  // A containers-policy.json read by isign: several keys in one requirement are any of them, and
  // what isign cannot check cannot be written either.
  CHECK_THAT(f.refused(R"({"default": [{"type": "reject"}], "transports": {"docker": {
      "registry.example.com/app": [{"type": "sigstoreSigned", "keyPaths": ["a.pub", "b.pub"],
                                    "signedIdentity": {"type": "matchRepository"}}]}}})"),
             Catch::StartsWith(scope + "a threshold of 1 of 2 distinct keys"));
  CHECK(f.refused(R"({"default": [{"type": "reject"}], "transports": {"docker": {
      "registry.example.com/app": [{"type": "signedBy", "keyType": "GPGKeys",
                                    "keyPath": "/x.gpg"}]}}})") ==
        scope + "signedBy (GPG simple signing) is not supported by isign, so it cannot be "
                "written either");
}

TEST_CASE("containers writer: the written policy.json reads back as the same rules",
          "[policy][containers]") {
  Fixture f;
  const Policy original = f.parse(R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      "registry.example.com": {"keys": ["a.pub"]},
      "registry.example.com/payments": {"keys": ["a.pub", "b.pub"], "threshold": 2,
                                        "identity": {"type": "matchExact"}},
      "registry.example.com/sandbox": {"type": "insecureAcceptAnything"},
      "docker.io/library/ubuntu": {"type": "reject"},
      "*.dev.example.com": {"keys": ["b.pub"], "identity": {"type": "matchRepoDigestOrExact"}}
    }
  })");
  auto out = verify::write_containers_policy(original);
  REQUIRE(out);
  auto back = verify::parse_policy(out->policy_json);
  REQUIRE(back);
  CHECK(back->format == verify::PolicyFormat::containers);
  // A rule of k keys with threshold k reads back as k requirements of one key each (all must
  // hold): the same rule. Compared as (type, key id, identity) triples.
  auto flatten = [](const verify::Rule& rule) {
    std::vector<std::string> out_rule;
    for (const auto& req : rule.requirements) {
      if (req.type != Requirement::Type::signed_by) {
        out_rule.push_back(verify::requirement_type_name(req));
        continue;
      }
      // Every key required: the original's threshold, or one key per read-back requirement.
      CHECK(req.options.threshold == verify::distinct_keys(req.keys));
      for (const auto& key : req.keys)
        out_rule.push_back("sigstoreSigned " + verify::key_id(key) + " " +
                           std::string(verify::identity_rule_name(req.options.identity)));
    }
    return out_rule;
  };
  CHECK(flatten(back->default_rule) == flatten(original.default_rule));
  REQUIRE(back->scopes.size() == original.scopes.size());
  for (const auto& [scope, rule] : original.scopes) {
    INFO(scope);
    REQUIRE(back->scopes.count(scope) == 1);
    CHECK(flatten(back->scopes.at(scope)) == flatten(rule));
  }
  CHECK(back->scopes.at("registry.example.com/payments").requirements.size() == 2);

  // A containers-policy.json goes through unchanged in meaning, its transport default ("")
  // included (sigstore attachments then on for every registry: default-docker).
  const Policy containers = f.parse(R"({
    "default": [{"type": "reject"}],
    "transports": {"docker": {
      "": [{"type": "sigstoreSigned", "keyPath": "a.pub"}],
      "mirror.internal:5000": [{"type": "sigstoreSigned", "keyPath": "b.pub",
                                "signedIdentity": {"type": "remapIdentity",
                                                   "prefix": "mirror.internal:5000",
                                                   "signedPrefix": "registry.example.com"}}]}}
  })");
  auto again = verify::write_containers_policy(containers);
  REQUIRE(again);
  CHECK(again->warnings.empty()); // remapIdentity read from containers means what it means there
  CHECK(again->registries_yaml ==
        "# Written by isign policy containers: containers/image reads the sigstore signatures "
        "(.sig)\n# of the scopes policy.json checks them in.\n"
        "docker:\n"
        "  \"mirror.internal:5000\":\n    use-sigstore-attachments: true\n"
        "default-docker:\n  use-sigstore-attachments: true\n");
  auto reread = verify::parse_policy(again->policy_json);
  REQUIRE(reread);
  REQUIRE(reread->scopes.count("") == 1);
  const auto& any = reread->scopes.at("").requirements.at(0);
  CHECK(any.options.identity == IdentityRule::repo_digest_or_exact);
  const auto& mirror = reread->scopes.at("mirror.internal:5000").requirements.at(0);
  CHECK(mirror.options.identity == IdentityRule::remap);
  CHECK(mirror.options.remap_prefix == "mirror.internal:5000");
  CHECK(mirror.options.remap_signed_prefix == "registry.example.com");
  CHECK(mirror.options.remap_then == IdentityRule::repo_digest_or_exact);
  // Written again, the same bytes: the translation is a fixed point.
  auto twice = verify::write_containers_policy(*reread);
  REQUIRE(twice);
  CHECK(twice->policy_json == again->policy_json);
}

TEST_CASE("containers writer: a policy of its default alone", "[policy][containers]") {
  Fixture f;
  auto out = f.written(R"({"version": 1, "default": {"type": "insecureAcceptAnything"}})");
  CHECK(out.policy_json == "{\n  \"default\": [\n    {\n      \"type\": "
                           "\"insecureAcceptAnything\"\n    }\n  ]\n}\n");
  // Nothing signed: a file of comments, which containers/image reads as no configuration.
  CHECK(out.registries_yaml ==
        "# Written by isign policy containers: containers/image reads the sigstore signatures "
        "(.sig)\n# of the scopes policy.json checks them in.\n");
  CHECK(out.warnings.empty());
}
