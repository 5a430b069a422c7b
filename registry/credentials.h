// Registry credentials from the places docker and podman keep them, and login/logout.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/result.h"
#include "registry/credentials_types.h"
#include "registry/env.h"

namespace isign::registry {

// One auth file to search; legacy is the old ~/.dockercfg layout (the whole file is "auths").
struct AuthFile {
  std::string path;
  bool legacy = false;
};

// The files find_credentials searches, in order, as containers/image (podman, skopeo) does:
// only $REGISTRY_AUTH_FILE when it is set; otherwise $XDG_RUNTIME_DIR/containers/auth.json
// (/run/containers/<uid>/auth.json without it), $XDG_CONFIG_HOME/containers/auth.json
// (~/.config/...), $DOCKER_CONFIG/config.json or ~/.docker/config.json, then ~/.dockercfg.
// Empty variables count as unset.
std::vector<AuthFile> auth_file_paths(const GetEnv& env = process_env());

// Credentials for registry (host[:port]; "docker.io" also matches docker's
// "https://index.docker.io/v1/" key and the other Docker Hub aliases). The first file of
// auth_file_paths() that yields credentials wins; missing files are skipped. Within a file:
// credHelpers[registry], then auths[registry] (exact key first, then keys written as URLs such as
// "https://host/v1/"; "registrytoken", then "identitytoken" as {"<token>", token}, then base64
// "auth" user:pass), then credsStore through `docker-credential-<name> get`.
// nullopt when nothing is configured (anonymous). Errors (io, naming the file, never a secret):
// unreadable or malformed file, bad base64 "auth", a helper that is missing or fails.
common::Result<std::optional<Credentials>> find_credentials(std::string_view registry,
                                                            const GetEnv& env = process_env());

// How long a credential helper may run before it is killed.
inline constexpr std::chrono::milliseconds kCredentialHelperTimeout{30000};

// Runs `docker-credential-<helper> get` (found through env's PATH, no shell) with server_url on
// stdin and reads {"ServerURL","Username","Secret"}. A Username of "<token>" means Secret is an
// identity token and is returned as such. nullopt when the helper says "credentials not found".
// Errors (io): helper not found, failing, timing out, or printing more than 1 MiB or non-JSON.
common::Result<std::optional<Credentials>>
credential_helper_get(std::string_view helper, std::string_view server_url,
                      const GetEnv& env = process_env(),
                      std::chrono::milliseconds timeout = kCredentialHelperTimeout);

// The docker config file login/logout maintain: $DOCKER_CONFIG/config.json or
// ~/.docker/config.json.
std::string docker_config_path(const GetEnv& env = process_env());

// How login/logout left the docker config's permission bits. The file holds secrets, so it is
// written readable by its owner only: a new file 0600, an existing one without its group and
// other bits. Both are 0 when the file was not rewritten.
struct ConfigWrite {
  mode_t previous_mode = 0; // the existing file's bits; 0 for a new file
  mode_t mode = 0;          // the bits written
  bool tightened() const { return previous_mode != 0 && previous_mode != mode; }
};

// Logs in as docker does: when the file names a credential helper for registry (credHelpers, else
// credsStore), the credentials go to `docker-credential-<name> store` and auths[key] becomes {};
// otherwise auths[key] = {"auth": base64(user:password)}. key is registry, or
// "https://index.docker.io/v1/" for Docker Hub. Every other entry and unknown field is kept; a new
// file is created with mode 0600 (missing parent directories 0700), an existing file loses its
// group and other bits (ConfigWrite); written atomically (through a symlink to its target).
// Errors name the file, never a secret: unreadable or malformed (incl. a NUL byte, nesting deeper
// than 64 levels), or a result larger than the 4 MiB read limit (limit); the file is untouched.
common::Result<ConfigWrite> store_login(const std::string& path, std::string_view registry,
                                        std::string_view username, std::string_view password,
                                        const GetEnv& env = process_env());
// Removes every auths entry for registry (whatever form its key was written in) and erases it from
// the file's credential helper, if any, written as store_login writes. not_found if there was
// nothing to remove.
common::Result<ConfigWrite> remove_login(const std::string& path, std::string_view registry,
                                         const GetEnv& env = process_env());

} // namespace isign::registry
