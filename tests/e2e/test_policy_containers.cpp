// isign policy containers: an isign policy written as /etc/containers files, then enforced by the
// real skopeo and read back by isign verify --policy, against a real registry.
#include <catch2/catch.hpp>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
namespace cli = isign::cli;

namespace {

RunResult write_containers(const std::string& policy, const std::string& out) {
  return run_isign({"policy", "containers", "--policy", policy, "--out", out});
}

} // namespace

TEST_CASE("policy containers: skopeo and isign refuse what the isign policy refuses",
          "[e2e][policy][interop]") {
  SignScene scene({}, "app", "signed");
  auto& [reg, dir, key, signed_digest, signed_ref] = scene;
  const std::string bare = push_random_image(reg, "app", "bare");
  const std::string elsewhere = push_random_image(reg, "elsewhere", "v1");
  // isign's default: both formats, the .sig that nodes read among them.
  REQUIRE(sign_default(reg, key, {signed_ref}).exit_code == 0);
  REQUIRE(sign_default(reg, key, {reg.ref("elsewhere@" + elsewhere)}).exit_code == 0);
  const std::string R = reg.url();
  const std::string policy = dir / "isign-policy.json";
  write_text(policy, R"({"version": 1, "default": {"type": "reject"},
                         "scopes": {")" +
                         R + R"(/app": {"keys": ["k.pub"]}}})");

  const std::string etc = dir / "etc/containers";
  auto written = write_containers(policy, etc);
  INFO(written.err);
  REQUIRE(written.exit_code == cli::kOk);
  CHECK(written.out ==
        "wrote " + etc + "/policy.json\nwrote " + etc + "/registries.d/isign.yaml\n");
  CHECK(written.err.empty());
  CHECK(contains(read_text(etc + "/registries.d/isign.yaml"),
                 "docker:\n  \"" + R + "/app\":\n    use-sigstore-attachments: true\n"));
  // Re-running replaces the files with the same bytes.
  const std::string first = read_text(etc + "/policy.json");
  REQUIRE(write_containers(policy, etc).exit_code == cli::kOk);
  CHECK(read_text(etc + "/policy.json") == first);

  // The written policy.json gives isign the verdicts of the original policy.
  for (const auto& p : {policy, etc + "/policy.json"}) {
    INFO(p);
    auto verify = [&](const std::string& ref) {
      return verify_image(with(reg.client_flags(), {"--policy", p}), {ref});
    };
    CHECK(verify(signed_ref).exit_code == cli::kOk);
    CHECK(verify(reg.ref("app@" + bare)).exit_code == cli::kNoSignature);
    CHECK(verify(reg.ref("elsewhere@" + elsewhere)).exit_code == cli::kVerificationFailed);
  }

  // skopeo enforces the written files as they are. Debian's skopeo 1.9 was built with sigstore
  // verification switched off (test_policy.cpp's containers test): the signed image gets past
  // the lookup of its .sig (registries.d turned the attachments on) to the sigstoreSigned
  // requirement and stops there with Debian's message; a build with sigstore copies it.
  auto skopeo = [&](const std::string& ref) {
    auto r =
        run({"skopeo", "--policy", etc + "/policy.json", "--registries.d", etc + "/registries.d",
             "copy", "--src-tls-verify=false", "docker://" + ref, "dir:" + dir / "out"},
            RunOptions{{{"HOME", reg.dir()}}, {}, {}, {}, 60});
    UNSCOPED_INFO("skopeo " << ref << ": exit " << r.exit_code << ": " << r.err);
    return r;
  };
  auto copied = skopeo(signed_ref);
  CHECK((copied.exit_code == 0 || contains(copied.err, "sigstore disabled")));
  auto unsigned_copy = skopeo(reg.ref("app@" + bare));
  CHECK(unsigned_copy.exit_code != 0);
  // Refused before the build's limit is reached: no .sig was found for it (registries.d read).
  CHECK(contains(unsigned_copy.err, "no signature exists"));
  auto rejected = skopeo(reg.ref("elsewhere@" + elsewhere));
  CHECK(rejected.exit_code != 0);
  CHECK(contains(rejected.err, "rejected"));
  CHECK(!contains(rejected.err, "sigstore disabled")); // the default rule, not the app scope
}

TEST_CASE("policy containers: warnings, refusals and usage", "[e2e][policy]") {
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  const std::string out = dir / "out";

  // Attestation rules are written without them, one warning per scope.
  const std::string gated = dir / "gated.json";
  write_text(gated, R"({"version": 1, "default": {"type": "reject"}, "scopes": {
    "registry.example.com/app": {"keys": ["k.pub"],
                                 "attestations": [{"type": "vuln", "failOnSeverity": "HIGH"}]}}})");
  auto warned = write_containers(gated, out);
  CHECK(warned.exit_code == cli::kOk);
  CHECK(warned.err == "isign: warning: scope \"registry.example.com/app\": nodes will not check "
                      "its 1 attestation rule (containers-policy.json has none): check them at "
                      "admission, with isign verify --policy or the admission webhook\n");
  CHECK(contains(read_text(out + "/policy.json"), "\"registry.example.com/app\""));

  // What nodes cannot check is refused, and nothing is written.
  const std::string annotated = dir / "annotated.json";
  write_text(annotated, R"({"version": 1, "default": {"type": "reject"}, "scopes": {
    "registry.example.com/app": {"keys": ["k.pub"], "annotations": {"env": "prod"}}}})");
  auto refused = write_containers(annotated, dir / "never");
  CHECK(refused.exit_code == cli::kUsage);
  CHECK(contains(refused.err, "scope \"registry.example.com/app\": annotations cannot be written"));
  CHECK(run({"test", "-e", dir / "never"}).exit_code != 0);

  CHECK(run_isign({"policy", "kubernetes"}).exit_code == cli::kUsage);
  CHECK(run_isign({"policy"}).exit_code == cli::kUsage);
  CHECK(run_isign({"policy", "containers", "--policy", gated}).exit_code == cli::kUsage);
  auto missing = write_containers(dir / "absent.json", out);
  CHECK(missing.exit_code == cli::kIo);
  // DIR that is a file: an io error, naming it.
  auto onto_file = write_containers(gated, out + "/policy.json");
  CHECK(onto_file.exit_code == cli::kIo);
  CHECK(contains(onto_file.err, out + "/policy.json"));
}
