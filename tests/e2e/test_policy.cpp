// verify --policy against the real registry: scopes and the most specific match, every rule kind,
// key rotation, thresholds, a mirror through remapIdentity, containers-policy.json (also read by
// skopeo), strict parsing; and multi-arch indexes with --recursive and --platform.
#include <catch2/catch.hpp>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using nlohmann::json;
namespace cli = isign::cli;

namespace {

// Copies a manifest and the blobs it names from one repository to another (what a mirror does).
void copy_manifest(const RegistryFixture& reg, const std::string& from, const std::string& to,
                   const std::string& tag_or_digest, const std::string& dest_tag) {
  auto m = get_manifest(reg, from, tag_or_digest);
  REQUIRE(m.status == 200);
  auto doc = json::parse(m.body);
  std::vector<std::string> blobs = {doc["config"]["digest"]};
  for (const auto& l : doc["layers"])
    blobs.push_back(l["digest"]);
  for (const auto& d : blobs) {
    auto b = get_blob(reg, from, d);
    REQUIRE(b.status == 200);
    push_blob(reg, to, b.body);
  }
  push_manifest(reg, to, dest_tag, m.body, doc.value("mediaType", kOciManifestType));
}

std::string write_policy(const TempDir& dir, const std::string& name, const std::string& text) {
  write_text(dir / name, text);
  return dir / name;
}

RunResult verify_policy(const RegistryFixture& reg, const std::string& policy,
                        const std::vector<std::string>& args,
                        const std::vector<std::string>& extra = {}) {
  return verify_image(with(reg.client_flags(), with({"--policy", policy}, extra)), args);
}

} // namespace

TEST_CASE("policy: the most specific scope decides, every rule kind", "[e2e][policy]") {
  RegistryFixture reg;
  TempDir dir;
  auto a = new_key_pair(dir, "a");
  auto b = new_key_pair(dir, "b");
  const std::string team = push_random_image(reg, "team/app", "v1");
  const std::string legacy = push_random_image(reg, "team/legacy", "v1");
  const std::string other = push_random_image(reg, "other/app", "v1");
  const std::string other_a = push_random_image(reg, "other/by-a", "v1");
  const std::string prod = push_random_image(reg, "prod/app", "v1");
  const std::string prod_bare = push_random_image(reg, "prod/plain", "v1");
  auto sign = [&](const std::string& key, const std::string& ref,
                  std::vector<std::string> extra = {}) {
    extra.push_back(ref);
    REQUIRE(sign_image(reg, key, extra).exit_code == 0);
  };
  sign(a, reg.ref("team/app@" + team));
  sign(b, reg.ref("other/app@" + other));
  sign(a, reg.ref("other/by-a@" + other_a));
  sign(a, reg.ref("prod/app@" + prod), {"-a", "env=prod"});
  sign(a, reg.ref("prod/plain@" + prod_bare));
  const std::string R = reg.url();
  auto policy = write_policy(dir, "policy.json", R"({
    "version": 1,
    "default": {"type": "reject"},
    "scopes": {
      ")" + R + R"(": {"keys": ["b.pub"]},
      ")" + R + R"(/team": {"keys": ["a.pub"]},
      ")" + R + R"(/team/legacy": {"type": "insecureAcceptAnything"},
      ")" + R + R"(/prod": {"keys": ["a.pub"], "annotations": {"env": "prod"}}
    }
  })");

  struct Case {
    std::string ref;
    int exit_code;
    const char* status;
    std::string scope;
  };
  const std::string port = R.substr(R.find(':'));
  const std::vector<Case> cases = {
      {reg.ref("team/app@" + team), cli::kOk, "verified", R + "/team"},
      {reg.ref("other/app@" + other), cli::kOk, "verified", R},
      {reg.ref("other/by-a@" + other_a), cli::kVerificationFailed, "invalid", R},
      {reg.ref("team/legacy@" + legacy), cli::kOk, "accepted", R + "/team/legacy"},
      {reg.ref("prod/app@" + prod), cli::kOk, "verified", R + "/prod"},
      {reg.ref("prod/plain@" + prod_bare), cli::kVerificationFailed, "invalid", R + "/prod"},
      // The same registry by another name is another scope: the default rejects it, unread.
      {"localhost" + port + "/team/app@" + team, cli::kVerificationFailed, "rejected", "default"},
  };
  for (const auto& c : cases) {
    INFO(c.ref);
    auto r = verify_policy(reg, policy, {c.ref}, {"--output", "json"});
    CHECK(r.exit_code == c.exit_code);
    auto res = report_of(r)["results"][0];
    CHECK(res["status"] == c.status);
    CHECK(res["scope"] == c.scope);
    if (std::string(c.status) == "accepted")
      CHECK(contains(r.err, "accepts any image without verification (insecureAcceptAnything)"));
    if (std::string(c.status) == "rejected") {
      CHECK(contains(r.err, "the policy's default rejects this image"));
      CHECK(res["digest"].is_null());
    }
  }
  auto annotation = verify_policy(reg, policy, {reg.ref("prod/plain@" + prod_bare)});
  CHECK(contains(annotation.err, "annotation \"env\" is missing"));

  // One run over all of them: one result each, in order; the first failure's exit code.
  std::vector<std::string> refs;
  for (const auto& c : cases)
    refs.push_back(c.ref);
  auto all = verify_policy(reg, policy, refs, {"--output", "json"});
  CHECK(all.exit_code == cli::kVerificationFailed);
  auto doc = report_of(all);
  REQUIRE(doc["results"].size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i)
    CHECK(doc["results"][i]["status"] == cases[i].status);

  // Flags that the policy decides are refused next to it.
  auto both = verify_image(with(reg.client_flags(), {"--policy", policy, "--key", a + ".pub"}),
                           {reg.ref("team/app@" + team)});
  CHECK(both.exit_code == cli::kUsage);
  CHECK(contains(both.err, "--key cannot be combined with --policy"));
}

TEST_CASE("policy: key rotation with two keys, and a threshold of 2 of 3", "[e2e][policy]") {
  RegistryFixture reg;
  TempDir dir;
  auto old_key = new_key_pair(dir, "old");
  auto new_key = new_key_pair(dir, "new");
  auto third = new_key_pair(dir, "third");
  const std::string before = push_random_image(reg, "app", "before");
  const std::string after = push_random_image(reg, "app", "after");
  const std::string both = push_random_image(reg, "app", "both");
  REQUIRE(sign_image(reg, old_key, {reg.ref("app@" + before)}).exit_code == 0);
  REQUIRE(sign_image(reg, new_key, {reg.ref("app@" + after)}).exit_code == 0);
  for (const auto& k : {old_key, new_key})
    REQUIRE(sign_image(reg, k, {reg.ref("app@" + both)}).exit_code == 0);

  // During the rotation both keys are accepted; afterwards only the new one.
  auto rotating = write_policy(dir, "rotating.json", R"({"version": 1, "default": {"keys": [
      "old.pub", "new.pub"]}})");
  auto rotated = write_policy(dir, "rotated.json", R"({"version": 1, "default": {"keys": [
      "new.pub"]}})");
  CHECK(
      verify_policy(reg, rotating, {reg.ref("app@" + before), reg.ref("app@" + after)}).exit_code ==
      cli::kOk);
  CHECK(verify_policy(reg, rotated, {reg.ref("app@" + after)}).exit_code == cli::kOk);
  auto stale = verify_policy(reg, rotated, {reg.ref("app@" + before)});
  CHECK(stale.exit_code == cli::kVerificationFailed);
  CHECK(contains(stale.err, "bad-signature"));

  // Two of three distinct keys.
  auto two_of_three = write_policy(dir, "2of3.json", R"({"version": 1, "default": {
      "keys": ["old.pub", "new.pub", "third.pub"], "threshold": 2}})");
  auto r = verify_policy(reg, two_of_three, {reg.ref("app@" + both)}, {"--output", "json"});
  CHECK(r.exit_code == cli::kOk);
  auto req = report_of(r)["results"][0]["manifests"][0]["requirements"][0];
  CHECK(req["threshold"] == 2);
  CHECK(req["validKeys"] == json::array({key_id_of(old_key), key_id_of(new_key)}));
  auto one = verify_policy(reg, two_of_three, {reg.ref("app@" + after)});
  CHECK(one.exit_code == cli::kVerificationFailed);
  CHECK(contains(one.err, "fewer than the threshold of 2"));
  auto three = write_policy(dir, "3of3.json", R"({"version": 1, "default": {
      "keys": ["old.pub", "new.pub", "third.pub"], "threshold": 3}})");
  CHECK(verify_policy(reg, three, {reg.ref("app@" + both)}).exit_code == cli::kVerificationFailed);
}

TEST_CASE("policy: a mirror verifies through remapIdentity", "[e2e][policy][mirror]") {
  SignScene scene({}, "src/app");
  auto& [reg, dir, key, app, app_ref] = scene;
  const std::string other = push_random_image(reg, "src/other", "v1");
  for (const auto& [repo, d] : {std::pair{"src/app", app}, std::pair{"src/other", other}})
    REQUIRE(sign_image(reg, key, {reg.ref(std::string(repo) + "@" + d)}).exit_code == 0);
  // The mirror holds both images and their .sig artifacts, byte for byte; "mirror/app2" holds
  // src/other under another name.
  for (const auto& [from, to, d] :
       {std::tuple{"src/app", "mirror/app", app}, std::tuple{"src/other", "mirror/app2", other}}) {
    copy_manifest(reg, from, to, d, "v1");
    copy_manifest(reg, from, to, sig_tag_of(d), sig_tag_of(d));
  }
  const std::string R = reg.url();
  auto remap = write_policy(dir, "remap.json",
                            R"({"version": 1, "default": {"type": "reject"},
    "scopes": {")" + R + R"(/mirror": {"keys": ["k.pub"], "identity": {"type": "remapIdentity",
      "prefix": ")" + R + R"(/mirror", "signedPrefix": ")" +
                                R + R"(/src"}}}})");
  auto plain = write_policy(dir, "plain.json", R"({"version": 1, "default": {"keys": ["k.pub"]}})");

  CHECK(verify_policy(reg, remap, {reg.ref("mirror/app@" + app)}).exit_code == cli::kOk);
  CHECK(verify_policy(reg, remap, {reg.ref("mirror/app:v1")}).exit_code == cli::kOk);
  auto strict = verify_policy(reg, plain, {reg.ref("mirror/app@" + app)});
  CHECK(strict.exit_code == cli::kVerificationFailed);
  CHECK(contains(strict.err, "identity-mismatch"));
  // Remapped, mirror/app2 must have been signed as src/app2: a signature for src/other is not one.
  auto renamed = verify_policy(reg, remap, {reg.ref("mirror/app2@" + other)});
  CHECK(renamed.exit_code == cli::kVerificationFailed);
  CHECK(contains(renamed.err, "remapIdentity"));
}

TEST_CASE("policy: containers-policy.json serves isign and skopeo alike",
          "[e2e][policy][interop]") {
  SignScene scene({}, "app", "signed");
  auto& [reg, dir, key, signed_digest, signed_ref] = scene;
  const std::string bare = push_random_image(reg, "app", "bare");
  const std::string elsewhere = push_random_image(reg, "elsewhere", "v1");
  REQUIRE(sign_image(reg, key, {signed_ref}).exit_code == 0);
  REQUIRE(sign_image(reg, key, {reg.ref("elsewhere@" + elsewhere)}).exit_code == 0);
  const std::string R = reg.url();
  auto policy = write_policy(dir, "policy.json",
                             R"({
    "default": [{"type": "reject"}],
    "transports": {
      "docker": {
        ")" + R + R"(/app": [{"type": "sigstoreSigned", "keyPath": ")" +
                                 key + R"(.pub",
                              "signedIdentity": {"type": "matchRepository"}}],
        ")" + R + R"(/gpg": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/none.gpg"}]
      },
      "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
    }
  })");
  auto ok = verify_policy(reg, policy, {signed_ref}, {"--output", "json"});
  CHECK(ok.exit_code == cli::kOk);
  CHECK(report_of(ok)["results"][0]["scope"] == R + "/app");
  CHECK(verify_policy(reg, policy, {reg.ref("app@" + bare)}).exit_code == cli::kNoSignature);
  CHECK(verify_policy(reg, policy, {reg.ref("elsewhere@" + elsewhere)}).exit_code ==
        cli::kVerificationFailed);
  auto gpg = verify_policy(reg, policy, {reg.ref("gpg/app:v1")});
  CHECK(gpg.exit_code == cli::kUsage);
  CHECK(contains(gpg.err, "signedBy (GPG simple signing) is not supported by isign"));

  // skopeo reads the same file (sigstore attachments switched on for this registry). Debian's
  // skopeo 1.9 has sigstore verification switched off, so there the signed image gets as far as
  // the sigstoreSigned requirement and stops with Debian's message; elsewhere it is copied.
  const std::string regd = dir / "registries.d";
  REQUIRE(run({"mkdir", "-p", regd}).exit_code == 0);
  write_text(regd + "/default.yaml", "docker:\n  " + R + ":\n    use-sigstore-attachments: true\n");
  auto skopeo = [&](const std::string& ref) {
    auto r = run({"skopeo", "--policy", policy, "--registries.d", regd, "copy",
                  "--src-tls-verify=false", "docker://" + ref, "dir:" + dir / "out"},
                 RunOptions{{{"HOME", reg.dir()}}, {}, {}, {}, 60});
    UNSCOPED_INFO("skopeo " << ref << ": exit " << r.exit_code << ": " << r.err);
    return r;
  };
  auto copied = skopeo(signed_ref);
  CHECK((copied.exit_code == 0 || contains(copied.err, "sigstore disabled")));
  auto rejected = skopeo(reg.ref("elsewhere@" + elsewhere));
  CHECK(rejected.exit_code != 0);
  CHECK(contains(rejected.err, "rejected"));
  CHECK(!contains(rejected.err, "sigstore disabled")); // the default scope, not the app scope
}

TEST_CASE("policy: a malformed policy is refused as a whole, naming the field", "[e2e][policy]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  struct Case {
    std::string text;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"version": 1, "default": {"keys": ["k.pub"], "thresold": 1}})", cli::kUsage,
       "default: unknown field \"thresold\""},
      {R"({"version": 1, "default": {"keys": ["k.pub"]}, "default": {"type": "reject"}})",
       cli::kUsage, "duplicate key \"default\""},
      {R"({"version": 1, "default": {"keys": ["k.pub"]}, "scopes": {")" + reg.url() +
           R"(": {"keys": ["k.pub"], "threshold": 2}}})",
       cli::kUsage, "threshold: 2 is more than the 1 distinct key"},
      {R"({"version": 1, "default": {"keys": ["missing.pub"]}})", cli::kIo, "missing.pub"},
      {R"({"version": 1, "default": {"keys": ["k.key"]}})", cli::kKey, "k.key"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto policy = write_policy(dir, "p.json", c.text);
    auto r = verify_policy(reg, policy, {ref});
    CHECK(r.exit_code == c.exit_code);
    CHECK(contains(r.err, "policy '" + policy + "': "));
    CHECK(contains(r.err, c.message));
    CHECK(r.out.empty());
  }
}

TEST_CASE("verify --recursive and --platform on an index with one unsigned child",
          "[e2e][verify][multiarch]") {
  RegistryFixture reg;
  TempDir dir;
  auto key = new_key_pair(dir, "k");
  const std::string amd = push_random_image(reg, "app", "amd64");
  const std::string arm64 = push_random_image(reg, "app", "arm64");
  const std::string arm = push_random_image(reg, "app", "arm");
  const std::string index = push_index(reg, "app", "multi",
                                       {{amd, {"linux", "amd64"}},
                                        {arm64, {"linux", "arm64", "v8"}},
                                        {arm, {"linux", "arm", "v7"}}});
  for (const auto& d : {index, amd, arm})
    REQUIRE(sign_image(reg, key, {reg.ref("app@" + d)}).exit_code == 0);
  const auto flags = with(reg.client_flags(), key_flags({key}));
  const std::string ref = reg.ref("app:multi");

  SECTION("--recursive fails naming the unsigned child") {
    RunOptions o;
    o.env = {{"ISIGN_DEBUG_STATS", "1"}};
    auto r = verify_image(with(flags, {"--recursive", "--output", "json"}), {ref}, o);
    CHECK(r.exit_code == cli::kNoSignature);
    CHECK(contains(r.err, "verifying '" + ref + "' child linux/arm64/v8 (" + arm64 +
                              "): no signatures found"));
    CHECK(contains(r.err, "'" + ref + "': 2 of 3 children verified; failed: linux/arm64/v8 (" +
                              arm64 + ")"));
    CHECK(contains(r.err, "isign: verified child linux/amd64 (" + amd + ")"));
    auto res = report_of(r)["results"][0];
    CHECK(res["digest"] == index);
    CHECK(res["mediaType"] == kOciIndexType);
    CHECK(res["status"] == "no-signature");
    REQUIRE(res["manifests"].size() == 4);
    std::vector<std::string> roles, statuses, digests;
    for (const auto& m : res["manifests"]) {
      roles.push_back(m["role"]);
      statuses.push_back(m["status"]);
      digests.push_back(m["digest"]);
    }
    CHECK(roles == std::vector<std::string>{"index", "child", "child", "child"});
    CHECK(statuses == std::vector<std::string>{"verified", "verified", "no-signature", "verified"});
    CHECK(digests == std::vector<std::string>{index, amd, arm64, arm});
    CHECK(res["manifests"][2]["platform"] ==
          json::parse(R"({"os":"linux","architecture":"arm64","variant":"v8"})"));
    CHECK(res["manifests"][0]["platform"].is_null());
    // No request repeated: GET the index; per signed manifest GET its .sig and payload (enough:
    // no referrers read); for the unsigned child GET .sig (404), the referrers API twice for the
    // run (404: distribution 2.8 has none; one 404 is asked once more before it is believed) and
    // the referrers index at sha256-<hex> (404).
    CHECK(contains(r.err, "requests: 11\n"));
  }
  SECTION("once the child is signed, --recursive passes and prints every payload") {
    REQUIRE(sign_image(reg, key, {reg.ref("app@" + arm64)}).exit_code == 0);
    auto r = verify_image(with(flags, {"--recursive"}), {ref});
    CHECK(r.exit_code == cli::kOk);
    CHECK(contains(r.err, "3 of 3 children verified"));
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 4);
  }
  SECTION("--platform picks the child a node would pull") {
    auto amd_run = verify_image(with(flags, {"--platform", "linux/amd64"}), {ref});
    CHECK(amd_run.exit_code == cli::kOk);
    CHECK(contains(amd_run.out, amd));
    CHECK_FALSE(contains(amd_run.out, index));
    CHECK(verify_image(with(flags, {"--platform", "linux/arm/v7"}), {ref}).exit_code == cli::kOk);
    auto arm64_run = verify_image(with(flags, {"--platform", "linux/arm64"}), {ref});
    CHECK(arm64_run.exit_code == cli::kNoSignature);
    CHECK(contains(arm64_run.err, arm64));
    CHECK(verify_image(with(flags, {"--platform", "linux/arm64/v8"}), {ref}).exit_code ==
          cli::kNoSignature);
    auto none = verify_image(with(flags, {"--platform", "linux/s390x"}), {ref});
    CHECK(none.exit_code == cli::kNotFound);
    CHECK(contains(none.err, "has no manifest for platform linux/s390x (it has: linux/amd64, "
                             "linux/arm64/v8, linux/arm/v7)"));
    CHECK(
        verify_image(with(flags, {"--platform", "linux/amd64", "--recursive"}), {ref}).exit_code ==
        cli::kUsage);
  }
  SECTION("without either flag the index itself is verified, with a note") {
    auto r = verify_image(flags, {ref});
    CHECK(r.exit_code == cli::kOk);
    CHECK(contains(r.err, "is an image index: verified the index itself"));
  }
}
