// Registry credentials from the places docker and podman keep them, and login/logout.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "registry/client.h"

namespace isign::registry {

// Environment lookups go through this so tests can supply their own.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;
GetEnv process_env();

// Credentials for registry (host[:port]; "docker.io" also matches docker's
// "https://index.docker.io/v1/" key), searched in podman/docker order:
// $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, $DOCKER_CONFIG/config.json or
// ~/.docker/config.json. Within a file: credHelpers[registry], then auths[registry] (base64 "auth"
// user:pass, or "identitytoken"), then credsStore through `docker-credential-<name> get`.
// nullopt when nothing is configured (anonymous). Errors: a malformed file or a failing helper.
common::Result<std::optional<Credentials>> find_credentials(std::string_view registry,
                                                           const GetEnv& env = process_env());

// The docker config file login/logout maintain: $DOCKER_CONFIG/config.json or
// ~/.docker/config.json.
std::string docker_config_path(const GetEnv& env = process_env());

// Adds/replaces auths[registry].auth = base64(user:password) in the file at path, keeping every
// other entry; created with mode 0600, existing mode kept; written atomically.
common::Result<void> store_login(const std::string& path, std::string_view registry,
                                 std::string_view username, std::string_view password);
// Removes auths[registry]; not_found if there was no entry.
common::Result<void> remove_login(const std::string& path, std::string_view registry);

} // namespace isign::registry
