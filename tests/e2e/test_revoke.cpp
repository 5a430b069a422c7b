// revoke and clean end to end against a real docker-registry (no referrers API: the fallback
// index): one key revoked among 8 signers who keep signing meanwhile, in both formats; clean with
// deletes enabled, with deletes disabled (405 UNSUPPORTED), and without --force or a terminal.
#include <catch2/catch.hpp>

#include <thread>

#include "tests/e2e/attest_support.h"
#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

RunResult revoke(const RegistryFixture& reg, const std::string& key,
                 const std::vector<std::string>& args) {
  return isign_cmd("revoke", with(reg.client_flags(), {"--key", key + ".pub"}), args);
}

RunResult clean(const RegistryFixture& reg, const std::vector<std::string>& args) {
  return isign_cmd("clean", reg.client_flags(), args);
}

// Signs ref with each key at once (both formats), annotated round=ROUND; each run must pass.
void sign_all(const RegistryFixture& reg, const std::vector<std::string>& keys,
              const std::string& ref, const std::string& round) {
  std::vector<std::thread> threads;
  std::vector<RunResult> results(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] = sign_default(reg, keys[i], {"-a", "round=" + round, ref});
    });
  for (auto& t : threads)
    t.join();
  for (const auto& r : results) {
    INFO(r.err);
    CHECK(r.exit_code == kOk);
  }
}

} // namespace

TEST_CASE("revoke: one key among 8 signers who keep signing, in both formats", "[e2e][revoke]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i)
    keys.push_back(new_key_pair(dir, "k" + std::to_string(i)));
  sign_all(reg, keys, ref, "1");
  const std::vector<std::string> others(keys.begin() + 1, keys.end());

  RunResult revoked;
  std::thread revoker([&] { revoked = revoke(reg, keys[0], {ref}); });
  sign_all(reg, others, ref, "2");
  revoker.join();
  INFO(revoked.out << revoked.err);
  REQUIRE(revoked.exit_code == kOk);
  CHECK(contains(revoked.out, "removed 1 legacy signature(s)"));
  CHECK(contains(revoked.out, "removed 1 bundle signature(s)"));

  for (const auto& format : {"legacy", "bundle", "both"}) {
    for (const auto& k : others)
      CHECK(
          verify_image(with(reg.client_flags(), with(key_flags({k}), {"--format", format})), {ref})
              .exit_code == kOk);
    CHECK(verify_image(with(reg.client_flags(), with(key_flags({keys[0]}), {"--format", format})),
                       {ref})
              .exit_code == kInvalid);
  }
  // Both rounds of every other signer survived in the .sig.
  CHECK(sig_layer_count(reg, "app", digest) == 14);

  // Nothing of that key left: said, exit 0.
  auto again = revoke(reg, keys[0], {ref});
  CHECK(again.exit_code == kOk);
  CHECK(contains(again.out, "nothing signed by"));
}

TEST_CASE("revoke: attestations go too, the .att deleted with its last layer", "[e2e][revoke]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  write_text(dir / "p.txt", "hello");
  REQUIRE(attest(reg, key, {"--predicate", dir / "p.txt", ref}).exit_code == kOk);
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  auto r = revoke(reg, key, {ref});
  INFO(r.out);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "removed 1 legacy attestation(s), manifest deleted"));
  CHECK(contains(r.out, "removed 1 bundle attestation(s)"));
  CHECK(get_manifest(reg, "app", att_tag_of(digest)).status == 404);
  CHECK(verify_attestation(reg, {key}, {ref}).exit_code != kOk);
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kNoSignature);
}

TEST_CASE("clean: --force removes both formats, verify finds no signatures", "[e2e][clean]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  write_text(dir / "p.txt", "hello");
  REQUIRE(attest(reg, key, {"--predicate", dir / "p.txt", ref}).exit_code == kOk);
  auto r = clean(reg, {"--force", ref});
  INFO(r.out);
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "removed 1 bundle signature(s)"));
  CHECK(contains(r.out, "removed 1 legacy attestation(s), manifest deleted"));
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kNoSignature);
  CHECK(verify_with_key(reg, key, {"--format", "bundle", ref}).exit_code == kNoSignature);
  auto nothing = clean(reg, {"--force", ref});
  CHECK(nothing.exit_code == kOk);
  CHECK(contains(nothing.out, "no signatures and attestations to remove"));
}

TEST_CASE("clean: a registry with deletes disabled: one line, non-zero, verify still passes",
          "[e2e][clean]") {
  RegistryOptions options;
  options.delete_enabled = false;
  SignScene scene(options);
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  auto r = clean(reg, {"--force", ref});
  CHECK(r.exit_code == kRegistryError);
  CHECK(count_of(r.err, "\n") == 1);
  CHECK(contains(r.err, "refused to delete"));
  CHECK(contains(r.err, "nothing was removed"));
  for (const auto& format : {"legacy", "bundle"})
    CHECK(verify_with_key(reg, key, {"--format", format, ref}).exit_code == kOk);
}

TEST_CASE("clean: without --force and without a terminal it is refused", "[e2e][clean]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  auto r = clean(reg, {ref});
  CHECK(r.exit_code == kUsage);
  CHECK(contains(r.err, "--force"));
  CHECK(verify_with_key(reg, key, {ref}).exit_code == kOk);
}
