// TLS and plain HTTP end to end: a registry with a certificate from the fixture's own CA, trusted
// with --registry-cacert, refused without it, accepted with --allow-insecure-registry; and plain
// HTTP only when allowed.
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNetwork;
using isign::cli::kOk;

namespace {

RegistryOptions tls() {
  RegistryOptions o;
  o.tls = true;
  return o;
}

} // namespace

TEST_CASE("tls: --registry-cacert trusts the fixture's CA for every command",
          "[e2e][registry][tls]") {
  RegistryFixture reg(tls());
  std::string digest = push_random_image(reg, "app", "v1");
  std::vector<std::string> ca = {"--registry-cacert", reg.ca_path()};

  auto t = isign_cmd("triangulate", ca, {reg.ref("app:v1")});
  CHECK(t.exit_code == kOk);
  CHECK(t.out == signature_tag(reg.url(), "app", digest) + "\n");
  auto i = isign_cmd("inspect", with(ca, {"--format", "{{.Digest}}"}), {reg.ref("app:v1")});
  CHECK(i.exit_code == kOk);
  CHECK(i.out == digest + "\n");
  auto l = isign_cmd("list-tags", ca, {reg.ref("app")});
  CHECK(l.exit_code == kOk);
  CHECK(contains(l.out, "v1"));
}

TEST_CASE("tls: an unknown CA is a clear TLS error (exit 6)", "[e2e][registry][tls]") {
  RegistryFixture reg(tls());
  push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", {}, {reg.ref("app:v1")});
  CHECK(r.exit_code == kNetwork);
  CHECK(r.out.empty());
  CHECK((contains_nocase(r.err, "certificate") || contains(r.err, "TLS")));
  CHECK(contains(r.err, reg.url()));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("tls: another CA does not verify the registry", "[e2e][registry][tls]") {
  RegistryFixture reg(tls());
  RegistryFixture other(tls());
  push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", {"--registry-cacert", other.ca_path()}, {reg.ref("app:v1")});
  CHECK(r.exit_code == kNetwork);
  CHECK((contains_nocase(r.err, "certificate") || contains(r.err, "TLS")));
}

TEST_CASE("tls: --allow-insecure-registry skips verification", "[e2e][registry][tls]") {
  RegistryFixture reg(tls());
  std::string digest = push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", {"--allow-insecure-registry", "--format", "{{.Digest}}"},
                     {reg.ref("app:v1")});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
}

TEST_CASE("tls: a --registry-cacert file that does not exist is an error naming it",
          "[e2e][registry][tls]") {
  RegistryFixture reg(tls());
  push_random_image(reg, "app", "v1");
  std::string missing = reg.dir() + "/no-such-ca.pem";
  auto r = isign_cmd("inspect", {"--registry-cacert", missing}, {reg.ref("app:v1")});
  CHECK(r.exit_code != kOk);
  CHECK(contains(r.err, "no-such-ca.pem"));
}

TEST_CASE("tls: plain HTTP with --allow-http-registry", "[e2e][registry][tls]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", {"--allow-http-registry", "--format", "{{.Digest}}"},
                     {reg.ref("app:v1")});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
}

TEST_CASE("tls: plain HTTP is never used without --allow-http-registry, not even for 127.0.0.1, "
          "the error names the flag",
          "[e2e][registry][tls]") {
  RegistryFixture reg;
  push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", {"--format", "{{.Digest}}"}, {reg.ref("app:v1")});
  CHECK(r.exit_code == kNetwork);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "--allow-http-registry"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  // Nothing isign sent reached the registry in plain HTTP (the test's own push did).
  CHECK_FALSE(contains(reg.log(), "useragent=isign"));
}
