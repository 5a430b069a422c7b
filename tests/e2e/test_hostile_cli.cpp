// Hostile input to the command line itself, through the built binary: docker configs made to
// crash or bloat login, a config others can read, flag values that do not parse, references with
// credentials pasted in, a timeout too small for libcurl, a registry sending bytes that are not
// UTF-8 or are terminal escapes, and an exception escaping a command. Each must give one clear
// error line (or one warning) with the documented exit code, and never lose or leak data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/images.h"

using namespace isign::testing;
namespace cli = isign::cli;

namespace {

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A docker config dir holding config.json = text (mode 0600 unless given).
struct ConfigScene {
  TempDir dir;
  std::string path = dir / "docker/config.json";

  explicit ConfigScene(const std::string& text, mode_t mode = 0600) {
    std::filesystem::create_directories(dir / "docker");
    write_text(path, text);
    ::chmod(path.c_str(), mode);
  }
  RunOptions env(const std::string& stdin_data = "pw\n") const {
    RunOptions o;
    o.env["DOCKER_CONFIG"] = dir / "docker";
    o.env["HOME"] = dir.path();
    o.stdin_data = stdin_data;
    o.timeout_seconds = 60;
    return o;
  }
  RunResult login() const {
    return run_isign({"login", "ghcr.io", "-u", "alice", "--password-stdin"}, env());
  }
};

std::string nested(std::size_t levels) {
  std::string text;
  for (std::size_t i = 0; i < levels; ++i)
    text += "{\"a\":";
  return text + "1" + std::string(levels, '}');
}

// nlohmann refuses to dump text that is not UTF-8.
bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("hostile cli: login refuses a deeply nested config.json and leaves it as it is",
          "[e2e][cli][hostile]") {
  for (std::size_t levels : {65u, 10000u, 100000u}) {
    INFO(levels << " levels");
    ConfigScene scene(nested(levels));
    auto r = scene.login();
    CHECK(r.exit_code == cli::kIo);
    CHECK(r.err == "isign: error: storing credentials for ghcr.io: '" + scene.path +
                       "': JSON nested more than 64 levels deep\n");
    CHECK(r.out.empty());
    CHECK(read_text(scene.path) == nested(levels));
  }
}

TEST_CASE("hostile cli: login refuses a config.json with a NUL byte and keeps what follows it",
          "[e2e][cli][hostile]") {
  const std::string text = std::string(R"({"auths":{}})") + '\0' + R"({"auths":{"quay.io":{}}})";
  ConfigScene scene(text);
  auto r = scene.login();
  CHECK(r.exit_code == cli::kIo);
  CHECK(r.err == "isign: error: storing credentials for ghcr.io: '" + scene.path +
                     "': not valid JSON (a NUL byte at byte 12)\n");
  CHECK(read_text(scene.path) == text);
}

TEST_CASE("hostile cli: login makes a group/world-readable config.json 0600 and says so",
          "[e2e][cli][hostile]") {
  ConfigScene scene(R"({"auths":{}})", 0644);
  auto r = scene.login();
  CHECK(r.exit_code == cli::kOk);
  CHECK(r.out == "Login Succeeded\n");
  CHECK(r.err == "isign: warning: '" + scene.path +
                     "' holds credentials but was readable by group or others: its mode was "
                     "tightened from 0644 to 0600\n");
  CHECK(mode_of(scene.path) == 0600);
  // Once private, nothing more is said; logout tightens too.
  CHECK(scene.login().err.empty());
  ::chmod(scene.path.c_str(), 0640);
  auto out = run_isign({"logout", "ghcr.io"}, scene.env());
  CHECK(out.exit_code == cli::kOk);
  CHECK(contains(out.err, "tightened from 0640 to 0600"));
  CHECK(mode_of(scene.path) == 0600);
}

// No thread can be started when each needs a 2 GiB stack (RLIMIT_STACK) in a 1 GiB address
// space: std::thread throws, as it does under a container's pids limit. AddressSanitizer reserves
// terabytes of shadow memory, so an instrumented isign cannot start under such a limit at all.
#if !defined(ISIGN_BINARY_SANITIZED)
TEST_CASE("hostile cli: verify works on when no thread can be started, never aborts",
          "[e2e][cli][hostile]") {
  TempDir dir;
  write_text(dir / "policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  auto r = run({"prlimit", "--stack=" + std::to_string(2ull << 30),
                "--as=" + std::to_string(1ull << 30), ISIGN_BINARY, "verify", "--policy",
                dir / "policy.json", "127.0.0.1:1/a:v1", "127.0.0.1:1/b:v1"});
  CHECK(r.exit_code == cli::kOk);
  CHECK(contains(r.err, "'127.0.0.1:1/b:v1': the policy's default accepts any image"));
  CHECK_FALSE(contains(r.err, "terminate"));
}
#endif

TEST_CASE("hostile cli: a 100 KB flag argument is a usage error, not a stack overflow",
          "[e2e][cli][hostile]") {
  const std::string secret(100000, 's');
  for (const std::string& arg : {"--registry-password=" + secret, "--x" + secret, "-p" + secret}) {
    auto r = run_isign({"inspect", arg, "127.0.0.1:1/app:v1"});
    CHECK(r.exit_code == cli::kUsage);
    CHECK(contains(r.err, "bytes long; give a long value as the next argument"));
    CHECK_FALSE(contains(r.err, "ssssssss"));
    CHECK(lines(r.err) == 1);
    CHECK(r.err.size() < 300);
  }
  // As the next argument it is an ordinary value.
  auto ok = run_isign({"inspect", "--registry-username", "u", "--registry-password", secret,
                       "--timeout", "0.001", "127.0.0.1:1/app:v1"});
  CHECK(ok.exit_code == cli::kNetwork);
}

TEST_CASE("hostile cli: a flag value that does not parse names the flag and what it takes",
          "[e2e][cli][hostile]") {
  TempDir dir;
  write_text(dir / "k.pub", "not read");
  const std::string ref = "127.0.0.1:1/app@sha256:" + std::string(64, 'a');
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"verify", "--key", dir / "k.pub", "--threshold", "-1", ref},
       "invalid value '-1' for --threshold: expected a non-negative integer"},
      {{"verify", "--key", dir / "k.pub", "--threshold=two", ref},
       "invalid value 'two' for --threshold: expected a non-negative integer"},
      {{"verify", "--key", dir / "k.pub", "--max-payload-size", "1e6", ref},
       "invalid value '1e6' for --max-payload-size: expected a non-negative integer"},
      {{"verify", "--key", dir / "k.pub", "--max-signature-layers", "99999999999999999999999", ref},
       "invalid value '99999999999999999999999' for --max-signature-layers: expected a "
       "non-negative integer"},
      {{"sign", "--key", dir / "k.key", "--upload=maybe", ref},
       "invalid value 'maybe' for --upload: expected true or false"},
      {{"inspect", ref, "--timeout"}, "--timeout needs a value"},
      {{"verify", "--recursive=yes", "--key", dir / "k.pub", ref},
       "invalid value 'yes' for --recursive: expected true or false"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args[0] << " " << args[args.size() - 2]);
    auto r = run_isign(args);
    CHECK(r.exit_code == cli::kUsage);
    CHECK(r.err == "isign: error: " + message + " (see 'isign " + args[0] + " --help')\n");
  }
  // Seconds are checked when the client is made (test_hostile_registry.cpp has the rest).
  auto r = run_isign({"inspect", "--timeout", "soon", ref});
  CHECK(r.exit_code == cli::kUsage);
  CHECK(r.err ==
        "isign: error: invalid value 'soon' for --timeout: expected a number of seconds, e.g. 30 "
        "or 0.5\n");
}

TEST_CASE("hostile cli: a reference with credentials in it is refused, the password never shown",
          "[e2e][cli][hostile]") {
  TempDir dir;
  write_text(dir / "k.pub", "not read");
  const std::string secret = "hunter2-SECRET";
  const std::string refused = "it contains credentials ('alice:***@'); use isign login or "
                              "--registry-username/--registry-password";
  const std::string digest = "@sha256:" + std::string(64, 'a');
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"inspect", "alice:" + secret + "@127.0.0.1:1/app"}, "invalid reference: " + refused},
      {{"inspect", "https://alice:" + secret + "@ghcr.io/app:v1"}, "invalid reference: " + refused},
      {{"inspect", "alice:" + secret + "@127.0.0.1:5000"}, "invalid reference: " + refused},
      {{"inspect", "alice:p/w@" + secret + "@ghcr.io/app"}, "invalid reference: " + refused},
      {{"triangulate", "alice:" + secret + "@ghcr.io/app" + digest},
       "invalid reference: " + refused},
      {{"list-tags", "alice:" + secret + "@ghcr.io/app"}, "invalid repository: " + refused},
      {{"sign", "--key", dir / "k.key", "alice:" + secret + "@ghcr.io/app" + digest},
       "invalid reference: " + refused},
      {{"verify", "--key", dir / "k.pub", "ghcr.io/ok" + digest,
        "alice:" + secret + "@ghcr.io/app" + digest},
       "invalid reference: " + refused},
      {{"inspect", "ghcr.io/ok:v1", "alice:" + secret + "@ghcr.io/app"},
       "unexpected argument 'alice:***@ghcr.io/app' (see 'isign inspect --help')"},
      {{"login", "https://alice:" + secret + "@ghcr.io", "-u", "a", "-p", "b"},
       "invalid registry: it contains credentials ('alice:***@'); give the user name with -u and "
       "the password with --password-stdin"},
      {{"logout", secret + "@ghcr.io"},
       "invalid registry: it contains credentials ('***@'); give the user name with -u and the "
       "password with --password-stdin"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args[0] << " case " << message);
    auto r = run_isign(args);
    CHECK(r.exit_code == cli::kUsage);
    CHECK(contains(r.err, "isign: error: " + message));
    CHECK_FALSE(contains(all_output(r), secret));
    CHECK(lines(r.err) == 1);
  }
  auto unknown = run_isign({"alice:" + secret + "@ghcr.io/app"});
  CHECK(unknown.exit_code == cli::kUsage);
  CHECK_FALSE(contains(all_output(unknown), secret));
  // Digests, and an '@' after the name, stay what they were.
  auto plain = run_isign({"triangulate", "app" + digest});
  CHECK(plain.exit_code == cli::kOk);
  CHECK(plain.out == "index.docker.io/library/app:sha256-" + std::string(64, 'a') + ".sig\n");
  auto wrong = run_isign({"triangulate", "ghcr.io/app@md5:00"});
  CHECK(wrong.exit_code == cli::kUsage);
  CHECK(contains(wrong.err, "unsupported digest algorithm 'md5'"));
}

TEST_CASE("hostile cli: --timeout below 1 ms is a usage error, not 'no timeout'",
          "[e2e][cli][hostile]") {
  RefusingPort down;
  for (const char* timeout : {"0.0001", "0.0009", "0", "-1", "3601", "1e300"}) {
    INFO("--timeout " << timeout);
    auto r = run_isign(
        {"inspect", "--allow-http-registry", "--timeout", timeout, down.address() + "/app:v1"});
    CHECK(r.exit_code == cli::kUsage);
    CHECK(r.err == "isign: error: --timeout must be from 0.001 (1 ms) to 3600 seconds\n");
  }
  auto ok = run_isign(
      {"inspect", "--allow-http-registry", "--timeout", "0.001", down.address() + "/app:v1"});
  CHECK(ok.exit_code == cli::kNetwork);
  // --deadline, the other duration flag: 0 is documented as "none", less than 1 ms is refused.
  auto deadline = run_isign(
      {"inspect", "--allow-http-registry", "--deadline", "0.0001", down.address() + "/app:v1"});
  CHECK(deadline.exit_code == cli::kUsage);
  CHECK(contains(deadline.err, "--deadline must be 0 (none) or from 0.001"));
}

TEST_CASE("hostile cli: a Content-Type that is not UTF-8 or holds escapes never aborts inspect",
          "[e2e][cli][hostile]") {
  RegistryFixture reg;
  push_random_image(reg, "app", "v1");
  FaultProxy proxy(reg);
  const std::string oci = "application/vnd.oci.image.manifest.v1+json";
  const std::vector<std::string> types = {oci + "\xff\xfe", oci + "\x1b[31m",
                                          oci + "; x=\x1b[31m\xff"};
  for (std::size_t i = 0; i < types.size(); ++i) {
    const std::string& type = types[i];
    for (const char* format : {"", "{{.MediaType}}"}) {
      INFO("Content-Type number " << i << ", --format " << format);
      proxy.clear_faults();
      proxy.inject({"", "/manifests/", Fault::set_header("Content-Type", type), -1});
      std::vector<std::string> args = {"inspect", "--allow-http-registry"};
      if (*format)
        args.insert(args.end(), {"--format", format});
      args.push_back(proxy.ref("app:v1"));
      auto r = run_isign(args);
      CHECK((r.exit_code == cli::kOk || r.exit_code == cli::kRegistry));
      CHECK_FALSE(contains(all_output(r), "\x1b"));
      CHECK(is_utf8(all_output(r)));
      CHECK(lines(r.err) <= 1);
    }
  }
}

TEST_CASE("hostile cli: verify prints an index's platform strings without their escapes",
          "[e2e][cli][hostile]") {
  SignScene scene({}, "app", "v1");
  IndexChild child{scene.digest, {.os = "linux\x1b[2J", .architecture = "amd64\x1b]0;owned\x07"}};
  std::string index = push_index(scene.reg, "app", "multi", {child});
  std::string index_ref = scene.reg.ref("app@" + index);
  REQUIRE(sign_image(scene.reg, scene.key, {"--recursive", index_ref}).exit_code == cli::kOk);
  auto r = verify_with_key(scene.reg, scene.key, {"--recursive", index_ref});
  CHECK(r.exit_code == cli::kOk);
  CHECK(contains(r.err, "isign: verified child linux\\x1b[2J/amd64\\x1b]0;owned\\x07"));
  CHECK_FALSE(contains(all_output(r), "\x1b"));
  CHECK_FALSE(contains(all_output(r), "\x07"));
}
