// Credentials: the files docker and podman use, in their order; key forms; helpers run as real
// programs (small sh scripts written by the tests); login/logout keeping everything else.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/file.h"
#include "registry/credentials.h"
#include "tests/unit/registry/file_helpers.h"

using namespace isign;
using common::ErrorKind;
using isign::testing::mode_of;
using isign::testing::read;
using isign::testing::write;
using registry::Credentials;
using registry::GetEnv;

namespace {

namespace fs = std::filesystem;

class TempDir {
public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "isign-creds-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

std::string auth(const std::string& user, const std::string& pass) {
  return common::base64_encode(user + ":" + pass);
}

std::string auths_file(const std::string& key, const std::string& user, const std::string& pass) {
  return R"({"auths":{")" + key + R"(":{"auth":")" + auth(user, pass) + R"("}}})";
}

// A test environment: HOME and XDG dirs inside a temp dir, PATH with a bin dir for helpers.
struct Env {
  TempDir dir;
  std::map<std::string, std::string> vars;

  Env() {
    vars["HOME"] = dir / "home";
    vars["XDG_RUNTIME_DIR"] = dir / "run";
    vars["PATH"] = (dir / "bin") + ":/usr/bin:/bin";
    fs::create_directories(dir / "home");
    fs::create_directories(dir / "run");
    fs::create_directories(dir / "bin");
  }
  GetEnv get() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end())
        return std::nullopt;
      return it->second;
    };
  }
  std::string runtime_auth() const { return dir / "run/containers/auth.json"; }
  std::string config_auth() const { return dir / "home/.config/containers/auth.json"; }
  std::string docker_config() const { return dir / "home/.docker/config.json"; }
  std::string dockercfg() const { return dir / "home/.dockercfg"; }

  // docker-credential-NAME: records its argument and stdin in NAME.<action>.in, then runs body.
  void helper(const std::string& name, const std::string& body) const {
    std::string log = dir / (name + ".");
    write(dir / ("bin/docker-credential-" + name),
          "#!/bin/sh\ninput=$(cat)\nprintf '%s' \"$input\" > '" + log + "'\"$1\".in\n" + body +
              "\n",
          0755);
  }
  std::string helper_input(const std::string& name, const std::string& action) const {
    return read(dir / (name + "." + action + ".in"));
  }
  bool helper_ran(const std::string& name, const std::string& action) const {
    return fs::exists(dir / (name + "." + action + ".in"));
  }
};

std::optional<Credentials> found(const Env& env, const std::string& registry) {
  auto creds = registry::find_credentials(registry, env.get());
  if (!creds.ok())
    FAIL(creds.error().message());
  return *creds;
}

void check_user(const Env& env, const std::string& registry, const std::string& user,
                const std::string& pass) {
  INFO("registry " << registry);
  auto creds = found(env, registry);
  REQUIRE(creds.has_value());
  CHECK(creds->username == user);
  CHECK(creds->password == pass);
  CHECK(creds->registry_token.empty());
}

common::Error find_error(const Env& env, const std::string& registry) {
  auto creds = registry::find_credentials(registry, env.get());
  REQUIRE_FALSE(creds.ok());
  return creds.error();
}

} // namespace

TEST_CASE("auth files are searched in containers/image's order") {
  Env env;
  auto paths = registry::auth_file_paths(env.get());
  REQUIRE(paths.size() == 4);
  CHECK(paths[0].path == env.runtime_auth());
  CHECK(paths[1].path == env.config_auth());
  CHECK(paths[2].path == env.docker_config());
  CHECK(paths[3].path == env.dockercfg());
  CHECK_FALSE(paths[0].legacy);
  CHECK(paths[3].legacy);

  env.vars["XDG_CONFIG_HOME"] = env.dir / "xdg";
  env.vars["DOCKER_CONFIG"] = env.dir / "dockercfgdir";
  paths = registry::auth_file_paths(env.get());
  CHECK(paths[1].path == env.dir / "xdg/containers/auth.json");
  CHECK(paths[2].path == env.dir / "dockercfgdir/config.json");

  env.vars["XDG_RUNTIME_DIR"] = "";
  paths = registry::auth_file_paths(env.get());
  CHECK(paths[0].path == "/run/containers/" + std::to_string(::getuid()) + "/auth.json");

  env.vars["REGISTRY_AUTH_FILE"] = env.dir / "only.json";
  paths = registry::auth_file_paths(env.get());
  REQUIRE(paths.size() == 1);
  CHECK(paths[0].path == env.dir / "only.json");
}

TEST_CASE("docker_config_path is $DOCKER_CONFIG/config.json or ~/.docker/config.json") {
  Env env;
  CHECK(registry::docker_config_path(env.get()) == env.docker_config());
  env.vars["DOCKER_CONFIG"] = "";
  CHECK(registry::docker_config_path(env.get()) == env.docker_config());
  env.vars["DOCKER_CONFIG"] = "/etc/dc";
  CHECK(registry::docker_config_path(env.get()) == "/etc/dc/config.json");
}

TEST_CASE("nothing configured means anonymous") {
  Env env;
  CHECK_FALSE(found(env, "ghcr.io").has_value());
  write(env.docker_config(), R"({"auths":{"other.io":{"auth":")" + auth("u", "p") + R"("}}})");
  CHECK_FALSE(found(env, "ghcr.io").has_value());
  write(env.docker_config(), "{}");
  CHECK_FALSE(found(env, "ghcr.io").has_value());
}

TEST_CASE("each location is used, and an earlier one wins") {
  Env env;
  write(env.dockercfg(),
        R"({"https://ghcr.io/v1/":{"auth":")" + auth("legacy", "p0") + R"(","email":"x"}})");
  check_user(env, "ghcr.io", "legacy", "p0");
  write(env.docker_config(), auths_file("ghcr.io", "docker", "p1"));
  check_user(env, "ghcr.io", "docker", "p1");
  write(env.config_auth(), auths_file("ghcr.io", "xdgconfig", "p2"));
  check_user(env, "ghcr.io", "xdgconfig", "p2");
  write(env.runtime_auth(), auths_file("ghcr.io", "runtime", "p3"));
  check_user(env, "ghcr.io", "runtime", "p3");

  // A file without an entry for the registry passes on to the next.
  write(env.runtime_auth(), auths_file("quay.io", "q", "q"));
  check_user(env, "ghcr.io", "xdgconfig", "p2");
  check_user(env, "quay.io", "q", "q");

  // $DOCKER_CONFIG replaces ~/.docker.
  fs::remove(env.config_auth());
  env.vars["DOCKER_CONFIG"] = env.dir / "dc";
  write(env.dir / "dc/config.json", auths_file("ghcr.io", "dockerconfigenv", "p4"));
  check_user(env, "ghcr.io", "dockerconfigenv", "p4");
}

TEST_CASE("$REGISTRY_AUTH_FILE is the only file searched when set, as in podman") {
  Env env;
  write(env.docker_config(), auths_file("ghcr.io", "docker", "p"));
  write(env.dir / "auth.json", auths_file("ghcr.io", "authfile", "pa"));
  env.vars["REGISTRY_AUTH_FILE"] = env.dir / "auth.json";
  check_user(env, "ghcr.io", "authfile", "pa");
  CHECK_FALSE(found(env, "quay.io").has_value());
  write(env.docker_config(), auths_file("quay.io", "docker", "p"));
  CHECK_FALSE(found(env, "quay.io").has_value());
  // A missing file named by the variable means anonymous, like any missing auth file.
  env.vars["REGISTRY_AUTH_FILE"] = env.dir / "missing.json";
  CHECK_FALSE(found(env, "ghcr.io").has_value());
}

TEST_CASE("auths keys in every form docker and podman write") {
  struct Case {
    std::string key;
    std::string registry;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"ghcr.io", "ghcr.io", true},
      {"https://ghcr.io", "ghcr.io", true},
      {"http://ghcr.io/v1/", "ghcr.io", true},
      {"https://ghcr.io/v2/", "ghcr.io", true},
      {"localhost:5000", "localhost:5000", true},
      {"http://localhost:5000", "localhost:5000", true},
      {"localhost:5000", "localhost:5001", false},
      {"https://index.docker.io/v1/", "docker.io", true},
      {"docker.io", "docker.io", true},
      {"index.docker.io", "docker.io", true},
      {"registry-1.docker.io", "docker.io", true},
      {"https://registry-1.docker.io/v2/", "docker.io", true},
      {"https://index.docker.io/v1/", "registry-1.docker.io", true},
      // A namespaced auth.json key is only for that namespace, never the whole registry.
      {"ghcr.io/org", "ghcr.io", false},
      {"ghcr.io.evil.com", "ghcr.io", false},
      {"https://ghcr.io.evil.com/", "ghcr.io", false},
      {"GHCR.io", "ghcr.io", false},
  };
  for (const auto& c : cases) {
    INFO("key " << c.key << " registry " << c.registry);
    Env env;
    write(env.docker_config(), auths_file(c.key, "u", "p"));
    auto creds = found(env, c.registry);
    CHECK(creds.has_value() == c.matches);
  }
}

TEST_CASE("an exact key wins over a URL form of the same registry") {
  Env env;
  write(env.docker_config(), R"({"auths":{"https://ghcr.io/v1/":{"auth":")" + auth("url", "p") +
                                 R"("},"ghcr.io":{"auth":")" + auth("exact", "p") + R"("}}})");
  check_user(env, "ghcr.io", "exact", "p");
  write(env.docker_config(), R"({"auths":{"index.docker.io":{"auth":")" + auth("alias", "p") +
                                 R"("},"https://index.docker.io/v1/":{"auth":")" +
                                 auth("docker", "p") + R"("}}})");
  check_user(env, "docker.io", "docker", "p");
}

TEST_CASE("the legacy ~/.dockercfg holds auths at the top level") {
  Env env;
  write(env.dockercfg(), R"({"https://index.docker.io/v1/":{"auth":")" + auth("hub", "pw") +
                             R"(","email":"a@b"},"quay.io":{"auth":")" + auth("q", "qp") +
                             R"("}})");
  check_user(env, "docker.io", "hub", "pw");
  check_user(env, "quay.io", "q", "qp");
}

TEST_CASE("auth decoding: colons in the password, NUL padding, tokens") {
  Env env;
  write(env.docker_config(), auths_file("ghcr.io", "user", "pa:ss:word"));
  check_user(env, "ghcr.io", "user", "pa:ss:word");

  write(env.docker_config(), R"({"auths":{"ghcr.io":{"auth":")" +
                                 common::base64_encode(std::string("user:pw\0\0", 9)) + R"("}}})");
  check_user(env, "ghcr.io", "user", "pw");

  write(env.docker_config(), R"({"auths":{"ghcr.io":{"auth":")" + auth("user", "pw") +
                                 R"(","identitytoken":"refresh-me"}}})");
  check_user(env, "ghcr.io", "<token>", "refresh-me");

  write(env.docker_config(), R"({"auths":{"ghcr.io":{"registrytoken":"bearer-me"}}})");
  auto creds = found(env, "ghcr.io");
  REQUIRE(creds.has_value());
  CHECK(creds->registry_token == "bearer-me");
  CHECK(creds->username.empty());
  CHECK(creds->password.empty());

  // Empty entries (docker's marker when a helper holds the secret) and unknown fields.
  write(env.docker_config(), R"({"auths":{"ghcr.io":{},"quay.io":{"auth":"","email":"x"}}})");
  CHECK_FALSE(found(env, "ghcr.io").has_value());
  CHECK_FALSE(found(env, "quay.io").has_value());
}

TEST_CASE("an empty entry passes on to the next file") {
  Env env;
  write(env.runtime_auth(), R"({"auths":{"ghcr.io":{}}})");
  write(env.docker_config(), auths_file("ghcr.io", "docker", "p"));
  check_user(env, "ghcr.io", "docker", "p");
}

TEST_CASE("malformed files are io errors naming the file and never showing a secret") {
  const std::string secret = "hunter2-very-secret";
  struct Case {
    std::string content;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {R"({"auths":{"ghcr.io":{"auth":")" + secret + R"(" )",
       "not valid JSON (syntax error at byte"},
      {R"({"auths":{"ghcr.io":{"auth":")" + secret + R"("}},})", "not valid JSON"},
      {"", "not valid JSON"},
      {"[\"" + secret + "\"]", "not a JSON object"},
      {R"({"auths":[")" + secret + R"("]})", "\"auths\" is not an object"},
      {R"({"auths":{"ghcr.io":")" + secret + R"("}})", "auths entry 'ghcr.io' is not an object"},
      {R"({"auths":{"ghcr.io":{"auth":42}}})", "\"auth\" of auths entry 'ghcr.io' is not a string"},
      {R"({"auths":{"ghcr.io":{"auth":")" + secret + R"("}}})",
       "\"auth\" of auths entry 'ghcr.io' is not valid base64"},
      {R"({"auths":{"https://ghcr.io/v1/":{"auth":")" + common::base64_encode(secret) + R"("}}})",
       "\"auth\" of auths entry 'https://ghcr.io/v1/' is not base64 of 'username:password'"},
      {R"({"auths":{"ghcr.io":{"auth":")" + common::base64_encode(":" + secret) + R"("}}})",
       "is not base64 of 'username:password'"},
      {R"({"credHelpers":[]})", "\"credHelpers\" is not an object"},
      {R"({"credHelpers":{"ghcr.io":7}})", "credHelpers entry 'ghcr.io' is not a helper name"},
      {R"({"credHelpers":{"ghcr.io":"../../bin/sh"}})",
       "credHelpers entry 'ghcr.io' is not a helper name"},
      {R"({"credsStore":true})", "\"credsStore\" is not a string"},
      {R"({"credsStore":"a b"})", "\"credsStore\" is not a helper name"},
  };
  for (const auto& c : cases) {
    INFO("content: " << c.content);
    Env env;
    write(env.docker_config(), c.content);
    auto err = find_error(env, "ghcr.io");
    CHECK(err.kind() == ErrorKind::io);
    CHECK(err.message().rfind("reading credentials for ghcr.io: '" + env.docker_config() + "': ",
                              0) == 0);
    CHECK(err.message().find(c.problem) != std::string::npos);
    CHECK(err.message().find(secret) == std::string::npos);
    CHECK(err.message().find(common::base64_encode(secret)) == std::string::npos);
    CHECK(err.message().find('\n') == std::string::npos);
  }
}

TEST_CASE("an unreadable auth file is an error, not anonymous") {
  if (::geteuid() == 0)
    return; // root reads any file
  Env env;
  write(env.docker_config(), auths_file("ghcr.io", "u", "p"), 0000);
  auto err = find_error(env, "ghcr.io");
  CHECK(err.kind() == ErrorKind::io);
  CHECK(err.message().find(env.docker_config()) != std::string::npos);
}

TEST_CASE("credHelpers runs docker-credential-NAME get with the server URL on stdin") {
  Env env;
  env.helper(
      "test",
      R"(printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}' "$input")");
  write(env.docker_config(), R"({"credHelpers":{"ghcr.io":"test"},"auths":{"ghcr.io":{"auth":")" +
                                 auth("file", "p") + R"("}}})");
  // credHelpers wins over auths in the same file.
  check_user(env, "ghcr.io", "helper-user", "helper-pass");
  CHECK(env.helper_input("test", "get") == "ghcr.io");
  // Another registry is not the helper's business.
  CHECK_FALSE(found(env, "quay.io").has_value());

  // Docker Hub: the helper is asked with the key it is configured under.
  Env hub;
  hub.helper("hub", R"(printf '{"Username":"u","Secret":"s"}')");
  write(hub.docker_config(), R"({"credHelpers":{"https://index.docker.io/v1/":"hub"}})");
  check_user(hub, "docker.io", "u", "s");
  CHECK(hub.helper_input("hub", "get") == "https://index.docker.io/v1/");
  write(hub.docker_config(), R"({"credHelpers":{"docker.io":"hub"}})");
  check_user(hub, "docker.io", "u", "s");
  CHECK(hub.helper_input("hub", "get") == "docker.io");
}

TEST_CASE("a helper's <token> username means an identity token") {
  Env env;
  env.helper("tok", R"(printf '{"ServerURL":"ghcr.io","Username":"<token>","Secret":"idtoken"}')");
  write(env.docker_config(), R"({"credHelpers":{"ghcr.io":"tok"}})");
  check_user(env, "ghcr.io", "<token>", "idtoken");
}

TEST_CASE("a helper that has nothing passes on to the next file") {
  Env env;
  env.helper("none", "echo 'credentials not found in native keychain'; exit 1");
  write(env.runtime_auth(), R"({"credHelpers":{"ghcr.io":"none"}})");
  CHECK_FALSE(found(env, "ghcr.io").has_value());
  write(env.docker_config(), auths_file("ghcr.io", "docker", "p"));
  check_user(env, "ghcr.io", "docker", "p");
  CHECK(env.helper_ran("none", "get"));

  // Empty answers count as nothing too.
  env.helper("none", R"(printf '{"ServerURL":"","Username":"","Secret":""}')");
  check_user(env, "ghcr.io", "docker", "p");
}

TEST_CASE("credsStore is asked after auths, with docker's server URL") {
  Env env;
  env.helper("store", R"(printf '{"Username":"store-user","Secret":"store-pass"}')");
  write(env.docker_config(),
        R"({"credsStore":"store","auths":{"https://index.docker.io/v1/":{},"quay.io":{"auth":")" +
            auth("file", "fp") + R"("}}})");
  check_user(env, "docker.io", "store-user", "store-pass");
  CHECK(env.helper_input("store", "get") == "https://index.docker.io/v1/");
  check_user(env, "ghcr.io", "store-user", "store-pass");
  CHECK(env.helper_input("store", "get") == "ghcr.io");
  // An entry with credentials in auths is used as containers/image uses it.
  check_user(env, "quay.io", "file", "fp");

  env.helper("store", "echo 'credentials not found in native keychain' >&2; exit 1");
  CHECK_FALSE(found(env, "ghcr.io").has_value());
}

TEST_CASE("failing helpers are io errors that say which helper and why") {
  Env env;
  write(env.docker_config(), R"({"credHelpers":{"ghcr.io":"bad"}})");

  SECTION("missing from PATH") {
    auto err = find_error(env, "ghcr.io");
    CHECK(err.kind() == ErrorKind::io);
    CHECK(err.message() == "reading credentials for ghcr.io: '" + env.docker_config() +
                               "': credHelpers: credential helper 'docker-credential-bad' not "
                               "found in PATH");
  }
  SECTION("non-zero exit with a message") {
    env.helper("bad", "echo 'keychain is locked' >&2; exit 3");
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("credential helper 'docker-credential-bad get' failed (exit status "
                             "3): keychain is locked") != std::string::npos);
  }
  SECTION("non-JSON output is not shown") {
    env.helper("bad", "echo 'user=secret-ish'");
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("printed something that is not JSON") != std::string::npos);
    CHECK(err.message().find("secret-ish") == std::string::npos);
  }
  SECTION("JSON of the wrong shape") {
    env.helper("bad", R"(printf '{"Username":1,"Secret":"s3cr3t"}')");
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("a Username or Secret that is not a string") != std::string::npos);
    CHECK(err.message().find("s3cr3t") == std::string::npos);
  }
  SECTION("a failing helper's JSON on stdout is not shown") {
    env.helper("bad", R"(printf '{"Username":"u","Secret":"s3cr3t"}'; exit 1)");
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("failed (exit status 1)") != std::string::npos);
    CHECK(err.message().find("s3cr3t") == std::string::npos);
  }
  SECTION("killed by a signal") {
    env.helper("bad", "kill -9 $$");
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("failed (exit status 137)") != std::string::npos);
  }
  SECTION("a helper that never reads stdin does not hurt us") {
    write(env.dir / "bin/docker-credential-bad",
          "#!/bin/sh\nexec 0<&-\nprintf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n", 0755);
    check_user(env, "ghcr.io", "u", "s");
  }
  SECTION("a file that is not executable is not a helper") {
    write(env.dir / "bin/docker-credential-bad", "#!/bin/sh\nexit 0\n", 0644);
    auto err = find_error(env, "ghcr.io");
    CHECK(err.message().find("not found in PATH") != std::string::npos);
  }
}

TEST_CASE("helpers are bounded in time and output") {
  Env env;
  SECTION("timeout") {
    env.helper("slow", "sleep 10");
    auto start = std::chrono::steady_clock::now();
    auto creds = registry::credential_helper_get("slow", "ghcr.io", env.get(),
                                                 std::chrono::milliseconds(300));
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().kind() == ErrorKind::io);
    CHECK(creds.error().message() ==
          "credential helper 'docker-credential-slow get' did not finish within 300 ms");
    CHECK(elapsed < std::chrono::seconds(5));
  }
  SECTION("a helper that closes its output but keeps running") {
    env.helper("lingers", "exec >&- 2>&-; sleep 10");
    auto creds = registry::credential_helper_get("lingers", "ghcr.io", env.get(),
                                                 std::chrono::milliseconds(300));
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().message().find("did not finish within 300 ms") != std::string::npos);
  }
  SECTION("too much output") {
    env.helper("chatty", "head -c 3000000 /dev/zero");
    auto creds = registry::credential_helper_get("chatty", "ghcr.io", env.get());
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().kind() == ErrorKind::limit);
    CHECK(creds.error().message().find("printed more than 1048576 bytes") != std::string::npos);
  }
  SECTION("a bad helper name is refused before anything runs") {
    auto creds = registry::credential_helper_get("../x", "ghcr.io", env.get());
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error().message() == "invalid credential helper name '../x'");
  }
}

TEST_CASE("store_login creates the file as docker does: 0600 in a 0700 directory") {
  Env env;
  std::string path = env.dir / "new/.docker/config.json";
  auto stored = registry::store_login(path, "ghcr.io", "user", "pass", env.get());
  REQUIRE(stored.ok());
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(env.dir / "new/.docker") == 0700);
  CHECK(mode_of(env.dir / "new") == 0700);
  CHECK(read(path) == "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n"
                      "\t\t}\n\t}\n}");

  // Docker Hub goes under docker's key.
  REQUIRE(registry::store_login(path, "docker.io", "hub", "pw", env.get()).ok());
  auto doc = read(path);
  CHECK(doc.find("\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"" + auth("hub", "pw") +
                 "\"") != std::string::npos);

  env.vars["DOCKER_CONFIG"] = env.dir / "new/.docker";
  check_user(env, "ghcr.io", "user", "pass");
  check_user(env, "docker.io", "hub", "pw");
}

TEST_CASE("store_login keeps other entries, unknown fields, key order and the owner's mode bits") {
  Env env;
  std::string path = env.docker_config();
  write(
      path,
      R"({"psFormat":"table {{.ID}}","auths":{"quay.io":{"auth":")" + auth("q", "qp") +
          R"(","email":"q@x"},"ghcr.io":{"auth":")" + auth("old", "old") +
          R"(","identitytoken":"stale"}},"credHelpers":{"gcr.io":"gcloud"},"proxies":{"default":{"httpProxy":"http://p:3128"}}})",
      0640);
  REQUIRE(registry::store_login(path, "ghcr.io", "new", "secret", env.get()).ok());
  CHECK(mode_of(path) == 0600); // no longer group-readable: it holds a secret
  CHECK(read(path) ==
        "{\n\t\"psFormat\": \"table {{.ID}}\",\n\t\"auths\": {\n\t\t\"quay.io\": "
        "{\n\t\t\t\"auth\": \"" +
            auth("q", "qp") +
            "\",\n\t\t\t\"email\": \"q@x\"\n\t\t},\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"" +
            auth("new", "secret") +
            "\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t},\n\t"
            "\"proxies\": {\n\t\t\"default\": {\n\t\t\t\"httpProxy\": "
            "\"http://p:3128\"\n\t\t}\n\t}\n}");
  check_user(env, "ghcr.io", "new", "secret");
  check_user(env, "quay.io", "q", "qp");
}

TEST_CASE("store_login writes through a symlinked config.json") {
  Env env;
  std::string target = env.dir / "dotfiles/docker.json";
  write(target, "{}", 0600);
  fs::create_directories(env.dir / "home/.docker");
  fs::create_symlink(target, env.docker_config());
  REQUIRE(registry::store_login(env.docker_config(), "ghcr.io", "u", "p", env.get()).ok());
  CHECK(fs::is_symlink(env.docker_config()));
  CHECK(read(target).find(auth("u", "p")) != std::string::npos);
}

TEST_CASE("store_login refuses a malformed file and leaves it untouched") {
  Env env;
  write(env.docker_config(), "{not json", 0600);
  auto stored = registry::store_login(env.docker_config(), "ghcr.io", "u", "p", env.get());
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().kind() == ErrorKind::io);
  CHECK(stored.error().message().find(env.docker_config()) != std::string::npos);
  CHECK(read(env.docker_config()) == "{not json");
  write(env.docker_config(), R"({"auths":[]})", 0600);
  stored = registry::store_login(env.docker_config(), "ghcr.io", "u", "p", env.get());
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().message().find("\"auths\" is not an object") != std::string::npos);
}

TEST_CASE("store_login hands the secret to a configured helper, as docker does") {
  Env env;
  env.helper("vault", "exit 0");
  write(env.docker_config(), R"({"credsStore":"vault","auths":{"quay.io":{}}})");
  REQUIRE(registry::store_login(env.docker_config(), "docker.io", "hub", "pw", env.get()).ok());
  CHECK(env.helper_input("vault", "store") ==
        R"({"ServerURL":"https://index.docker.io/v1/","Username":"hub","Secret":"pw"})");
  CHECK(read(env.docker_config()) ==
        "{\n\t\"credsStore\": \"vault\",\n\t\"auths\": {\n\t\t"
        "\"quay.io\": {},\n\t\t\"https://index.docker.io/v1/\": {}\n\t}\n}");

  env.helper("special", "echo 'cannot store' >&2; exit 1");
  write(env.docker_config(), R"({"credsStore":"vault","credHelpers":{"ghcr.io":"special"}})");
  auto stored = registry::store_login(env.docker_config(), "ghcr.io", "u", "topsecret", env.get());
  REQUIRE_FALSE(stored.ok());
  CHECK(stored.error().message() ==
        "credential helper 'docker-credential-special store' failed (exit status 1): cannot store");
  CHECK(read(env.docker_config()) ==
        R"({"credsStore":"vault","credHelpers":{"ghcr.io":"special"}})");
}

TEST_CASE("remove_login removes every form of the registry's key and keeps the rest") {
  Env env;
  std::string path = env.docker_config();
  write(path,
        R"({"auths":{"ghcr.io":{"auth":")" + auth("a", "b") +
            R"("},"https://ghcr.io/v1/":{"auth":")" + auth("c", "d") +
            R"("},"ghcr.io/org":{"auth":")" + auth("ns", "ns") + R"("},"quay.io":{"auth":")" +
            auth("q", "q") + R"("}},"HttpHeaders":{"X":"y"}})",
        0644);
  REQUIRE(registry::remove_login(path, "ghcr.io", env.get()).ok());
  CHECK(mode_of(path) == 0600); // it still holds secrets: no longer world-readable
  CHECK(read(path) == "{\n\t\"auths\": {\n\t\t\"ghcr.io/org\": {\n\t\t\t\"auth\": \"" +
                          auth("ns", "ns") + "\"\n\t\t},\n\t\t\"quay.io\": {\n\t\t\t\"auth\": \"" +
                          auth("q", "q") +
                          "\"\n\t\t}\n\t},\n\t\"HttpHeaders\": {\n\t\t\"X\": "
                          "\"y\"\n\t}\n}");
  CHECK_FALSE(found(env, "ghcr.io").has_value());

  auto again = registry::remove_login(path, "ghcr.io", env.get());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind() == ErrorKind::not_found);
  CHECK(again.error().message() == "not logged in to ghcr.io (no entry in '" + path + "')");

  REQUIRE(registry::store_login(path, "docker.io", "hub", "pw", env.get()).ok());
  REQUIRE(registry::remove_login(path, "docker.io", env.get()).ok());
  CHECK(read(path).find("index.docker.io") == std::string::npos);
}

TEST_CASE("remove_login without a file is not_found") {
  Env env;
  auto removed = registry::remove_login(env.docker_config(), "ghcr.io", env.get());
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().kind() == ErrorKind::not_found);
  CHECK_FALSE(fs::exists(env.docker_config()));
}

TEST_CASE("remove_login erases from the configured helper") {
  Env env;
  env.helper("vault", "exit 0");
  write(env.docker_config(), R"({"credsStore":"vault","auths":{"ghcr.io":{}}})");
  REQUIRE(registry::remove_login(env.docker_config(), "ghcr.io", env.get()).ok());
  CHECK(env.helper_input("vault", "erase") == "ghcr.io");
  CHECK(read(env.docker_config()) == "{\n\t\"credsStore\": \"vault\",\n\t\"auths\": {}\n}");

  env.helper("vault", "echo 'credentials not found in native keychain'; exit 1");
  auto removed = registry::remove_login(env.docker_config(), "ghcr.io", env.get());
  REQUIRE_FALSE(removed.ok());
  CHECK(removed.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a helper inherits no descriptor but stdin, stdout and stderr") {
  Env env;
  int leaky = ::open("/dev/null", O_RDONLY); // deliberately without O_CLOEXEC
  REQUIRE(leaky >= 3);
  env.helper("fds", "if [ -e /proc/$$/fd/" + std::to_string(leaky) +
                        " ]; then echo 'descriptor leaked' >&2; exit 1; fi\n"
                        "printf '{\"Username\":\"u\",\"Secret\":\"s\"}'");
  auto creds = registry::credential_helper_get("fds", "ghcr.io", env.get());
  ::close(leaky);
  if (!creds.ok())
    FAIL(creds.error().message());
  REQUIRE(creds->has_value());
  CHECK((*creds)->username == "u");
}
