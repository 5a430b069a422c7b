#include "tests/support/process.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "common/subprocess.h"

extern char** environ;

namespace isign::testing {

namespace {

// The inherited environment with options' changes, as "NAME=value" entries.
std::vector<std::string> environment_for(const RunOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& k : options.unset_env)
    env.erase(k);
  for (const auto& [k, v] : options.env)
    env[k] = v;
  std::vector<std::string> entries;
  for (const auto& [k, v] : env)
    entries.push_back(k + "=" + v);
  return entries;
}

} // namespace

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult result;
  if (argv.empty())
    return result;
  // As posix_spawnp: a name without '/' is looked up in this process's PATH.
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    auto found = common::find_program(program, path ? path : "/bin:/usr/bin");
    if (!found) {
      result.err = "cannot start " + program + ": not found in PATH";
      return result;
    }
    program = *found;
  }
  // Other test code writes to sockets a peer may have closed: the test process ignores SIGPIPE,
  // and the programs it runs have always inherited that (default_signals = false keeps it so).
  ::signal(SIGPIPE, SIG_IGN);
  common::SubprocessOptions sub;
  sub.input = options.stdin_data;
  sub.timeout = std::chrono::seconds(options.timeout_seconds);
  sub.environment = environment_for(options);
  sub.cwd = options.cwd;
  sub.default_signals = false;
  std::vector<std::string> args = argv;
  args[0] = program;
  auto done = common::run_subprocess(args, sub);
  if (!done) {
    result.err = "cannot start " + argv[0] + ": " + done.error().message();
    return result;
  }
  result.exit_code = done->timed_out ? -1 : done->exit_code;
  result.out = std::move(done->out);
  result.err = std::move(done->err);
  return result;
}

RunResult run_isign(const std::vector<std::string>& args, RunOptions options) {
  std::vector<std::string> argv = {ISIGN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* v :
       {"COSIGN_PASSWORD", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR"})
    if (!options.env.count(v))
      options.unset_env.emplace_back(v);
  // A HOME of the test's own, so ~/.docker/config.json of the machine is never read.
  if (!options.env.count("HOME"))
    options.env["HOME"] = "/nonexistent-isign-test-home";
  return run(argv, options);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "isign-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string testdata(const std::string& relative) {
  return std::string(ISIGN_TESTDATA_DIR) + "/" + relative;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

} // namespace isign::testing
