// Running programs from tests: the built isign binary, docker-registry, htpasswd, openssl.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace isign::testing {

struct RunResult {
  int exit_code = -1; // -1 when killed by a signal or it could not start
  std::string out;
  std::string err;
};

struct RunOptions {
  std::map<std::string, std::string> env; // added to (or overriding) the inherited environment
  std::vector<std::string> unset_env;     // removed from the inherited environment
  std::string stdin_data;                 // written to the child's stdin, then closed
  std::string cwd;                        // empty: inherit
  int timeout_seconds = 120;              // killed (SIGKILL) after this; exit_code -1
};

// Runs argv[0] (searched in PATH) with argv and waits. Never throws.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs the built isign with args. COSIGN_PASSWORD and the docker/podman auth variables are
// removed from the inherited environment unless options.env sets them, so tests never depend on
// the developer's machine.
RunResult run_isign(const std::vector<std::string>& args, RunOptions options = {});

// A fresh temporary directory, removed (recursively) when the object is destroyed.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

// Path of a file under the repository's testdata/.
std::string testdata(const std::string& relative);

// Reads a whole file (empty string if missing) / writes one (mode 0644).
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& data);

} // namespace isign::testing
