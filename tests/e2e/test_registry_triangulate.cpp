// isign triangulate against a real registry: tag and digest references, nested repositories,
// indexes, and a tag that does not exist.
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNotFound;
using isign::cli::kOk;

namespace {

// isign triangulate FLAGS REF, which must succeed and print tag (a line).
RunResult triangulates_to(const std::vector<std::string>& flags, const std::string& ref,
                          const std::string& tag) {
  auto r = isign_cmd("triangulate", flags, {ref});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == tag + "\n");
  return r;
}

} // namespace

TEST_CASE("triangulate: by tag prints the signature tag of the tag's digest", "[e2e][registry]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  auto r =
      triangulates_to(reg.tls_flags(), reg.ref("app:v1"), signature_tag(reg.url(), "app", digest));
  CHECK(r.out == reg.url() + "/app:sha256-" + digest.substr(7) + ".sig\n");
}

TEST_CASE("triangulate: by digest, and tag@digest uses the digest", "[e2e][registry]") {
  RegistryFixture reg;
  std::string v1 = push_random_image(reg, "team/app", "v1");
  std::string v2 = push_random_image(reg, "team/app", "v2");
  std::string expected = signature_tag(reg.url(), "team/app", v1);

  triangulates_to(reg.tls_flags(), reg.ref("team/app@" + v1), expected);

  // The digest names the image; the tag (which points elsewhere) is only decoration.
  triangulates_to(reg.tls_flags(), reg.ref("team/app:v2@" + v1), expected);
  CHECK(v1 != v2);
}

TEST_CASE("triangulate: --type signature is the default", "[e2e][registry]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  triangulates_to(with(reg.tls_flags(), {"--type", "signature"}), reg.ref("app:v1"),
                  signature_tag(reg.url(), "app", digest));
}

TEST_CASE("triangulate: follows a moved tag", "[e2e][registry]") {
  RegistryFixture reg;
  push_random_image(reg, "app", "latest");
  std::string moved = push_random_image(reg, "app", "latest");
  triangulates_to(reg.tls_flags(), reg.ref("app:latest"), signature_tag(reg.url(), "app", moved));
}

TEST_CASE("triangulate: an index by tag gives the index's own signature tag", "[e2e][registry]") {
  RegistryFixture reg;
  std::string amd64 = push_random_image(reg, "multi", "");
  std::string arm64 = push_random_image(reg, "multi", "");
  std::string index = push_index(
      reg, "multi", "v1", {{amd64, {"linux", "amd64", ""}}, {arm64, {"linux", "arm64", "v8"}}});
  triangulates_to(reg.tls_flags(), reg.ref("multi:v1"), signature_tag(reg.url(), "multi", index));

  triangulates_to(reg.tls_flags(), reg.ref("multi@" + arm64),
                  signature_tag(reg.url(), "multi", arm64));
}

TEST_CASE("triangulate: works over TLS and with auth", "[e2e][registry]") {
  auto name = GENERATE(as<std::string>{}, "tls", "htpasswd", "token");
  INFO("variant " << name);
  RegistryOptions o;
  o.tls = name == "tls";
  o.auth = name == "htpasswd" ? RegistryAuth::htpasswd
           : name == "token"  ? RegistryAuth::token
                              : RegistryAuth::none;
  RegistryFixture reg(o);
  std::string digest = push_random_image(reg, "app", "v1");
  triangulates_to(reg.client_flags(), reg.ref("app:v1"), signature_tag(reg.url(), "app", digest));
}

TEST_CASE("triangulate: a tag that does not exist is 'not found' (exit 8)", "[e2e][registry]") {
  RegistryFixture reg;
  push_random_image(reg, "app", "v1");
  auto r = isign_cmd("triangulate", reg.tls_flags(), {reg.ref("app:nope")});
  CHECK(r.exit_code == kNotFound);
  CHECK(r.out.empty());
  // A HEAD answer carries no error body, so "MANIFEST_UNKNOWN" is not required here.
  CHECK(contains(r.err, "404"));
  CHECK(contains_nocase(r.err, "not found"));
  CHECK(contains(r.err, "nope"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1); // one line
}
