// Hostile input to attest and verify-attestation through the built binary and a real registry:
// predicates that are not files or not what --type says, sizes over the limit on either side,
// flags that cannot go together, an attestation that is not about the image, and policies with
// nothing for verify-attestation to check. Each gives one clear error line with its documented
// exit code, and a refused attest writes nothing.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "tests/e2e/registry_cli.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/cosign_oracle.h"
#include "tests/support/images.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string att_tag_of(const std::string& digest) {
  std::string tag = digest;
  tag[tag.find(':')] = '-';
  return tag + ".att";
}

RunResult attest(const SignScene& s, const std::vector<std::string>& flags,
                 const std::vector<std::string>& refs) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  o.timeout_seconds = 60;
  return isign_cmd("attest", with(s.reg.client_flags(), with({"--key", s.key + ".key"}, flags)),
                   refs, o);
}

RunResult verify_attestation(const SignScene& s, const std::vector<std::string>& flags,
                             const std::vector<std::string>& refs) {
  RunOptions o;
  o.timeout_seconds = 60;
  return isign_cmd("verify-attestation",
                   with(s.reg.client_flags(), with({"--key", s.key + ".pub"}, flags)), refs, o);
}

// Nothing attest could have written: no .att tag, no referrers index tag.
void check_nothing_written(const SignScene& s) {
  CHECK(get_manifest(s.reg, "app", att_tag_of(s.digest)).status == 404);
  std::string index = s.digest;
  index[index.find(':')] = '-';
  CHECK(get_manifest(s.reg, "app", index).status == 404);
}

const char* kGrype = R"({"matches":[{"vulnerability":{"id":"CVE-2026-1","severity":"Critical"},)"
                     R"("artifact":{"name":"libssl3","version":"3"}}],)"
                     R"("descriptor":{"name":"grype","version":"0.80.0",)"
                     R"("timestamp":"2026-01-01T00:00:00Z"}})";

} // namespace

TEST_CASE("attest: predicates that cannot be read or are not the type: one line, nothing written",
          "[e2e][attest][adversary]") {
  SignScene s;
  const std::string dir = s.dir / "a-directory";
  std::filesystem::create_directories(dir);
  const std::string empty = s.dir / "empty.json";
  write_text(empty, "");
  const std::string sbom = s.dir / "sbom.json";
  write_text(sbom, R"({"bomFormat":"CycloneDX","specVersion":"1.5","components":[]})");
  const std::string big = s.dir / "big.json";
  write_text(big, R"({"pad":")" + std::string(5000, 'x') + "\"}");

  struct Case {
    std::string name;
    std::vector<std::string> flags;
    std::vector<int> codes; // acceptable exit codes
  };
  const std::vector<Case> cases = {
      {"a directory", {"--type", "custom", "--predicate", dir}, {kUsage, 3}},
      {"a missing file", {"--type", "custom", "--predicate", s.dir / "nope.json"}, {kUsage, 3}},
      {"an empty file as vuln", {"--type", "vuln", "--predicate", empty}, {kUsage}},
      {"an SBOM as vuln", {"--type", "vuln", "--predicate", sbom}, {kUsage}},
      {"an unknown --type", {"--type", "sbom-ish", "--predicate", sbom}, {kUsage}},
      {"--statement and --predicate", {"--predicate", sbom, "--statement", sbom}, {kUsage}},
      {"neither", {"--type", "cyclonedx"}, {kUsage}},
      {"cosign's image signature type",
       {"--type", "https://sigstore.dev/cosign/sign/v1", "--predicate", sbom},
       {kUsage}},
      {"over --max-predicate-size",
       {"--type", "https://example.com/x/v1", "--predicate", big, "--max-predicate-size", "1000"},
       {kLimit}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      auto r = attest(s, c.flags, {s.ref});
      CHECK(std::find(c.codes.begin(), c.codes.end(), r.exit_code) != c.codes.end());
      CHECK(lines(r.err) == 1);
      CHECK(contains(r.err, "isign: error:"));
      CHECK(r.out.empty());
      check_nothing_written(s);
    }
  }
}

TEST_CASE("attest: a FIFO predicate is read once its writer comes", "[e2e][attest][adversary]") {
  SignScene s;
  const std::string fifo = s.dir / "pred.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  o.timeout_seconds = 60;
  // A shell writes the predicate into the FIFO while attest waits for it.
  std::vector<std::string> argv = {"/bin/sh", "-c",
                                   "printf '%s' '{\"a\":1}' > '" + fifo + "' & exec \"$0\" \"$@\"",
                                   ISIGN_BINARY, "attest"};
  for (const auto& f : s.reg.client_flags())
    argv.push_back(f);
  for (const auto& a :
       std::vector<std::string>{"--key", s.key + ".key", "--type", "https://example.com/x/v1",
                                "--predicate", fifo, s.ref})
    argv.push_back(a);
  auto r = run(argv, o);
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  auto v = verify_attestation(s, {"--type", "https://example.com/x/v1"}, {s.ref});
  CHECK(v.exit_code == kOk);
}

TEST_CASE("verify-attestation: sizes, another image's statement and policies without rules",
          "[e2e][attest][adversary]") {
  SignScene s;
  const std::string report = s.dir / "grype.json";
  write_text(report, kGrype);
  REQUIRE(attest(s, {"--type", "vuln", "--predicate", report}, {s.ref}).exit_code == kOk);

  SECTION("the gate refuses a critical finding: exit 1, one line naming it") {
    auto r = verify_attestation(s, {"--type", "vuln", "--fail-on-severity", "high"}, {s.ref});
    CHECK(r.exit_code == kInvalid);
    CHECK(contains(r.err, "CVE-2026-1"));
  }
  SECTION("an attestation over --max-predicate-size: a limit (11), not invalid (1)") {
    auto r = verify_attestation(s, {"--type", "vuln", "--max-predicate-size", "100"}, {s.ref});
    CHECK(r.exit_code == kLimit);
  }
  SECTION("no attestation of the asked type: 10") {
    auto r = verify_attestation(s, {"--type", "cyclonedx"}, {s.ref});
    CHECK(r.exit_code == kNoSignature);
    CHECK(contains(r.err, "found: https://cosign.sigstore.dev/attestation/vuln/v1"));
  }
  SECTION("an attestation is never a signature for verify") {
    auto r = verify_with_key(s.reg, s.key, {s.ref});
    CHECK(r.exit_code == kNoSignature);
  }
  SECTION("a policy whose scope has no attestation rules: usage (2), naming why") {
    const std::string policy = s.dir / "policy.json";
    write_text(policy, R"({"version":1,"default":{"keys":[")" + s.key + R"(.pub"]}})");
    RunOptions o;
    o.timeout_seconds = 60;
    auto r = isign_cmd("verify-attestation", with(s.reg.client_flags(), {"--policy", policy}),
                       {s.ref}, o);
    INFO(r.err);
    CHECK(r.exit_code == kUsage);
    CHECK(contains(r.err, "no attestation rules"));
  }
}

TEST_CASE("verify-attestation: a statement about another image stored beside this one fails (1)",
          "[e2e][attest][adversary]") {
  SignScene s;
  const std::string other = push_random_image(s.reg, "app", "v2");
  // A statement signed for `other`, given with --statement: attest refuses to sign it for s.ref.
  const std::string stmt = s.dir / "stmt.json";
  write_text(stmt, R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x",)"
                   R"("digest":{"sha256":")" +
                       other.substr(7) +
                       R"("}}],"predicateType":"https://example.com/x/v1","predicate":{}})");
  auto refused = attest(s, {"--statement", stmt}, {s.ref});
  CHECK(refused.exit_code == kUsage);
  check_nothing_written(s);
  // Signed for other, then its .att copied to s's tag: verify-attestation must not pass.
  REQUIRE(attest(s, {"--statement", stmt, "--format", "legacy"}, {s.reg.ref("app@" + other)})
              .exit_code == kOk);
  auto att = get_manifest(s.reg, "app", att_tag_of(other));
  REQUIRE(att.status == 200);
  push_manifest(s.reg, "app", att_tag_of(s.digest), att.body,
                "application/vnd.oci.image.manifest.v1+json");
  auto r = verify_attestation(s, {"--type", "https://example.com/x/v1"}, {s.ref});
  CHECK(r.exit_code == kInvalid);
  CHECK(contains(r.err, other));
}
