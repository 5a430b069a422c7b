// Inputs fuzz_credentials found (tests/fuzz/regressions/credentials): auth files nlohmann refuses
// with an exception other than parse_error.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "registry/credentials.h"

using namespace isign;
using common::ErrorKind;

TEST_CASE("fuzz findings: a number out of range in an auth file is an error, not an abort",
          "[credentials][fuzz]") {
  std::string dir = (std::filesystem::temp_directory_path() / "isign-unit-XXXXXX").string();
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  const std::string file = dir + "/auth.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << R"({"auths":{"127.0.0.1:5000":{"auth":"dTpw"}},"x":1e999})";
  }
  registry::GetEnv env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "REGISTRY_AUTH_FILE")
      return file;
    if (name == "PATH")
      return dir + "/none";
    return std::nullopt;
  };
  auto creds = registry::find_credentials("127.0.0.1:5000", env);
  REQUIRE_FALSE(creds.ok());
  CHECK(creds.error().kind() == ErrorKind::io);
  CHECK(creds.error().message().find(file) != std::string::npos);
  CHECK(creds.error().message().find("not valid JSON") != std::string::npos);

  auto removed = registry::remove_login(file, "127.0.0.1:5000", env);
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().message().find("not valid JSON") != std::string::npos);
  std::filesystem::remove_all(dir);
}
