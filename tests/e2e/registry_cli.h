// Small helpers shared by the e2e tests of the registry commands.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/registry_fixture.h"

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

inline bool contains_nocase(std::string haystack, std::string needle) {
  auto low = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  };
  low(haystack);
  low(needle);
  return haystack.find(needle) != std::string::npos;
}

// "REGISTRY/REPO:sha256-<hex>.sig" for a manifest digest "sha256:<hex>" (FORMATS.md section 2).
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

} // namespace isign::testing
