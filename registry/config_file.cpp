// The docker and podman auth files: reading them safely and matching their keys to registries.
#include "registry/config_file.h"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

#include "common/file.h"
#include "common/secret.h"
#include "registry/reference.h"

namespace isign::registry::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;

namespace {

bool is_docker_hub(std::string_view host) {
  return canonical_registry_host(host) == kDockerHub;
}

// containers/image's normalizeAuthFileKey: "https://host/v1/" and "http://host" are host keys
// (docker login wrote URLs for years); a key without a scheme keeps its path (a namespaced key in
// auth.json, which never equals a bare registry), except in the legacy file.
std::string normalize_key(std::string_view key, bool legacy) {
  std::string_view stripped = key;
  bool had_scheme = false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (stripped.substr(0, scheme.size()) == scheme) {
      stripped.remove_prefix(scheme.size());
      had_scheme = true;
      break;
    }
  }
  if (had_scheme || legacy)
    stripped = stripped.substr(0, stripped.find('/'));
  return canonical_registry_host(stripped);
}

// Keys tried exactly, best first: the registry as given, then docker's Docker Hub key and aliases.
std::vector<std::string> exact_keys(std::string_view registry) {
  std::vector<std::string> keys{std::string(registry)};
  if (is_docker_hub(registry)) {
    keys.emplace_back(kDockerHubAuthKey);
    for (std::string_view k : kDockerHubHosts)
      if (k != registry)
        keys.emplace_back(k);
  }
  return keys;
}

} // namespace

std::string docker_key(std::string_view registry) {
  return is_docker_hub(registry) ? std::string(kDockerHubAuthKey) : std::string(registry);
}

Error file_error(const std::string& path, const std::string& problem) {
  return make_error(ErrorKind::io, "'" + path + "': " + problem);
}

// The helper name comes from a config file; it only ever names a program in PATH.
bool valid_helper_name(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '+';
    if (!ok)
      return false;
  }
  return true;
}

// Why text cannot be parsed safely as JSON, or "": a raw NUL byte (invalid in JSON; nlohmann
// stops reading at it, so what follows would be dropped on rewrite), or nesting deeper than
// kMaxJsonDepth. Never quotes the text (it holds secrets).
std::string json_text_problem(std::string_view text) {
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    return "not valid JSON (a NUL byte at byte " + std::to_string(nul) + ")";
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth)
        return "JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels deep";
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return "";
}

Result<std::optional<Json>> load_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT)
    return std::optional<Json>();
  auto text = common::read_file(path, kMaxConfigSize);
  ISIGN_TRY(text);
  SecretString guard(std::move(*text)); // the file holds passwords: wipe our copy
  if (auto problem = json_text_problem(guard.str()); !problem.empty())
    return file_error(path, problem);
  Json doc;
  try {
    doc = Json::parse(guard.str());
  } catch (const Json::parse_error& e) {
    // e.what() quotes the text around the error, which may be a password: give the offset only.
    return file_error(path, "not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception&) {
    // nlohmann throws other kinds too, e.g. out_of_range for a number such as 1e999.
    return file_error(path, "not valid JSON (a value is out of range)");
  }
  if (!doc.is_object())
    return file_error(path, "not a JSON object");
  return std::optional<Json>(std::move(doc));
}

Result<const Json*> object_member(const Json& doc, const char* name, const std::string& path) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null())
    return static_cast<const Json*>(nullptr);
  if (!it->is_object())
    return file_error(path, std::string("\"") + name + "\" is not an object");
  return &*it;
}

// The auths keys that name registry, best first: exact keys, then normalized matches in file order.
std::vector<std::string> matching_auth_keys(const Json& auths, std::string_view registry,
                                            bool legacy) {
  std::vector<std::string> keys;
  for (const auto& key : exact_keys(registry))
    if (auths.contains(key))
      keys.push_back(key);
  std::string want = canonical_registry_host(registry);
  for (const auto& [key, value] : auths.items()) {
    (void)value;
    if (normalize_key(key, legacy) == want &&
        std::find(keys.begin(), keys.end(), key) == keys.end())
      keys.push_back(key);
  }
  return keys;
}

// credHelpers[registry] (by the exact keys). The helper is asked for the key it was configured
// under, as docker (its Docker Hub key) and podman ("docker.io") each do.
Result<HelperChoice> cred_helper_for(const Json& doc, std::string_view registry,
                                     const std::string& path) {
  auto helpers = object_member(doc, "credHelpers", path);
  ISIGN_TRY(helpers);
  if (!*helpers)
    return HelperChoice{};
  for (const auto& key : exact_keys(registry)) {
    auto it = (*helpers)->find(key);
    if (it == (*helpers)->end())
      continue;
    if (!it->is_string() || !valid_helper_name(it->get<std::string>()))
      return file_error(path, "credHelpers entry '" + key + "' is not a helper name");
    return HelperChoice{it->get<std::string>(), key};
  }
  return HelperChoice{};
}

Result<HelperChoice> creds_store_for(const Json& doc, std::string_view registry,
                                     const std::string& path) {
  auto store = doc.find("credsStore");
  if (store == doc.end() || store->is_null())
    return HelperChoice{};
  if (!store->is_string())
    return file_error(path, "\"credsStore\" is not a string");
  std::string name = store->get<std::string>();
  if (name.empty())
    return HelperChoice{};
  if (!valid_helper_name(name))
    return file_error(path, "\"credsStore\" is not a helper name");
  return HelperChoice{name, docker_key(registry)};
}

Result<HelperChoice> configured_helper(const Json& doc, std::string_view registry,
                                       const std::string& path) {
  auto helper = cred_helper_for(doc, registry, path);
  if (!helper || !helper->name.empty())
    return helper;
  return creds_store_for(doc, registry, path);
}

} // namespace isign::registry::detail
