// Registry authentication end to end: htpasswd (Basic) and bearer-token registries, credentials
// from flags, auth files, config.json, credential helpers, identity tokens and --registry-token;
// wrong and missing credentials; and no secret ever printed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "common/encoding.h"
#include "tests/e2e/docker_config.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kOk;
using isign::cli::kRegistry;

namespace {

RegistryOptions auth_options(const std::string& name) {
  RegistryOptions o;
  o.tls = contains(name, "tls");
  o.auth = contains(name, "token") ? RegistryAuth::token : RegistryAuth::htpasswd;
  return o;
}

// `isign inspect --format {{.Digest}}` of app:v1 with the given extra flags and environment.
RunResult inspect(const RegistryFixture& reg, const std::vector<std::string>& flags,
                  std::map<std::string, std::string> env = {}) {
  RunOptions o;
  o.env = std::move(env);
  return isign_cmd("inspect", with(with(reg.tls_flags(), flags), {"--format", "{{.Digest}}"}),
                   {reg.ref("app:v1")}, o);
}

std::string basic_auth(const std::string& user, const std::string& password) {
  return isign::common::base64_encode(user + ":" + password);
}

// A config.json "auths" entry for the registry: its username with the given password.
nlohmann::json basic_auths(const RegistryFixture& reg, const std::string& password) {
  return {{"auths", {{reg.url(), {{"auth", basic_auth(reg.username(), password)}}}}}};
}

// No form of the secret appears in anything the run printed.
void check_no_secret(const RunResult& r, const RegistryFixture& reg, const std::string& password) {
  std::string all = all_output(r);
  CHECK_FALSE(contains(all, password));
  CHECK_FALSE(contains(all, basic_auth(reg.username(), password)));
  CHECK_FALSE(contains(all, reg.password()));
  CHECK_FALSE(contains(all, basic_auth(reg.username(), reg.password())));
  CHECK_FALSE(contains_nocase(all, "authorization:"));
}

// A registry of one variant (auth_options(), or options) holding app:v1, and a temp dir for
// credential files:
//   AuthScene scene("htpasswd");
//   auto& [reg, digest, dir] = scene;
struct AuthScene {
  RegistryFixture reg;
  std::string digest;
  TempDir dir;

  explicit AuthScene(const RegistryOptions& options)
      : reg(options), digest(push_random_image(reg, "app", "v1")) {}
  explicit AuthScene(const std::string& variant) : AuthScene(auth_options(variant)) {}

  // inspect(reg, flags, env), which must succeed and print the digest.
  RunResult inspect_digest(const std::vector<std::string>& flags,
                           std::map<std::string, std::string> env = {}) const {
    auto r = inspect(reg, flags, std::move(env));
    CHECK(r.exit_code == kOk);
    CHECK(r.out == digest + "\n");
    return r;
  }
};

} // namespace

TEST_CASE("auth: credentials from the flags", "[e2e][registry][auth]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "tls+htpasswd", "token", "tls+token");
  INFO("variant " << name);
  AuthScene scene(name);
  auto& [reg, digest, dir] = scene;
  auto r = scene.inspect_digest(reg.credential_flags());
  check_no_secret(r, reg, reg.password());
}

TEST_CASE("auth: no credentials for a registry that wants them exits 7 with the 401",
          "[e2e][registry][auth]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "token");
  INFO("variant " << name);
  AuthScene scene(name);
  auto& [reg, digest, dir] = scene;
  auto r = inspect(reg, {});
  CHECK(r.exit_code == kRegistry);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "401"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("auth: a wrong password exits 7, says so, and is never printed",
          "[e2e][registry][auth]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "tls+htpasswd", "token");
  INFO("variant " << name);
  AuthScene scene(name);
  auto& [reg, digest, dir] = scene;
  const std::string wrong = "Wr0ng-pa55-" + reg.password().substr(3, 6);
  for (const char* command : {"inspect", "triangulate", "list-tags"}) {
    INFO("command " << command);
    std::string ref = std::string(command) == "list-tags" ? reg.ref("app") : reg.ref("app:v1");
    auto r = isign_cmd(command,
                       with(reg.tls_flags(),
                            {"--registry-username", reg.username(), "--registry-password", wrong}),
                       {ref});
    CHECK(r.exit_code == kRegistry);
    CHECK(r.out.empty());
    CHECK((contains(r.err, "401") || contains_nocase(r.err, "credentials")));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    check_no_secret(r, reg, wrong);
  }
}

TEST_CASE("auth: credentials from $DOCKER_CONFIG/config.json", "[e2e][registry][auth]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "token");
  INFO("variant " << name);
  AuthScene scene(name);
  auto& [reg, digest, dir] = scene;
  std::string config = write_docker_config(dir, basic_auths(reg, reg.password()));
  scene.inspect_digest({}, {{"DOCKER_CONFIG", config}});

  // Docker's HOME fallback: ~/.docker/config.json.
  std::filesystem::create_directories(dir / "home");
  std::filesystem::rename(config, dir / "home/.docker");
  scene.inspect_digest({}, {{"HOME", dir / "home"}});
}

TEST_CASE("auth: wrong credentials in config.json exit 7 and are never printed",
          "[e2e][registry][auth]") {
  AuthScene scene("htpasswd");
  auto& [reg, digest, dir] = scene;
  const std::string wrong = "c0nfig-wrong-pw";
  std::string config = write_docker_config(dir, basic_auths(reg, wrong));
  auto r = inspect(reg, {}, {{"DOCKER_CONFIG", config}});
  CHECK(r.exit_code == kRegistry);
  CHECK(contains(r.err, "401"));
  check_no_secret(r, reg, wrong);
}

TEST_CASE("auth: podman's auth files ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR) come first",
          "[e2e][registry][auth]") {
  AuthScene scene("htpasswd");
  auto& [reg, digest, dir] = scene;
  nlohmann::json good = basic_auths(reg, reg.password());
  nlohmann::json bad = basic_auths(reg, "not-it");
  std::string docker_bad = write_docker_config(dir, bad);
  write_text(dir / "auth.json", good.dump());
  std::filesystem::create_directories(dir / "xdg/containers");
  write_text(dir / "xdg/containers/auth.json", good.dump());

  scene.inspect_digest({},
                       {{"REGISTRY_AUTH_FILE", dir / "auth.json"}, {"DOCKER_CONFIG", docker_bad}});
  scene.inspect_digest({}, {{"XDG_RUNTIME_DIR", dir / "xdg"}, {"DOCKER_CONFIG", docker_bad}});
}

TEST_CASE("auth: the flags beat stored credentials", "[e2e][registry][auth]") {
  AuthScene scene("htpasswd");
  auto& [reg, digest, dir] = scene;
  std::string config = write_docker_config(dir, basic_auths(reg, "stale-password"));
  scene.inspect_digest(reg.credential_flags(), {{"DOCKER_CONFIG", config}});
}

TEST_CASE("auth: credentials from a credential helper (credHelpers and credsStore)",
          "[e2e][registry][auth]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "token");
  auto key = GENERATE(as<std::string>{}, "credHelpers", "credsStore");
  INFO("variant " << name << ", " << key);
  AuthScene scene(name);
  auto& [reg, digest, dir] = scene;
  nlohmann::json config = key == "credHelpers"
                              ? nlohmann::json{{"credHelpers", {{reg.url(), "test"}}}}
                              : nlohmann::json{{"credsStore", "test"}};
  std::string docker = write_docker_config(dir, config);
  std::string path = write_credential_helper(dir, "test", reg.username(), reg.password());
  auto r = scene.inspect_digest({}, {{"DOCKER_CONFIG", docker}, {"PATH", path}});
  check_no_secret(r, reg, reg.password());
  std::string calls = read_text(dir / "calls.log");
  CHECK(contains(calls, "get "));
  CHECK(contains(calls, reg.url()));
}

TEST_CASE("auth: a credential helper with the wrong secret exits 7, secret not printed",
          "[e2e][registry][auth]") {
  AuthScene scene("htpasswd");
  auto& [reg, digest, dir] = scene;
  const std::string wrong = "helper-wrong-secret";
  std::string docker = write_docker_config(dir, {{"credHelpers", {{reg.url(), "test"}}}});
  std::string path = write_credential_helper(dir, "test", reg.username(), wrong);
  auto r = inspect(reg, {}, {{"DOCKER_CONFIG", docker}, {"PATH", path}});
  CHECK(r.exit_code == kRegistry);
  check_no_secret(r, reg, wrong);
}

TEST_CASE("auth: token registry: one token request per scope per run", "[e2e][registry][auth]") {
  AuthScene scene("token");
  auto& [reg, digest, dir] = scene;
  TokenIssuer& issuer = *reg.token_issuer();
  std::size_t before = issuer.request_count();
  auto r = inspect(reg, reg.credential_flags());
  CHECK(r.exit_code == kOk);
  CHECK(issuer.request_count() == before + 1);
  CHECK(issuer.requests().back().scopes == std::vector<std::string>{"repository:app:pull"});
  CHECK(issuer.requests().back().user == reg.username());

  before = issuer.request_count();
  auto t = isign_cmd("triangulate", reg.client_flags(), {reg.ref("app:v1")});
  CHECK(t.exit_code == kOk);
  CHECK(issuer.request_count() == before + 1);
  // Read-only commands never ask for push.
  CHECK(issuer.requests().back().scopes == std::vector<std::string>{"repository:app:pull"});
}

TEST_CASE("auth: token registry with anonymous pull needs no credentials",
          "[e2e][registry][auth]") {
  AuthScene scene({.auth = RegistryAuth::token, .anonymous_pull = true});
  auto& [reg, digest, dir] = scene;
  scene.inspect_digest({});
  CHECK(reg.token_issuer()->requests().back().user.empty());
}

TEST_CASE("auth: --registry-token is sent as the bearer token, no token request",
          "[e2e][registry][auth]") {
  AuthScene scene("token");
  auto& [reg, digest, dir] = scene;
  TokenIssuer& issuer = *reg.token_issuer();
  std::string token = issuer.make_token("ci-bot", {"repository:app:pull"});
  std::size_t before = issuer.request_count();
  auto r = scene.inspect_digest({"--registry-token", token});
  CHECK(issuer.request_count() == before);
  CHECK_FALSE(contains(all_output(r), token));
}

TEST_CASE("auth: an identity token from config.json is exchanged with the OAuth2 POST form",
          "[e2e][registry][auth]") {
  AuthScene scene({.auth = RegistryAuth::token, .identity_token = "refresh-isign-user"});
  auto& [reg, digest, dir] = scene;
  const std::string& identity_token = reg.options().identity_token;
  std::string docker =
      write_docker_config(dir, {{"auths", {{reg.url(), {{"identitytoken", identity_token}}}}}});
  auto r = scene.inspect_digest({}, {{"DOCKER_CONFIG", docker}});
  auto last = reg.token_issuer()->requests().back();
  CHECK(last.method == "POST");
  CHECK(last.user == reg.username());
  CHECK_FALSE(contains(all_output(r), identity_token));
}

TEST_CASE("auth: a token service that refuses GET is asked with the OAuth2 POST form",
          "[e2e][registry][auth]") {
  AuthScene scene({.auth = RegistryAuth::token, .token_allow_get = false});
  auto& [reg, digest, dir] = scene;
  scene.inspect_digest(reg.credential_flags());
  auto last = reg.token_issuer()->requests().back();
  CHECK(last.method == "POST");
  CHECK(last.status == 200);
}

TEST_CASE("auth: a registrytoken from config.json is sent as the bearer token",
          "[e2e][registry][auth]") {
  AuthScene scene("token");
  auto& [reg, digest, dir] = scene;
  TokenIssuer& issuer = *reg.token_issuer();
  std::string token = issuer.make_token("ci-bot", {"repository:app:pull"});
  std::string docker =
      write_docker_config(dir, {{"auths", {{reg.url(), {{"registrytoken", token}}}}}});
  std::size_t before = issuer.request_count();
  scene.inspect_digest({}, {{"DOCKER_CONFIG", docker}});
  CHECK(issuer.request_count() == before);
}
