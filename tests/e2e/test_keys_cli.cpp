// generate-key-pair, public-key and import-key-pair, run as the built binary.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "tests/support/pem.h"
#include "tests/support/process.h"

using namespace isign::testing;

namespace {

// Runs isign in a new session, so it has no controlling terminal even when the tests run from
// one: a prompt can never block a test, and "no terminal" is what the program sees.
RunResult isign_no_tty(const std::vector<std::string>& args, RunOptions options = {}) {
  std::vector<std::string> argv = {"setsid", "-w", ISIGN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* v : {"COSIGN_PASSWORD", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG"})
    if (!options.env.count(v))
      options.unset_env.emplace_back(v);
  if (!options.env.count("HOME"))
    options.env["HOME"] = "/nonexistent-isign-test-home";
  return run(argv, options);
}

RunOptions in(const TempDir& dir, const std::string& password) {
  RunOptions o;
  o.cwd = dir.path();
  o.env["COSIGN_PASSWORD"] = password;
  return o;
}

// Runs a shell command line on a fresh pseudo-terminal (util-linux script), feeding typed input.
RunResult on_terminal(const TempDir& dir, const std::string& command, const std::string& typed,
                      const std::map<std::string, std::string>& env = {}) {
  RunOptions o;
  o.cwd = dir.path();
  o.stdin_data = typed;
  o.env = env;
  o.unset_env = {"COSIGN_PASSWORD"};
  o.timeout_seconds = 60;
  return run({"script", "-qec", std::string(ISIGN_BINARY) + " " + command, "/dev/null"}, o);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The JSON inside an encrypted key file.
nlohmann::json key_json(const std::string& file) {
  return nlohmann::json::parse(pem_body(file));
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

} // namespace

TEST_CASE("generate-key-pair writes cosign.key (0600) and cosign.pub (0644)", "[cli][keys]") {
  TempDir dir;
  auto r = isign_no_tty({"generate-key-pair"}, in(dir, "s3cret"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err == "Private key written to cosign.key\nPublic key written to cosign.pub\n");
  CHECK(mode_of(dir / "cosign.key") == 0600);
  CHECK(mode_of(dir / "cosign.pub") == 0644);
  std::string key = read_text(dir / "cosign.key");
  CHECK(first_line(key) == "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----");
  CHECK(key_json(key)["kdf"]["params"]["N"] == 65536);
  CHECK(first_line(read_text(dir / "cosign.pub")) == "-----BEGIN PUBLIC KEY-----");

  auto pub = isign_no_tty({"public-key", "--key", "cosign.key"}, in(dir, "s3cret"));
  REQUIRE(pub.exit_code == 0);
  CHECK(pub.out == read_text(dir / "cosign.pub"));
  CHECK(pub.err.empty());

  auto outfile = isign_no_tty({"public-key", "--key", "cosign.key", "--outfile", "out.pub"},
                              in(dir, "s3cret"));
  REQUIRE(outfile.exit_code == 0);
  CHECK(outfile.out.empty());
  CHECK(read_text(dir / "out.pub") == read_text(dir / "cosign.pub"));
  // No temporary files are left behind.
  auto ls = run({"ls", "-A", dir.path()});
  CHECK(ls.out == "cosign.key\ncosign.pub\nout.pub\n");
}

TEST_CASE("generate-key-pair with --output-key-prefix and --legacy", "[cli][keys]") {
  TempDir dir;
  run({"mkdir", dir / "sub"});
  auto r = isign_no_tty({"generate-key-pair", "--legacy", "--output-key-prefix", "sub/podman"},
                        in(dir, "pw"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err == "Private key written to sub/podman.key\nPublic key written to sub/podman.pub\n");
  std::string key = read_text(dir / "sub/podman.key");
  CHECK(first_line(key) == "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----");
  CHECK(key.substr(key.size() - 43) == "-----END ENCRYPTED COSIGN PRIVATE KEY-----\n");
  CHECK(key_json(key)["kdf"]["params"]["N"] == 32768);
  auto pub = isign_no_tty({"public-key", "--key", "sub/podman.key"}, in(dir, "pw"));
  REQUIRE(pub.exit_code == 0);
  CHECK(pub.out == read_text(dir / "sub/podman.pub"));

  auto missing_dir =
      isign_no_tty({"generate-key-pair", "--output-key-prefix", "nodir/x"}, in(dir, "pw"));
  CHECK(missing_dir.exit_code == 3);
  CHECK_THAT(missing_dir.err, Catch::StartsWith("isign: error: writing 'nodir/x.key': "));
}

TEST_CASE("generate-key-pair never overwrites without --force or a yes", "[cli][keys]") {
  TempDir dir;
  REQUIRE(isign_no_tty({"generate-key-pair"}, in(dir, "pw")).exit_code == 0);
  std::string key = read_text(dir / "cosign.key"), pub = read_text(dir / "cosign.pub");

  auto again = isign_no_tty({"generate-key-pair"}, in(dir, "pw"));
  CHECK(again.exit_code == 3);
  CHECK(again.err == "isign: error: 'cosign.key' already exists; use --force to overwrite it\n");
  CHECK(read_text(dir / "cosign.key") == key);
  CHECK(read_text(dir / "cosign.pub") == pub);

  // Only the .pub existing is refused the same way, and nothing is written.
  run({"rm", dir / "cosign.key"});
  auto pub_only = isign_no_tty({"generate-key-pair"}, in(dir, "pw"));
  CHECK(pub_only.exit_code == 3);
  CHECK_THAT(pub_only.err, Catch::Contains("'cosign.pub' already exists; use --force"));
  CHECK(read_text(dir / "cosign.pub") == pub);
  CHECK(run({"test", "-e", dir / "cosign.key"}).exit_code != 0);

  auto forced = isign_no_tty({"generate-key-pair", "--force"}, in(dir, "pw2"));
  REQUIRE(forced.exit_code == 0);
  CHECK(read_text(dir / "cosign.pub") != pub);
  CHECK(mode_of(dir / "cosign.key") == 0600);
  CHECK(mode_of(dir / "cosign.pub") == 0644);
  auto check = isign_no_tty({"public-key", "--key", "cosign.key"}, in(dir, "pw2"));
  REQUIRE(check.exit_code == 0);
  CHECK(check.out == read_text(dir / "cosign.pub"));
}

TEST_CASE("on a terminal: password asked twice, overwrite asked", "[cli][keys]") {
  TempDir dir;
  auto r = on_terminal(dir, "generate-key-pair", "tty pass\ntty pass\n");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Enter password for private key: "));
  CHECK_THAT(r.out, Catch::Contains("Enter password for private key again: "));
  auto pub = isign_no_tty({"public-key", "--key", "cosign.key"}, in(dir, "tty pass"));
  REQUIRE(pub.exit_code == 0);
  CHECK(pub.out == read_text(dir / "cosign.pub"));

  auto decrypt = on_terminal(dir, "public-key --key cosign.key", "tty pass\n");
  CHECK(decrypt.exit_code == 0);
  // The terminal turns "\n" into "\r\n": compare the first base64 line of the key.
  CHECK_THAT(decrypt.out, Catch::Contains(read_text(dir / "cosign.pub").substr(27, 64)));

  auto mismatch = on_terminal(dir, "generate-key-pair --output-key-prefix other", "one\ntwo\n");
  CHECK(mismatch.exit_code == 5);
  CHECK_THAT(mismatch.out, Catch::Contains("isign: error: the two passwords do not match"));
  CHECK(run({"test", "-e", dir / "other.key"}).exit_code != 0);

  std::string key = read_text(dir / "cosign.key");
  auto no = on_terminal(dir, "generate-key-pair", "n\n", {{"COSIGN_PASSWORD", "pw"}});
  CHECK(no.exit_code == 3);
  CHECK_THAT(no.out, Catch::Contains("File cosign.key already exists. Overwrite (y/n)? "));
  CHECK(read_text(dir / "cosign.key") == key);

  auto yes = on_terminal(dir, "generate-key-pair", "y\ny\n", {{"COSIGN_PASSWORD", "pw"}});
  CHECK(yes.exit_code == 0);
  CHECK(read_text(dir / "cosign.key") != key);
}

TEST_CASE("passwords: COSIGN_PASSWORD (even empty), --password-file, stdin", "[cli][keys]") {
  TempDir dir;
  REQUIRE(
      isign_no_tty({"generate-key-pair", "--output-key-prefix", "empty"}, in(dir, "")).exit_code ==
      0);
  CHECK(isign_no_tty({"public-key", "--key", "empty.key"}, in(dir, "")).exit_code == 0);
  CHECK(isign_no_tty({"public-key", "--key", "empty.key"}, in(dir, " ")).exit_code == 5);

  // Only the first line of a password file counts, without its newline; the flag wins over the
  // environment.
  write_text(dir / "pass.txt", "from file\nsecond line\n");
  RunOptions no_env;
  no_env.cwd = dir.path();
  REQUIRE(
      isign_no_tty({"generate-key-pair", "--output-key-prefix", "f", "--password-file", "pass.txt"},
                   in(dir, "ignored"))
          .exit_code == 0);
  CHECK(isign_no_tty({"public-key", "--key", "f.key"}, in(dir, "from file")).exit_code == 0);

  RunOptions stdin_opts = no_env;
  stdin_opts.stdin_data = "from file\n";
  auto piped = isign_no_tty({"public-key", "--key", "f.key", "--password-file", "-"}, stdin_opts);
  CHECK(piped.exit_code == 0);
  CHECK(piped.out == read_text(dir / "f.pub"));

  auto missing =
      isign_no_tty({"public-key", "--key", "f.key", "--password-file", "nope.txt"}, no_env);
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("reading the password file: cannot open 'nope.txt'"));

  // The podman vector with its own passphrase file.
  auto podman = isign_no_tty({"public-key", "--key", testdata("keys/podman-e2e/sigstore-key.key"),
                              "--password-file", testdata("keys/podman-e2e/sigstore-key.key.pass")},
                             no_env);
  CHECK(podman.exit_code == 0);
  CHECK(podman.out == read_text(testdata("keys/podman-e2e/sigstore-key.pub")));
}

TEST_CASE("password and key errors have their own exit codes and one clear line", "[cli][keys]") {
  TempDir dir;
  REQUIRE(isign_no_tty({"generate-key-pair"}, in(dir, "right")).exit_code == 0);

  auto wrong = isign_no_tty({"public-key", "--key", "cosign.key"}, in(dir, "wrong"));
  CHECK(wrong.exit_code == 5);
  CHECK(wrong.err == "isign: error: loading private key 'cosign.key': incorrect password\n");
  CHECK(wrong.out.empty());

  RunOptions none;
  none.cwd = dir.path();
  auto no_password = isign_no_tty({"public-key", "--key", "cosign.key"}, none);
  CHECK(no_password.exit_code == 2);
  CHECK(no_password.err == "isign: error: no password given and no terminal to ask on: set "
                           "COSIGN_PASSWORD or use --password-file FILE ('-' for stdin)\n");
  auto no_password_gen = isign_no_tty({"generate-key-pair", "--output-key-prefix", "n"}, none);
  CHECK(no_password_gen.exit_code == 2);
  CHECK_THAT(no_password_gen.err, Catch::Contains("set COSIGN_PASSWORD"));
  CHECK(run({"test", "-e", dir / "n.key"}).exit_code != 0);

  struct Case {
    std::string key;
    int exit_code;
    std::string message;
  };
  write_text(dir / "empty.key", "");
  write_text(dir / "garbage.key", "not a key\n");
  std::string good = read_text(dir / "cosign.key");
  write_text(dir / "truncated.key", good.substr(0, good.size() / 2));
  const Case cases[] = {
      {"missing.key", 3,
       "isign: error: loading private key 'missing.key': cannot open 'missing.key': No such file "
       "or directory\n"},
      {".", 3,
       "isign: error: loading private key '.': cannot read '.': it is a directory, not a "
       "file\n"},
      {"cosign.pub", 4,
       "isign: error: loading private key 'cosign.pub': this is a public key (PEM 'PUBLIC KEY'), "
       "not an encrypted private key\n"},
      {"empty.key", 4,
       "isign: error: loading private key 'empty.key': the file is empty, not a PEM block\n"},
      {"garbage.key", 4,
       "isign: error: loading private key 'garbage.key': not a PEM block (no '-----BEGIN' line)\n"},
      {"truncated.key", 4,
       "isign: error: loading private key 'truncated.key': truncated PEM block: no '-----END "
       "ENCRYPTED SIGSTORE PRIVATE KEY-----' line\n"},
      {testdata("keys/cosign-keys_test/pemcosigneckey.SEC1-plaintext.negative.key"), 4,
       "not PKCS#8: it is a SEC1 EC PRIVATE KEY"},
  };
  for (const auto& c : cases) {
    // Password "hello" opens the SEC1 vector; for the others the key is refused before any
    // password is needed.
    auto r = isign_no_tty({"public-key", "--key", c.key}, in(dir, "hello"));
    INFO(c.key);
    CHECK(r.exit_code == c.exit_code);
    CHECK_THAT(r.err, Catch::Contains(c.message));
    CHECK(r.err.find('\n') == r.err.size() - 1);
    // Corrupt files are reported even when no password source exists.
    if (c.exit_code == 4 && c.key.find("SEC1") == std::string::npos)
      CHECK(isign_no_tty({"public-key", "--key", c.key}, none).exit_code == 4);
  }

  auto usage = isign_no_tty({"public-key"}, in(dir, "x"));
  CHECK(usage.exit_code == 2);
  CHECK(usage.err == "isign: error: --key FILE is required (see 'isign public-key --help')\n");
}

TEST_CASE(
    "import-key-pair: OpenSSL-made EC (P-256, P-384, P-521 as SEC1, PKCS#8), RSA and Ed25519 keys",
    "[cli][keys]") {
  TempDir dir;
  struct Case {
    const char* name;
    std::vector<std::string> openssl;
  };
  const Case cases[] = {
      {"ec-sec1", {"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out"}},
      {"ec-sec1-params", {"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out"}},
      {"ec-pkcs8",
       {"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"}},
      {"ec-p384-sec1", {"openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out"}},
      {"ec-p521-pkcs8",
       {"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out"}},
      {"rsa-pkcs1", {"openssl", "genrsa", "-traditional", "-out"}},
      {"ed25519", {"openssl", "genpkey", "-algorithm", "ED25519", "-out"}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      std::string pem = dir / (std::string(c.name) + ".pem");
      auto argv = c.openssl;
      argv.push_back(pem);
      if (argv[1] == "genrsa")
        argv.push_back("2048");
      REQUIRE(run(argv).exit_code == 0);
      auto expected_pub = run({"openssl", "pkey", "-in", pem, "-pubout"});
      REQUIRE(expected_pub.exit_code == 0);

      auto r = isign_no_tty({"import-key-pair", "--key", pem}, in(dir, "imp"));
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(r.err ==
            "Private key written to import-cosign.key\nPublic key written to import-cosign.pub\n");
      CHECK(read_text(dir / "import-cosign.pub") == expected_pub.out);
      CHECK(mode_of(dir / "import-cosign.key") == 0600);
      CHECK(first_line(read_text(dir / "import-cosign.key")) ==
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----");
      auto back = isign_no_tty({"public-key", "--key", "import-cosign.key"}, in(dir, "imp"));
      REQUIRE(back.exit_code == 0);
      CHECK(back.out == expected_pub.out);
    }
  }
}

TEST_CASE("import-key-pair: options and refusals", "[cli][keys]") {
  TempDir dir;
  std::string pem = dir / "ec.pem";
  REQUIRE(run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", pem})
              .exit_code == 0);
  auto legacy = isign_no_tty(
      {"import-key-pair", "--key", pem, "--legacy", "--output-key-prefix", "mine"}, in(dir, "p"));
  REQUIRE(legacy.exit_code == 0);
  CHECK(first_line(read_text(dir / "mine.key")) == "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----");

  auto exists =
      isign_no_tty({"import-key-pair", "--key", pem, "--output-key-prefix", "mine"}, in(dir, "p"));
  CHECK(exists.exit_code == 3);
  CHECK_THAT(exists.err, Catch::Contains("use --force"));
  CHECK(isign_no_tty({"import-key-pair", "--key", pem, "--output-key-prefix", "mine", "--force"},
                     in(dir, "p"))
            .exit_code == 0);

  std::string k1 = dir / "secp256k1.pem";
  REQUIRE(run({"openssl", "ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", k1})
              .exit_code == 0);
  const std::pair<std::vector<std::string>, std::string> refusals[] = {
      {{"--key", k1}, "unsupported EC curve 'secp256k1'"},
      {{"--key", dir / "mine.pub"}, "this is a public key"},
      {{"--key", dir / "mine.key"}, "already an encrypted cosign key"},
  };
  for (const auto& [args, message] : refusals) {
    std::vector<std::string> argv = {"import-key-pair", "--output-key-prefix", "refused"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = isign_no_tty(argv, in(dir, "p"));
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains(message));
    CHECK(run({"test", "-e", dir / "refused.key"}).exit_code != 0);
  }
  auto missing = isign_no_tty({"import-key-pair", "--key", dir / "nope.pem"}, in(dir, "p"));
  CHECK(missing.exit_code == 3);
  auto no_key = isign_no_tty({"import-key-pair"}, in(dir, "p"));
  CHECK(no_key.exit_code == 2);
  CHECK_THAT(no_key.err, Catch::Contains("--key FILE is required"));
}
