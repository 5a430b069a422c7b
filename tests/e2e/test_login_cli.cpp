// isign login / logout, run as the built binary on a temporary docker config.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sys/stat.h>

#include "common/encoding.h"
#include "tests/support/process.h"

using namespace isign::testing;

namespace {

RunOptions with_config(const TempDir& dir, const std::string& stdin_data = "") {
  RunOptions o;
  o.env["DOCKER_CONFIG"] = dir / "docker";
  o.env["HOME"] = dir.path();
  o.stdin_data = stdin_data;
  return o;
}

} // namespace

TEST_CASE("login stores base64 user:password in a new 0600 docker config", "[cli][login]") {
  TempDir dir;
  auto r = run_isign({"login", "127.0.0.1:5000", "-u", "alice", "--password-stdin"},
                     with_config(dir, "s3cret\r\n"));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Login Succeeded\n");
  CHECK(r.err.empty());
  std::string path = dir / "docker/config.json";
  CHECK(read_text(path) == "{\n\t\"auths\": {\n\t\t\"127.0.0.1:5000\": {\n\t\t\t\"auth\": \"" +
                               isign::common::base64_encode("alice:s3cret") + "\"\n\t\t}\n\t}\n}");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE("login -p warns, Docker Hub is the default registry", "[cli][login]") {
  TempDir dir;
  auto r = run_isign({"login", "-u", "bob", "-p", "pw"}, with_config(dir));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Login Succeeded\n");
  CHECK(r.err.find("isign: warning: using --password on the command line is insecure") == 0);
  CHECK(read_text(dir / "docker/config.json").find("\"https://index.docker.io/v1/\"") !=
        std::string::npos);
}

TEST_CASE("login usage errors are one line and exit 2", "[cli][login]") {
  TempDir dir;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"login", "ghcr.io", "-p", "x"}, "--username is required"},
      {{"login", "ghcr.io", "-u", "x"}, "give the password with --password-stdin"},
      {{"login", "ghcr.io", "-u", "x", "-p", "y", "--password-stdin"}, "mutually exclusive"},
      {{"login", "ghcr.io", "-u", "x", "--password-stdin"}, "the password is empty"},
      {{"login", "ghcr.io/org", "-u", "x", "-p", "y"}, "invalid registry 'ghcr.io/org'"},
      {{"login", "a", "b", "-u", "x", "-p", "y"}, "unexpected argument 'b'"},
      {{"logout", "a", "b"}, "unexpected argument 'b'"},
      {{"logout", "bad host"}, "invalid registry 'bad host'"},
  };
  for (const auto& [args, problem] : cases) {
    INFO(args[0] << " " << args[1]);
    auto r = run_isign(args, with_config(dir));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(problem) != std::string::npos);
    CHECK(r.err.find("(see 'isign " + args[0] + " --help')") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK(read_text(dir / "docker/config.json").empty());
}

TEST_CASE("logout removes one registry and keeps the others", "[cli][login]") {
  TempDir dir;
  REQUIRE(run_isign({"login", "ghcr.io", "-u", "a", "--password-stdin"}, with_config(dir, "p\n"))
              .exit_code == 0);
  REQUIRE(run_isign({"login", "quay.io", "-u", "b", "--password-stdin"}, with_config(dir, "q\n"))
              .exit_code == 0);
  auto r = run_isign({"logout", "https://ghcr.io"}, with_config(dir));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "Removed login credentials for ghcr.io\n");
  std::string config = read_text(dir / "docker/config.json");
  CHECK(config.find("ghcr.io") == std::string::npos);
  CHECK(config.find("quay.io") != std::string::npos);

  auto again = run_isign({"logout", "ghcr.io"}, with_config(dir));
  CHECK(again.exit_code == 8);
  CHECK(again.err == "isign: error: not logged in to ghcr.io (no entry in '" +
                         (dir / "docker/config.json") + "')\n");
}

TEST_CASE("login refuses a malformed docker config without touching it", "[cli][login]") {
  TempDir dir;
  REQUIRE(run({"mkdir", "-p", dir / "docker"}).exit_code == 0);
  write_text(dir / "docker/config.json", "{\"auths\": ");
  auto r = run_isign({"login", "ghcr.io", "-u", "a", "--password-stdin"},
                     with_config(dir, "topsecret\n"));
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("isign: error: storing credentials for ghcr.io: '" +
                   (dir / "docker/config.json") + "': not valid JSON") == 0);
  CHECK(r.err.find("topsecret") == std::string::npos);
  CHECK(read_text(dir / "docker/config.json") == "{\"auths\": ");
}
