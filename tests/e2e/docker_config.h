// Stored registry credentials written by the e2e tests: a docker config.json and a docker
// credential helper, each in its own directory of a TempDir.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/stat.h>

#include "tests/support/process.h"

namespace isign::testing {

// dir/docker/config.json with the given content, mode 0600; returns dir/docker (for
// $DOCKER_CONFIG).
inline std::string write_docker_config(const TempDir& dir, const nlohmann::json& config) {
  std::filesystem::create_directories(dir / "docker");
  write_text(dir / "docker/config.json", config.dump(2));
  ::chmod((dir / "docker/config.json").c_str(), 0600);
  return dir / "docker";
}

// dir/bin/docker-credential-NAME: answers `get` with the given credentials, refuses every other
// action, and appends each call ("ACTION SERVER") to dir/calls.log. Returns a PATH with dir/bin
// first.
inline std::string write_credential_helper(const TempDir& dir, const std::string& name,
                                           const std::string& user, const std::string& secret) {
  std::filesystem::create_directories(dir / "bin");
  const std::string helper = dir / ("bin/docker-credential-" + name);
  write_text(helper, "#!/bin/sh\n"
                     "read -r server\n"
                     "echo \"$1 $server\" >> '" +
                         (dir / "calls.log") +
                         "'\n"
                         "[ \"$1\" = get ] || exit 1\n"
                         "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}\\n' "
                         "\"$server\" '" +
                         user + "' '" + secret + "'\n");
  ::chmod(helper.c_str(), 0755);
  const char* path = std::getenv("PATH");
  return (dir / "bin") + ":" + (path ? path : "/usr/bin:/bin");
}

} // namespace isign::testing
