#include <catch2/catch.hpp>

#include "tests/support/process.h"

using namespace isign::testing;

TEST_CASE("isign --help lists the commands", "[cli]") {
  auto r = run_isign({"--help"});
  CHECK(r.exit_code == 0);
  for (const char* c : {"generate-key-pair", "sign", "verify", "triangulate"})
    CHECK(r.out.find(c) != std::string::npos);
}

TEST_CASE("unknown commands and flags give one error line with a hint and exit 2", "[cli]") {
  auto r = run_isign({"sing"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "isign: error: unknown command 'sing', did you mean 'sign'? (see 'isign --help')\n");

  auto f = run_isign({"version", "--hlp"});
  CHECK(f.exit_code == 2);
  CHECK(f.err.find("unknown flag '--hlp', did you mean '--help'?") != std::string::npos);

  auto s = run_isign({"verify", "-Z"}); // a one-letter flag is named as it was given
  CHECK(s.exit_code == 2);
  CHECK(s.err.find("unknown flag '-Z'") != std::string::npos);
}

TEST_CASE("isign version", "[cli]") {
  auto r = run_isign({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("isign ", 0) == 0);
}
