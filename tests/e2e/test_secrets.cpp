// Secrets (issue 6): the failing-auth cases of sign and verify, with every way credentials reach
// isign (flags, config.json, a credential helper, --registry-token) against htpasswd and token
// registries, and a wrong key password. All output of each run (stdout and stderr) is searched for
// every form of the secret. The registry's and token issuer's own logs are not isign's output and
// are not searched. Also: key files are 0600 and replaced atomically whatever the umask, and
// `login` keeps config.json's other entries, its mode and its symlink.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "tests/e2e/docker_config.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
namespace cli = isign::cli;

namespace {

constexpr const char* kKeyPassword = "Key-Pa55word-not-to-print";

const TempDir& keys_dir() {
  static TempDir dir;
  static const std::string prefix = generate_key_pair(dir, "k", kKeyPassword);
  (void)prefix;
  return dir;
}

std::string b64(const std::string& s) {
  return isign::common::base64_encode(s);
}

// Every form in which `secret` (a password or token of `user`) could leak.
void check_not_printed(const RunResult& r, const std::string& user, const std::string& secret) {
  const std::string all = all_output(r);
  INFO("output: " << all);
  CHECK_FALSE(contains(all, secret));
  CHECK_FALSE(contains(all, b64(user + ":" + secret)));
  CHECK_FALSE(contains(all, b64(secret)));
  CHECK_FALSE(contains_nocase(all, "authorization"));
  CHECK_FALSE(contains_nocase(all, "basic "));
  CHECK_FALSE(contains_nocase(all, "bearer "));
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

} // namespace

TEST_CASE("secrets: wrong registry credentials from flags, config.json and a helper are never "
          "printed by sign or verify",
          "[e2e][secrets]") {
  auto auth = GENERATE(RegistryAuth::htpasswd, RegistryAuth::token);
  INFO((auth == RegistryAuth::token ? "token registry" : "htpasswd registry"));
  RegistryOptions options;
  options.auth = auth;
  RegistryFixture reg(options);
  std::string digest = push_random_image(reg, "app", "v1");
  std::string ref = reg.ref("app@" + digest);
  const std::string wrong = "Wr0ng-" + reg.password().substr(0, 8) + "-secret";
  const TempDir& keys = keys_dir();

  TempDir dir, config_dir, helper_dir;
  struct Source {
    const char* name;
    std::vector<std::string> flags;
    std::map<std::string, std::string> env;
  };
  const std::string config = write_docker_config(
      config_dir, {{"auths", {{reg.url(), {{"auth", b64(reg.username() + ":" + wrong)}}}}}});
  const std::string helper_config =
      write_docker_config(helper_dir, {{"credHelpers", {{reg.url(), "secrets"}}}});
  const Source sources[] = {
      {"flags", {"--registry-username", reg.username(), "--registry-password", wrong}, {}},
      {"config.json", {}, {{"DOCKER_CONFIG", config}}},
      {"credential helper",
       {},
       {{"DOCKER_CONFIG", helper_config},
        {"PATH", write_credential_helper(helper_dir, "secrets", reg.username(), wrong)}}},
  };
  for (const auto& source : sources) {
    for (const char* command : {"sign", "verify"}) {
      INFO(command << " with the wrong password from " << source.name);
      RunOptions o;
      o.env = source.env;
      o.env["COSIGN_PASSWORD"] = kKeyPassword;
      o.env["HOME"] = dir.path();
      std::string key = keys / (std::string(command) == "sign" ? "k.key" : "k.pub");
      auto r =
          isign_cmd(command, with(with(reg.tls_flags(), source.flags), {"--key", key}), {ref}, o);
      CHECK(r.exit_code == cli::kRegistry);
      CHECK(contains(r.err, "401"));
      check_not_printed(r, reg.username(), wrong);
      // Nor the real password, which isign never had here.
      check_not_printed(r, reg.username(), reg.password());
    }
  }
  // With the right password, a successful sign and verify print no secret either.
  for (const char* command : {"sign", "verify"}) {
    RunOptions o;
    o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
    std::string key = keys / (std::string(command) == "sign" ? "k.key" : "k.pub");
    auto r = isign_cmd(command, with(reg.client_flags(), {"--key", key}), {ref}, o);
    CHECK(r.exit_code == cli::kOk);
    check_not_printed(r, reg.username(), reg.password());
    CHECK_FALSE(contains(all_output(r), kKeyPassword));
  }
}

TEST_CASE("secrets: a bad or too weak --registry-token is never printed", "[e2e][secrets]") {
  RegistryOptions options;
  options.auth = RegistryAuth::token;
  RegistryFixture reg(options);
  std::string digest = push_random_image(reg, "app", "v1");
  std::string ref = reg.ref("app@" + digest);
  const TempDir& keys = keys_dir();
  // Garbage, a token signed by the right issuer for a pull only (sign needs push), and one for
  // another repository.
  const std::string pull_only = reg.token_issuer()->make_token("ci-bot", {"repository:app:pull"});
  const std::string other_repo =
      reg.token_issuer()->make_token("ci-bot", {"repository:other:pull,push"});
  struct Case {
    const char* name;
    std::string token;
    const char* command;
  };
  const Case cases[] = {
      {"garbage token, verify", "not-a-jwt-Zm9vYmFy-secret", "verify"},
      {"garbage token, sign", "not-a-jwt-Zm9vYmFy-secret", "sign"},
      {"pull-only token, sign", pull_only, "sign"},
      {"token for another repository, verify", other_repo, "verify"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    RunOptions o;
    o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
    std::string key = keys / (std::string(c.command) == "sign" ? "k.key" : "k.pub");
    auto r = isign_cmd(
        c.command, with(reg.tls_flags(), {"--registry-token", c.token, "--key", key}), {ref}, o);
    CHECK(r.exit_code == cli::kRegistry);
    CHECK((contains(r.err, "401") || contains(r.err, "403")));
    check_not_printed(r, "ci-bot", c.token);
    // A JWT's parts (header, claims, signature) are secrets too.
    for (std::size_t start = 0, dot; start < c.token.size(); start = dot + 1) {
      dot = c.token.find('.', start);
      if (dot == std::string::npos)
        dot = c.token.size();
      if (dot - start >= 16)
        CHECK_FALSE(contains(all_output(r), c.token.substr(start, dot - start)));
    }
  }
  CHECK(get_manifest(reg, "app", "sha256-" + digest.substr(7) + ".sig").status == 404);
}

TEST_CASE("secrets: a wrong key password for sign is never printed", "[e2e][secrets]") {
  const TempDir& keys = keys_dir();
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  TempDir dir;
  const std::string wrong = "Not-The-Key-Pa55word";
  write_text(dir / "pass.txt", wrong + "\n");
  struct Way {
    const char* name;
    std::vector<std::string> flags;
    RunOptions options;
  };
  RunOptions env_wrong;
  env_wrong.env = {{"COSIGN_PASSWORD", wrong}};
  RunOptions file_wrong;
  file_wrong.env = {{"COSIGN_PASSWORD", kKeyPassword}}; // the flag wins over the environment
  RunOptions stdin_wrong;
  stdin_wrong.stdin_data = wrong + "\n";
  const Way ways[] = {
      {"COSIGN_PASSWORD", {}, env_wrong},
      {"--password-file", {"--password-file", dir / "pass.txt"}, file_wrong},
      {"--password-file - (stdin)", {"--password-file", "-"}, stdin_wrong},
  };
  for (const auto& way : ways) {
    INFO("wrong key password from " << way.name);
    auto r = isign_cmd("sign", with(with(reg.client_flags(), way.flags), {"--key", keys / "k.key"}),
                       {reg.ref("app@" + digest)}, way.options);
    CHECK(r.exit_code == cli::kPassword);
    CHECK(r.err ==
          "isign: error: loading private key '" + (keys / "k.key") + "': incorrect password\n");
    CHECK_FALSE(contains(all_output(r), wrong));
    CHECK_FALSE(contains(all_output(r), kKeyPassword));
    CHECK_FALSE(contains(all_output(r), b64(wrong)));
  }
  CHECK(get_manifest(reg, "app", "sha256-" + digest.substr(7) + ".sig").status == 404);
}

TEST_CASE("secrets: key files are 0600 under any umask and replaced atomically",
          "[e2e][secrets][keys]") {
  TempDir dir;
  REQUIRE(run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
               dir / "ec.pem"})
              .exit_code == 0);
  RunOptions o;
  o.cwd = dir.path();
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  // umask 000 would make a plainly created file world-readable.
  auto in_umask = [&](const std::string& mask, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"sh", "-c", "umask " + mask + "; exec \"$0\" \"$@\"",
                                     ISIGN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, o);
  };
  for (const char* mask : {"000", "077"}) {
    INFO("umask " << mask);
    std::string g = std::string("gen-") + mask, i = std::string("imp-") + mask;
    REQUIRE(in_umask(mask, {"generate-key-pair", "--legacy", "--output-key-prefix", g}).exit_code ==
            0);
    REQUIRE(
        in_umask(mask, {"import-key-pair", "--legacy", "--key", "ec.pem", "--output-key-prefix", i})
            .exit_code == 0);
    CHECK(mode_of(dir / (g + ".key")) == 0600);
    CHECK(mode_of(dir / (g + ".pub")) == 0644);
    CHECK(mode_of(dir / (i + ".key")) == 0600);
    CHECK(mode_of(dir / (i + ".pub")) == 0644);
  }

  // --force replaces by rename: a reader that opened the old key keeps reading the whole old key
  // (an in-place rewrite would show it truncated or mixed), and the new key is a new file.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"generate-key-pair", "--legacy", "--force", "--output-key-prefix",
                                 "gen-000"},
        std::vector<std::string>{"import-key-pair", "--legacy", "--force", "--key", "ec.pem",
                                 "--output-key-prefix", "imp-000"}}) {
    INFO(args[0] << " --force");
    const std::string path = dir / (args.back() + ".key");
    const std::string old = read_text(path);
    const ino_t old_inode = inode_of(path);
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(in_umask("000", args).exit_code == 0);
    std::string seen(old.size() + 16, '\0');
    ssize_t n = ::pread(fd, seen.data(), seen.size(), 0);
    ::close(fd);
    REQUIRE(n >= 0);
    seen.resize(static_cast<std::size_t>(n));
    CHECK(seen == old);
    CHECK(inode_of(path) != old_inode);
    CHECK(read_text(path) != old);
    CHECK(mode_of(path) == 0600);
  }
  // No temporary files are left.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"ec.pem", "gen-000.key", "gen-000.pub", "gen-077.key",
                                          "gen-077.pub", "imp-000.key", "imp-000.pub",
                                          "imp-077.key", "imp-077.pub"});
}

TEST_CASE("secrets: login keeps config.json's other entries and its symlink, makes it 0600",
          "[e2e][secrets][login]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "docker");
  const nlohmann::ordered_json original = {
      {"auths",
       {{"ghcr.io", {{"auth", b64("octo:ghp_keep")}}},
        {"https://index.docker.io/v1/", {{"auth", b64("hubuser:hubpass")}}}}},
      {"HttpHeaders", {{"User-Agent", "Docker-Client/24"}}},
      {"psFormat", "table {{.ID}}"},
      {"currentContext", "desktop"},
      {"plugins", {{"buildx", {{"enabled", "true"}}}}},
  };
  const std::string path = dir / "docker/config.json";
  write_text(path, original.dump(4));
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  const ino_t inode = inode_of(path);
  RunOptions o;
  o.env = {{"DOCKER_CONFIG", dir / "docker"}, {"HOME", dir.path()}};
  o.stdin_data = "S3cret-login-pw\n";

  auto r = run_isign({"login", "127.0.0.1:5000", "-u", "alice", "--password-stdin"}, o);
  REQUIRE(r.exit_code == cli::kOk);
  CHECK_FALSE(contains(all_output(r), "S3cret-login-pw"));
  CHECK_FALSE(contains(all_output(r), b64("alice:S3cret-login-pw")));
  auto after = nlohmann::ordered_json::parse(read_text(path));
  nlohmann::ordered_json expected = original;
  expected["auths"]["127.0.0.1:5000"] = {{"auth", b64("alice:S3cret-login-pw")}};
  CHECK(after == expected);
  // Key order too: docker's other entries stay where they were.
  CHECK(after.dump() == expected.dump());
  // It holds secrets: no longer group-readable, and login says so (test_hostile_cli.cpp).
  CHECK(mode_of(path) == 0600);
  CHECK(contains(r.err, "tightened from 0640 to 0600"));
  CHECK(inode_of(path) != inode); // replaced by rename, never rewritten in place
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir / "docker"))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"config.json"});

  // A symlinked config.json (dotfile managers) stays a symlink; its target is updated.
  std::filesystem::create_directories(dir / "dotfiles");
  std::filesystem::rename(path, dir / "dotfiles/docker-config.json");
  std::filesystem::create_symlink(dir / "dotfiles/docker-config.json", path);
  o.stdin_data = "0ther-pw\n";
  auto again = run_isign({"login", "quay.io", "-u", "bob", "--password-stdin"}, o);
  REQUIRE(again.exit_code == cli::kOk);
  CHECK(std::filesystem::is_symlink(path));
  CHECK(mode_of(dir / "dotfiles/docker-config.json") == 0600);
  auto linked = nlohmann::ordered_json::parse(read_text(dir / "dotfiles/docker-config.json"));
  CHECK(linked["auths"]["quay.io"]["auth"] == b64("bob:0ther-pw"));
  CHECK(linked["auths"]["127.0.0.1:5000"]["auth"] == b64("alice:S3cret-login-pw"));
  CHECK(linked["psFormat"] == "table {{.ID}}");

  // A new config.json is created 0600 (test_login_cli.cpp) even under umask 000.
  TempDir fresh;
  RunOptions f;
  f.env = {{"DOCKER_CONFIG", fresh / "docker"}, {"HOME", fresh.path()}};
  f.stdin_data = "pw\n";
  auto created = run({"sh", "-c", "umask 000; exec \"$0\" \"$@\"", ISIGN_BINARY, "login",
                      "127.0.0.1:5000", "-u", "alice", "--password-stdin"},
                     f);
  REQUIRE(created.exit_code == cli::kOk);
  CHECK(mode_of(fresh / "docker/config.json") == 0600);
  CHECK(mode_of(fresh / "docker") == 0700);
}
