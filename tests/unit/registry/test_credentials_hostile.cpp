// Credentials files and helper replies made to hurt: NUL bytes, deep nesting, documents that
// would grow huge when rewritten, and files others can read.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include "registry/credentials.h"
#include "tests/unit/registry/file_helpers.h"

using namespace isign;
using common::ErrorKind;
using isign::testing::mode_of;
using isign::testing::read;
using isign::testing::write;
using registry::GetEnv;

namespace {

namespace fs = std::filesystem;

// HOME, XDG_RUNTIME_DIR and PATH inside a fresh temp dir, removed at the end.
struct HostileEnv {
  std::string dir;
  std::map<std::string, std::string> vars;

  HostileEnv() {
    std::string tmpl = (fs::temp_directory_path() / "isign-hostile-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    vars = {{"HOME", dir + "/home"},
            {"XDG_RUNTIME_DIR", dir + "/run"},
            {"PATH", dir + "/bin:/usr/bin:/bin"}};
    fs::create_directories(dir + "/bin");
  }
  ~HostileEnv() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  HostileEnv(const HostileEnv&) = delete;
  HostileEnv& operator=(const HostileEnv&) = delete;

  GetEnv get() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
  std::string config() const { return dir + "/home/.docker/config.json"; }
  // docker-credential-NAME that prints the file dir/NAME.reply for `get`.
  void helper_printing(const std::string& name, const std::string& reply) const {
    write(dir + "/" + name + ".reply", reply);
    write(dir + "/bin/docker-credential-" + name,
          "#!/bin/sh\ncat >/dev/null\ncat '" + dir + "/" + name + ".reply'\n", 0755);
  }
};

std::string nested(std::size_t levels) {
  std::string text;
  for (std::size_t i = 0; i < levels; ++i)
    text += "{\"x\":";
  text += "1";
  text.append(levels, '}');
  return text;
}

const std::string kValid = R"({"auths":{"ghcr.io":{"auth":"dTpw"}}})"; // u:p

} // namespace

TEST_CASE("credentials: a NUL byte in config.json is invalid JSON for lookup, login and logout") {
  HostileEnv env;
  const std::string text = kValid + std::string(1, '\0') + R"({"auths":{"quay.io":{}}})";
  write(env.config(), text);
  auto creds = registry::find_credentials("ghcr.io", env.get());
  REQUIRE_FALSE(creds.ok());
  INFO(creds.error().message());
  CHECK(creds.error().kind() == ErrorKind::io);
  CHECK(creds.error().message().find("'" + env.config() + "': not valid JSON (a NUL byte at byte " +
                                     std::to_string(kValid.size()) + ")") != std::string::npos);
  auto stored = registry::store_login(env.config(), "ghcr.io", "u", "p", env.get());
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().message().find("a NUL byte") != std::string::npos);
  auto removed = registry::remove_login(env.config(), "ghcr.io", env.get());
  REQUIRE_FALSE(removed.ok());
  CHECK(read(env.config()) == text);
}

TEST_CASE("credentials: nesting deeper than 64 levels is refused, never recursed into") {
  HostileEnv env;
  for (std::size_t levels : {65u, 10000u, 100000u}) {
    INFO(levels << " levels");
    const std::string text = nested(levels);
    write(env.config(), text);
    auto creds = registry::find_credentials("ghcr.io", env.get());
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().message().find("': JSON nested more than 64 levels deep") !=
          std::string::npos);
    auto stored = registry::store_login(env.config(), "ghcr.io", "u", "p", env.get());
    REQUIRE_FALSE(stored.ok());
    CHECK(stored.error().message().find(env.config()) != std::string::npos);
    CHECK(read(env.config()) == text);
  }
  // 64 levels (brackets inside strings do not count) is still a config.
  write(env.config(), R"({"s":"[[[[{{{{", "deep":)" + nested(63) + "}");
  CHECK(registry::store_login(env.config(), "ghcr.io", "u", "p", env.get()).ok());
}

TEST_CASE("credentials: login refuses to write a file larger than it could read back") {
  HostileEnv env;
  // 60 levels, then 300,000 small values: 0.6 MB that would be 19 MB once indented.
  std::string text;
  for (int i = 0; i < 60; ++i)
    text += "[";
  text += "0";
  for (int i = 0; i < 300000; ++i)
    text += ",0";
  text.append(60, ']');
  text = R"({"junk":)" + text + "}";
  write(env.config(), text);
  auto stored = registry::store_login(env.config(), "ghcr.io", "u", "p", env.get());
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().kind() == ErrorKind::limit);
  CHECK(stored.error().message() ==
        "'" + env.config() + "': the updated file would be larger than 4 MiB");
  CHECK(read(env.config()) == text);
}

TEST_CASE("credentials: login and logout take group and other bits off the config") {
  HostileEnv env;
  write(env.config(), kValid, 0644);
  auto stored = registry::store_login(env.config(), "quay.io", "u", "p", env.get());
  REQUIRE(stored.ok());
  CHECK(stored->tightened());
  CHECK(stored->previous_mode == 0644);
  CHECK(stored->mode == 0600);
  CHECK(mode_of(env.config()) == 0600);
  // Already private: nothing to report.
  auto again = registry::store_login(env.config(), "quay.io", "u", "p", env.get());
  REQUIRE(again.ok());
  CHECK_FALSE(again->tightened());

  REQUIRE(::chmod(env.config().c_str(), 0640) == 0);
  auto removed = registry::remove_login(env.config(), "quay.io", env.get());
  REQUIRE(removed.ok());
  CHECK(removed->previous_mode == 0640);
  CHECK(mode_of(env.config()) == 0600);
}

TEST_CASE("credentials: a helper reply with a NUL byte or deep nesting is refused") {
  HostileEnv env;
  write(env.config(), R"({"credHelpers":{"ghcr.io":"evil"}})");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"Username":"u","Secret":"p"})" + std::string(1, '\0') + "junk",
       "reply: not valid JSON (a NUL byte at byte 29)"},
      {std::string(100000, '[') + std::string(100000, ']'),
       "reply: JSON nested more than 64 levels deep"},
  };
  for (const auto& [reply, problem] : cases) {
    INFO(problem);
    env.helper_printing("evil", reply);
    auto creds = registry::find_credentials("ghcr.io", env.get());
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().kind() == ErrorKind::io);
    CHECK(creds.error().message().find("credential helper 'docker-credential-evil get' " +
                                       problem) != std::string::npos);
  }
}
