// Internal to registry/: the auth files docker and podman write (config.json, auth.json,
// .dockercfg), read for lookups and edits: their parsing limits, how their keys name registries,
// and which credential helper a file assigns to a registry.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace isign::registry::detail {

// ordered: a file rewritten by login keeps its keys in their order.
using Json = nlohmann::ordered_json;

// docker's key for Docker Hub in config files (docker/cli configfile: getAuthConfigKey; the
// server URL it hands to credential helpers too).
inline constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";
// Larger auth files are refused when read and never written.
inline constexpr std::size_t kMaxConfigSize = 4u << 20;
// Docker configs nest four levels deep; a deeper document is an attack on the recursive dump()
// (a stack overflow, or megabytes of indentation per line when rewritten).
inline constexpr std::size_t kMaxJsonDepth = 64;

// The key docker writes for a registry, and the server URL it gives helpers.
std::string docker_key(std::string_view registry);

// The io error "'<path>': <problem>".
common::Error file_error(const std::string& path, const std::string& problem);

// Whether name may name a helper: it comes from a config file and only ever names a program in
// PATH (docker-credential-<name>), so no '/' and nothing a shell would interpret.
bool valid_helper_name(std::string_view name);

// Why text cannot be parsed safely as JSON, or "": a raw NUL byte or nesting deeper than
// kMaxJsonDepth. Never quotes the text (it holds secrets).
std::string json_text_problem(std::string_view text);

// Reads and parses the auth file at path (at most kMaxConfigSize, a JSON object); nullopt when
// it does not exist. Errors (io, limit) name the file and never quote it.
common::Result<std::optional<Json>> load_config(const std::string& path);

// doc[name] when it is an object, null when absent or null; an io error naming path otherwise.
common::Result<const Json*> object_member(const Json& doc, const char* name,
                                          const std::string& path);

// The keys of auths that name registry, best first: exact keys, then keys that normalize to it
// (URLs, Docker Hub aliases; in a legacy .dockercfg, paths too) in file order.
std::vector<std::string> matching_auth_keys(const Json& auths, std::string_view registry,
                                            bool legacy);

// A helper and the server URL to hand it; empty name when none is configured.
struct HelperChoice {
  std::string name;
  std::string server_url;
};

// credHelpers[registry] (by its exact keys), asked for the key it was configured under.
common::Result<HelperChoice> cred_helper_for(const Json& doc, std::string_view registry,
                                             const std::string& path);
// credsStore, asked with docker's key for the registry.
common::Result<HelperChoice> creds_store_for(const Json& doc, std::string_view registry,
                                             const std::string& path);
// The helper docker would store to or erase from: credHelpers, else credsStore.
common::Result<HelperChoice> configured_helper(const Json& doc, std::string_view registry,
                                               const std::string& path);

} // namespace isign::registry::detail
