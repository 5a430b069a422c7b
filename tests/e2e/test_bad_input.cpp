// Bad input from users (issue 6), through the built binary: empty, huge, binary and non-UTF-8
// references, annotations and key paths; empty, huge and binary key files; the wrong kind of key;
// a directory, a FIFO and an unreadable file as the key; a full disk when writing keys. Each must
// give exactly one clear error line that is safe to print on a terminal, the documented exit code,
// and leave nothing behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
namespace cli = isign::cli;

namespace {

constexpr const char* kPassword = "bad-input-password";
const std::string kDigest = "sha256:" + std::string(64, 'a');

// A key pair made once per process.
const TempDir& keys_dir() {
  static TempDir dir;
  static const std::string prefix = generate_key_pair(dir, "k", kPassword);
  (void)prefix;
  return dir;
}

RunOptions in(const TempDir& dir) {
  RunOptions o;
  o.cwd = dir.path();
  o.env = {{"COSIGN_PASSWORD", kPassword}};
  o.timeout_seconds = 30; // a hang fails the case, not the whole suite
  return o;
}

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Well-formed UTF-8 (RFC 3629), written here independently of the code under test.
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size())
      return false;
    std::uint32_t cp = n == 1 ? b : b & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static const std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

bool printable_utf8_line(const std::string& s) {
  // What one_line() promises: no control bytes (the final '\n' aside), only whole UTF-8.
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f)
      return false;
  }
  return valid_utf8(s);
}

// The shape every refusal must have: the exit code, exactly one stderr line and it is the error,
// short and printable, nothing on stdout, no crash.
void check_refused(const RunResult& r, int exit_code, const std::string& message) {
  CHECK(r.exit_code == exit_code);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("isign: error: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK((!r.err.empty() && r.err.back() == '\n'));
  CHECK(r.err.size() < 4200);
  CHECK(printable_utf8_line(r.err));
  CHECK(contains(r.err, message));
  CHECK_FALSE(contains(r.err, "terminate called"));
}

const std::string kHuge(100000, 'a'); // 100 KB: within one argv string's 128 KiB
const std::string kBinary =
    "\x01\x02\x1b[31m\n\x7f\xc3";           // controls, an escape, a newline, a cut UTF-8
const std::string kNonUtf8 = "caf\xe9\xff"; // Latin-1 and a byte UTF-8 never uses

} // namespace

TEST_CASE("bad input: references (empty, 100 KB, binary, non-UTF-8) in every command",
          "[e2e][cli][bad-input]") {
  const TempDir& keys = keys_dir();
  TempDir dir;
  struct Ref {
    const char* name;
    std::string value;
    std::string message;
  };
  // The reference parser names the first bad byte and shows controls as '?'; one_line() escapes
  // what is left that a terminal should not see (\xNN).
  const Ref refs[] = {
      {"empty", "", "': it is empty"},
      {"100 KB", kHuge, "'aaaa"},
      {"binary", kBinary, "'???[31m??\\xc3': byte 0x01 is not allowed in a repository name"},
      {"non-UTF-8", "127.0.0.1:5000/" + kNonUtf8 + ":v1",
       "'127.0.0.1:5000/caf\\xe9\\xff:v1': byte 0xe9 is not allowed in a repository name"},
      {"binary tag", "127.0.0.1:5000/app:\x01", "byte 0x01 is not allowed in a tag"},
  };
  const std::vector<std::vector<std::string>> commands = {
      {"triangulate"},
      {"inspect"},
      {"list-tags"},
      {"verify", "--key", keys / "k.pub"},
      {"sign", "--key", keys / "k.key"},
  };
  for (const auto& ref : refs) {
    for (const auto& command : commands) {
      INFO(ref.name << " reference, isign " << command[0]);
      auto argv = command;
      argv.push_back(ref.value);
      // A RefusingPort is not needed: every reference here is refused before any connection.
      auto r = run_isign(argv, in(dir));
      check_refused(r, cli::kUsage, ref.message);
      CHECK(contains(r.err,
                     command[0] == "list-tags" ? "invalid repository '" : "invalid reference '"));
    }
  }
  CHECK(listing(dir.path()).empty());
}

TEST_CASE("bad input: annotations (empty, 100 KB, binary, non-UTF-8)", "[e2e][cli][bad-input]") {
  const TempDir& keys = keys_dir();
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  std::string ref = reg.ref("app@" + digest);
  std::string sig_tag = "sha256-" + digest.substr(7) + ".sig";
  struct Bad {
    const char* name;
    std::string annotation;
    std::string message;
  };
  const Bad bad[] = {
      {"empty", "", "invalid annotation '': expected key=value"},
      {"no key", "=value", "invalid annotation '=value': expected key=value"},
      {"no '='", "key", "invalid annotation 'key': expected key=value"},
      {"100 KB without '='", kHuge, "[... "},
      {"non-UTF-8 value", "k=" + kNonUtf8,
       "invalid annotation 'k=caf\\xe9\\xff': it is not valid UTF-8"},
      {"non-UTF-8 key", kNonUtf8 + "=v", "it is not valid UTF-8"},
      {"binary (cut UTF-8)", "k=" + kBinary, "it is not valid UTF-8"},
  };
  for (const auto& b : bad) {
    for (const char* command : {"sign", "verify"}) {
      INFO(b.name << " annotation, isign " << command);
      std::string key = keys / (std::string(command) == "sign" ? "k.key" : "k.pub");
      auto r = isign_cmd(command, with(reg.client_flags(), {"--key", key, "-a", b.annotation}),
                         {ref}, in(keys));
      check_refused(r, cli::kUsage, b.message);
    }
  }
  // Nothing was signed.
  CHECK(get_manifest(reg, "app", sig_tag).status == 404);

  // Control characters and a 100 KB value are valid UTF-8 and valid JSON once escaped: they are
  // signed, and verify finds exactly them.
  const std::string controls = "k=\x01\x02\x1b[31m\t\n";
  const std::string huge = "big=" + kHuge;
  auto s = isign_cmd(
      "sign", with(reg.client_flags(), {"--key", keys / "k.key", "-a", controls, "-a", huge}),
      {ref}, in(keys));
  REQUIRE(s.exit_code == cli::kOk);
  auto v = isign_cmd(
      "verify", with(reg.client_flags(), {"--key", keys / "k.pub", "-a", controls, "-a", huge}),
      {ref}, in(keys));
  CHECK(v.exit_code == cli::kOk);
  CHECK(contains(v.out, R"("k":"\u0001\u0002\u001b[31m\t\n")"));
  auto other =
      isign_cmd("verify", with(reg.client_flags(), {"--key", keys / "k.pub", "-a", "k=\x01"}),
                {ref}, in(keys));
  CHECK(other.exit_code == cli::kVerificationFailed);
}

TEST_CASE("bad input: key paths (empty, 100 KB, binary, non-UTF-8, a directory, missing)",
          "[e2e][cli][bad-input]") {
  TempDir dir;
  run({"mkdir", dir / "a-directory"});
  RefusingPort down; // a command that got past the key would fail with 6, not the expected code
  const std::string ref = down.address() + "/app@" + kDigest;
  struct Path {
    const char* name;
    std::string path;
    int exit_code;
    std::string message;
  };
  const Path paths[] = {
      {"empty", "", cli::kUsage, "the key path is empty"},
      {"100 KB", kHuge, cli::kIo, "File name too long"},
      {"binary", kBinary, cli::kIo, "cannot open '\\x01\\x02\\x1b[31m\\x0a\\x7f\\xc3'"},
      {"non-UTF-8", kNonUtf8 + ".key", cli::kIo, "cannot open 'caf\\xe9\\xff.key'"},
      {"a directory", "a-directory", cli::kIo, "it is a directory, not a file"},
      {"missing", "missing.key", cli::kIo, "No such file or directory"},
  };
  for (const auto& p : paths) {
    const std::vector<std::vector<std::string>> commands = {
        {"sign", "--allow-http-registry", "--key", p.path, ref},
        {"verify", "--allow-http-registry", "--key", p.path, ref},
        {"public-key", "--key", p.path},
        {"import-key-pair", "--key", p.path},
    };
    for (const auto& argv : commands) {
      INFO(p.name << " key path, isign " << argv[0]);
      auto r = run_isign(argv, in(dir));
      int want = p.exit_code;
      check_refused(r, want,
                    argv[0] == "import-key-pair" && want == cli::kUsage ? "--key is empty"
                                                                        : p.message);
    }
  }
  // --output-key-prefix with the same kinds of names: refused, nothing written.
  for (const auto& prefix : {kHuge, kBinary + "/k", kNonUtf8 + "/k"}) {
    auto r = run_isign({"generate-key-pair", "--output-key-prefix", prefix}, in(dir));
    INFO("prefix of " << prefix.size() << " bytes");
    CHECK(r.exit_code == cli::kIo);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(printable_utf8_line(r.err));
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{"a-directory"});
  CHECK(listing(dir / "a-directory").empty());
}

TEST_CASE("bad input: key files (empty, huge, binary, the wrong kind, FIFO, unreadable)",
          "[e2e][cli][bad-input]") {
  const TempDir& keys = keys_dir();
  TempDir dir;
  write_text(dir / "empty.key", "");
  write_text(dir / "huge.key", "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" +
                                   std::string(1100000, 'A') +
                                   "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
  write_text(dir / "binary.key", random_bytes(3000));
  write_text(dir / "k.pub", read_text(keys / "k.pub"));
  write_text(dir / "k.key", read_text(keys / "k.key"));
  REQUIRE(::mkfifo((dir / "fifo.key").c_str(), 0600) == 0);
  auto before = listing(dir.path());

  RefusingPort down;
  const std::string ref = down.address() + "/app@" + kDigest;
  auto sign = [&](const std::string& key) {
    return std::vector<std::string>{"sign", "--allow-http-registry", "--key", key, ref};
  };
  auto verify = [&](const std::string& key) {
    return std::vector<std::string>{"verify", "--allow-http-registry", "--key", key, ref};
  };
  struct Case {
    const char* name;
    std::vector<std::string> argv;
    int exit_code;
    std::string message;
  };
  const Case cases[] = {
      {"empty key file, sign", sign("empty.key"), cli::kKey, "the file is empty, not a PEM block"},
      {"empty key file, verify", verify("empty.key"), cli::kKey, "the file is empty"},
      {"empty key file, import",
       {"import-key-pair", "--key", "empty.key"},
       cli::kKey,
       "the file is empty"},
      {"huge key file, sign", sign("huge.key"), cli::kLimit, "is larger than 1048576 bytes"},
      {"huge key file, verify", verify("huge.key"), cli::kLimit, "is larger than 1048576 bytes"},
      {"huge key file, public-key",
       {"public-key", "--key", "huge.key"},
       cli::kLimit,
       "is larger than 1048576 bytes"},
      {"binary key file, sign", sign("binary.key"), cli::kKey, "not a PEM block"},
      {"binary key file, verify", verify("binary.key"), cli::kKey, "not a PEM block"},
      {"binary key file, import",
       {"import-key-pair", "--key", "binary.key"},
       cli::kKey,
       "not a PEM block"},
      {"public key to sign --key", sign("k.pub"), cli::kKey,
       "loading private key 'k.pub': this is a public key (PEM 'PUBLIC KEY'), not an encrypted "
       "private key"},
      {"private key to verify --key", verify("k.key"), cli::kKey,
       "loading public key 'k.key': this is a private key (PEM 'ENCRYPTED COSIGN PRIVATE KEY'), "
       "not a public key (PEM 'PUBLIC KEY')"},
      {"public key to import-key-pair",
       {"import-key-pair", "--key", "k.pub"},
       cli::kKey,
       "this is a public key"},
      // A FIFO nobody writes to must not block: it reads as empty.
      {"FIFO without a writer, sign", sign("fifo.key"), cli::kKey, "the file is empty"},
      {"FIFO without a writer, verify", verify("fifo.key"), cli::kKey, "the file is empty"},
      {"FIFO as the password file",
       {"public-key", "--key", "k.key", "--password-file", "fifo.key"},
       cli::kPassword,
       "incorrect password"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = run_isign(c.argv, in(dir));
    check_refused(r, c.exit_code, c.message);
  }
  CHECK(listing(dir.path()) == before);
}

TEST_CASE("bad input: an unreadable key file", "[e2e][cli][bad-input]") {
  TempDir dir;
  write_text(dir / "locked.key", read_text(keys_dir() / "k.key"));
  REQUIRE(::chmod((dir / "locked.key").c_str(), 0) == 0);
  // Root reads any file whatever its mode: drop the capabilities that allow it (setpriv, from
  // util-linux) so the kernel applies the mode as it would for any user.
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    if (run({"setpriv", "--bounding-set=-dac_override,-dac_read_search", "true"}).exit_code != 0) {
      WARN("running as root and setpriv cannot drop CAP_DAC_OVERRIDE here: the unreadable-file "
           "case cannot be made, skipped");
      return;
    }
    prefix = {"setpriv", "--bounding-set=-dac_override,-dac_read_search", ISIGN_BINARY};
  } else {
    prefix = {ISIGN_BINARY};
  }
  RefusingPort down;
  const std::string ref = down.address() + "/app@" + kDigest;
  const std::vector<std::vector<std::string>> commands = {
      {"sign", "--allow-http-registry", "--key", "locked.key", ref},
      {"verify", "--allow-http-registry", "--key", "locked.key", ref},
      {"public-key", "--key", "locked.key"},
      {"import-key-pair", "--key", "locked.key"},
      {"public-key", "--key", keys_dir() / "k.key", "--password-file", "locked.key"},
  };
  for (const auto& args : commands) {
    INFO("isign " << args[0]);
    auto argv = prefix;
    argv.insert(argv.end(), args.begin(), args.end());
    auto o = in(dir);
    o.unset_env = {"COSIGN_PASSWORD", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG"};
    auto r = run(argv, o);
    check_refused(r, cli::kIo, "cannot open 'locked.key': Permission denied");
  }
  CHECK(listing(dir.path()) == std::vector<std::string>{"locked.key"});
}

namespace {

struct FullDiskRun {
  RunResult result;
  std::vector<std::string> left; // what the full file system holds afterwards
};

// Runs isign ARGS with the working directory on an 8 KiB tmpfs that holds `fill_kib` KiB already,
// in a private mount namespace (unshare -m), so the mount never outlives the run. nullopt when
// this machine cannot mount (no root, no user namespaces).
std::optional<FullDiskRun> on_full_tmpfs(const TempDir& dir, int fill_kib,
                                         const std::vector<std::string>& args) {
  std::string mnt = dir / "mnt";
  std::filesystem::create_directories(mnt);
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s)
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  std::string cmd = quote(ISIGN_BINARY);
  for (const auto& a : args)
    cmd += " " + quote(a);
  std::string script = "mount -t tmpfs -o size=8k tmpfs " + quote(mnt) + " || exit 99\n" +
                       "dd if=/dev/zero of=" + quote(mnt + "/fill") +
                       " bs=1k count=" + std::to_string(fill_kib) + " 2>/dev/null\n" + "cd " +
                       quote(mnt) + " || exit 98\n" + cmd + " > " + quote(dir / "out") + " 2> " +
                       quote(dir / "err") + "\necho $? > " + quote(dir / "rc") + "\nls -A > " +
                       quote(dir / "left") + "\n";
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kPassword}};
  o.timeout_seconds = 30;
  auto r = run({"unshare", "-m", "sh", "-c", script}, o);
  if (r.exit_code != 0)
    return std::nullopt;
  FullDiskRun out;
  out.result.exit_code = std::stoi(read_text(dir / "rc"));
  out.result.out = read_text(dir / "out");
  out.result.err = read_text(dir / "err");
  std::string left = read_text(dir / "left");
  for (std::size_t pos = 0; pos < left.size();) {
    auto nl = left.find('\n', pos);
    out.left.push_back(left.substr(pos, nl - pos));
    pos = nl == std::string::npos ? left.size() : nl + 1;
  }
  return out;
}

} // namespace

TEST_CASE("bad input: a full disk when writing keys leaves nothing behind",
          "[e2e][cli][bad-input]") {
  const TempDir& keys = keys_dir();
  TempDir pem_dir;
  REQUIRE(run({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
               pem_dir / "ec.pem"})
              .exit_code == 0);
  struct Case {
    const char* name;
    int fill_kib; // of 8: 8 leaves no room at all, 4 room for the private key but not the public
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {"generate-key-pair, disk full",
       8,
       {"generate-key-pair", "--legacy"},
       "writing 'cosign.key': cannot write 'cosign.key.isign-new-"},
      {"generate-key-pair, room for the .key only",
       4,
       {"generate-key-pair", "--legacy"},
       "writing 'cosign.pub': cannot write 'cosign.pub.isign-new-"},
      {"import-key-pair, room for the .key only",
       4,
       {"import-key-pair", "--legacy", "--key", pem_dir / "ec.pem"},
       "writing 'import-cosign.pub': cannot write 'import-cosign.pub.isign-new-"},
      {"public-key --outfile, disk full",
       8,
       {"public-key", "--key", keys / "k.key", "--outfile", "out.pub"},
       "writing the public key: cannot write 'out.pub': No space left on device"},
  };
  bool mounted = true;
  for (const auto& c : cases) {
    INFO(c.name);
    TempDir dir;
    auto run_full = on_full_tmpfs(dir, c.fill_kib, c.args);
    if (!run_full) {
      mounted = false;
      break;
    }
    check_refused(run_full->result, cli::kIo, c.message);
    CHECK(contains(run_full->result.err, "No space left on device"));
    CHECK(run_full->left == std::vector<std::string>{"fill"});
  }
  if (!mounted)
    WARN("cannot mount a tmpfs here (needs root or user namespaces): the tmpfs cases were "
         "skipped; /dev/full and RLIMIT_FSIZE below still simulate a full disk");

  // Without a mount: /dev/full as the output (a device is written in place, never replaced) ...
  TempDir dir;
  REQUIRE(::symlink("/dev/full", (dir / "full.pub").c_str()) == 0);
  auto full = run_isign({"public-key", "--key", keys / "k.key", "--outfile", "full.pub"}, in(dir));
  check_refused(full, cli::kIo, "cannot write 'full.pub': No space left on device");
  struct stat st {};
  REQUIRE(::lstat((dir / "full.pub").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // ... and a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored so write() fails with EFBIG).
  auto o = in(dir);
  auto limited = run({"sh", "-c", "trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"", ISIGN_BINARY,
                      "generate-key-pair", "--legacy", "--output-key-prefix", "limited"},
                     o);
  check_refused(limited, cli::kIo, "File too large");
  CHECK(listing(dir.path()) == std::vector<std::string>{"full.pub"});
}

TEST_CASE("bad input: a binary command name and non-UTF-8 login credentials",
          "[e2e][cli][bad-input]") {
  auto unknown = run_isign({"sig\nn\x1b[2J"});
  check_refused(unknown, cli::kUsage, "unknown command 'sig\\x0an\\x1b[2J'");

  // A credential helper is sent JSON, which cannot carry bytes that are not UTF-8: refused with
  // one line (this aborted with an uncaught nlohmann exception), the config left as it was.
  TempDir dir;
  std::filesystem::create_directories(dir / "docker");
  std::filesystem::create_directories(dir / "bin");
  const std::string config = R"({"credHelpers":{"127.0.0.1:5000":"test"}})";
  write_text(dir / "docker/config.json", config);
  write_text(dir / "bin/docker-credential-test", "#!/bin/sh\ncat > /dev/null\nexit 0\n");
  ::chmod((dir / "bin/docker-credential-test").c_str(), 0755);
  RunOptions o;
  o.env = {{"DOCKER_CONFIG", dir / "docker"},
           {"PATH", (dir / "bin") + ":/usr/bin:/bin"},
           {"HOME", dir.path()}};
  o.stdin_data = "pw\n";
  for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
           {"user\xff", "pw\n"}, {"user", "p\xe9w\n"}}) {
    o.stdin_data = password;
    auto r = run_isign({"login", "127.0.0.1:5000", "-u", user, "--password-stdin"}, o);
    check_refused(r, cli::kUsage, "the user name or password is not valid UTF-8");
    CHECK(read_text(dir / "docker/config.json") == config);
  }
}
