// Small helpers shared by the e2e tests of the registry commands.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/registry_fixture.h"
#include "tests/support/text.h"

namespace isign::testing {

// Runs `isign COMMAND FLAGS... ARGS...`. Its exit code and stderr are attached to the next
// assertion (UNSCOPED_INFO), so a failing check shows what isign said. Flags are not shown: they
// may hold a password.
inline RunResult isign_cmd(const std::string& command, const std::vector<std::string>& flags,
                           const std::vector<std::string>& args, RunOptions options = {}) {
  std::vector<std::string> argv = {command};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run_isign(argv, std::move(options));
  UNSCOPED_INFO("isign " << command << " ... -> exit " << r.exit_code << "; stderr: " << r.err);
  return r;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

inline bool contains_nocase(const std::string& haystack, const std::string& needle) {
  return contains(lower(haystack), lower(needle));
}

// "REGISTRY/REPO:sha256-<hex>.sig" for a manifest digest "sha256:<hex>" (docs/formats.md section
// 2).
inline std::string signature_tag(const std::string& registry, const std::string& repo,
                                 const std::string& digest) {
  std::string tag = digest;
  tag[tag.find(':')] = '-';
  return registry + "/" + repo + ":" + tag + ".sig";
}

// Everything a run printed, for "never prints the secret" checks.
inline std::string all_output(const RunResult& r) {
  return r.out + r.err;
}

// Runs `isign generate-key-pair --legacy` (the legacy scrypt N keeps tests fast): dir/PREFIX.key,
// encrypted with password, and dir/PREFIX.pub. Returns dir/PREFIX.
inline std::string generate_key_pair(const TempDir& dir, const std::string& prefix,
                                     const std::string& password) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", password}};
  auto r = run_isign({"generate-key-pair", "--legacy", "--output-key-prefix", dir / prefix}, o);
  REQUIRE(r.exit_code == 0);
  return dir / prefix;
}

// Seconds since it was made, for the "ends in bounded time" checks.
struct Timer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

} // namespace isign::testing
