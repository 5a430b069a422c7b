// What verify and sign cost in requests and connections, as isign counts them
// (ISIGN_DEBUG_STATS): counts, not timings (bench/ measures time). A signed image named by digest
// costs its signatures alone; the manifest is read only when that does not verify, so every exit
// code means what it did; a batch keeps one connection per worker.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

RunOptions stats() {
  RunOptions o;
  o.env = {{"ISIGN_DEBUG_STATS", "1"}};
  return o;
}

// The number after "NAME: " in isign's stats on stderr, or -1.
long stat_of(const RunResult& r, const std::string& name) {
  auto at = r.err.find("\n" + name + ": ");
  if (at == std::string::npos && r.err.rfind(name + ": ", 0) == 0)
    at = 0;
  else if (at != std::string::npos)
    ++at;
  else
    return -1;
  return std::strtol(r.err.c_str() + at + name.size() + 2, nullptr, 10);
}

} // namespace

TEST_CASE("requests: a signed image by digest costs the .sig and its payload, nothing more",
          "[e2e][requests]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk); // both formats
  const auto flags = with(reg.client_flags(), key_flags({key}));

  auto r = verify_image(flags, {ref}, stats());
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  CHECK(stat_of(r, "requests") == 2); // GET the .sig, GET its payload: the .sig is enough
  CHECK(stat_of(r, "connections") == 1);

  // A bundle-only image: the .sig (404), then the referrers: the API probe and its second
  // opinion (404 twice on 2.8: one 404 is not believed), the index at sha256-<hex>, the referrer
  // manifest and the bundle.
  const std::string other = push_random_image(reg, "app", "v2");
  REQUIRE(sign_default(reg, key, {"--format", "bundle", reg.ref("app@" + other)}).exit_code == kOk);
  auto b = verify_image(flags, {reg.ref("app@" + other)}, stats());
  CHECK(b.exit_code == kOk);
  CHECK(stat_of(b, "requests") == 6);
}

TEST_CASE("requests: the manifest is read only when verifying fails, and exit codes keep their "
          "meaning",
          "[e2e][requests]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const auto flags = with(reg.client_flags(), key_flags({key}));

  // Unsigned: the .sig (404), the API probe twice and the index (404 all), then HEAD the image:
  // it exists, so it is unsigned, not missing.
  auto unsigned_run = verify_image(flags, {ref}, stats());
  CHECK(unsigned_run.exit_code == kNoSignature);
  CHECK(stat_of(unsigned_run, "requests") == 5);

  // A digest nothing has: not found, as before.
  const std::string missing = reg.ref("app@sha256:" + std::string(64, '0'));
  auto gone = verify_image(flags, {missing}, stats());
  CHECK(gone.exit_code == kNotFound);

  // Signed by another key: invalid, and the manifest exists.
  const std::string other = new_key_pair(dir, "other");
  REQUIRE(sign_default(reg, other, {ref}).exit_code == kOk);
  auto wrong = verify_image(flags, {ref}, stats());
  CHECK(wrong.exit_code == kInvalid);

  // A tag is resolved first (HEAD), as it must be: one more request than by digest.
  REQUIRE(sign_default(reg, key, {ref}).exit_code == kOk);
  auto by_tag = verify_image(flags, {reg.ref("app:v1")}, stats());
  CHECK(by_tag.exit_code == kOk);
  CHECK(stat_of(by_tag, "requests") == 3);
}

TEST_CASE("requests: a batch keeps its connections, two requests per image by digest",
          "[e2e][requests]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::vector<std::string> refs;
  for (int i = 0; i < 40; ++i)
    refs.push_back(reg.ref("batch" + std::to_string(i) + "@" +
                           push_random_image(reg, "batch" + std::to_string(i), "v1")));
  auto signed_run = sign_default(reg, key, refs, {{"ISIGN_DEBUG_STATS", "1"}});
  REQUIRE(signed_run.exit_code == kOk);
  // Sign's workers (32 images, two formats each) keep their connections too: with libcurl's
  // default cache of 5, nearly every request opened one.
  INFO(signed_run.err);
  CHECK(stat_of(signed_run, "connections") <= 66);
  CHECK(stat_of(signed_run, "connections") * 4 < stat_of(signed_run, "requests"));

  auto r = verify_image(with(reg.client_flags(), key_flags({key})), refs, stats());
  CHECK(r.exit_code == kOk);
  CHECK(stat_of(r, "requests") == 80);
  CHECK(stat_of(r, "connections") <= 8); // one per worker
}

TEST_CASE("requests: --format legacy on an image with only a bundle says where the bundle is",
          "[e2e][requests]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_default(reg, key, {"--format", "bundle", ref}).exit_code == kOk);
  const auto flags = with(reg.client_flags(), key_flags({key}));
  auto r = verify_image(with(flags, {"--format", "legacy"}), {ref});
  CHECK(r.exit_code == kNoSignature);
  CHECK(contains(r.err, "a sigstore bundle (cosign v3) is stored for it: verify without --format "
                        "legacy to check it"));

  const std::string other = push_random_image(reg, "app", "v2");
  REQUIRE(sign_image(reg, key, {reg.ref("app@" + other)}).exit_code == kOk); // .sig only
  auto b = verify_image(with(flags, {"--format", "bundle"}), {reg.ref("app@" + other)});
  CHECK(b.exit_code == kNoSignature);
  CHECK(contains(b.err, "a .sig (cosign v2) is stored for it: verify without --format bundle"));
}
