#include <catch2/catch.hpp>

#include "tests/support/process.h"

using namespace isign::testing;

TEST_CASE("keys: env://NAME (--key) reads the PEM from the environment", "[cli][keys]") {
  std::string key = read_text(testdata("keys/podman-e2e/sigstore-key.key"));
  std::string pub = read_text(testdata("keys/podman-e2e/sigstore-key.pub"));
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", "sigstore pass"}, {"MY_SIGNING_KEY", key}};
  auto r = run_isign({"public-key", "--key", "env://MY_SIGNING_KEY"}, o);
  CHECK(r.exit_code == 0);
  CHECK(r.out == pub);

  auto missing = run_isign({"public-key", "--key", "env://NOT_SET_ANYWHERE"}, o);
  CHECK(missing.exit_code == 3);
  CHECK(missing.err == "isign: error: loading private key 'env://NOT_SET_ANYWHERE': environment "
                       "variable 'NOT_SET_ANYWHERE' is not set or empty\n");
}
