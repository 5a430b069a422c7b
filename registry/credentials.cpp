// Finding registry credentials: the auth files in podman's order, and in each file docker's
// order of credHelpers, auths and credsStore.
#include "registry/credentials.h"

#include <unistd.h>

#include "common/encoding.h"
#include "common/secret.h"
#include "registry/config_file.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;
using detail::cred_helper_for;
using detail::creds_store_for;
using detail::file_error;
using detail::HelperChoice;
using detail::home_dir;
using detail::Json;
using detail::load_config;
using detail::matching_auth_keys;
using detail::nonempty;
using detail::object_member;

namespace {

Result<std::string> string_member(const Json& entry, const char* name, const std::string& path,
                                  const std::string& key) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null())
    return std::string();
  if (!it->is_string())
    return file_error(path,
                      std::string("\"") + name + "\" of auths entry '" + key + "' is not a string");
  return it->get<std::string>();
}

// Credentials from one auths entry; nullopt for an entry without any (docker writes {} when a
// helper holds the secret).
Result<std::optional<Credentials>> entry_credentials(const Json& entry, const std::string& path,
                                                     const std::string& key) {
  if (!entry.is_object())
    return file_error(path, "auths entry '" + key + "' is not an object");
  auto auth = string_member(entry, "auth", path, key);
  ISIGN_TRY(auth);
  auto identity_token = string_member(entry, "identitytoken", path, key);
  ISIGN_TRY(identity_token);
  auto registry_token = string_member(entry, "registrytoken", path, key);
  ISIGN_TRY(registry_token);

  Credentials creds;
  // go-containerregistry and containers/image prefer a registry token, then an identity token
  // (an OAuth2 refresh token), to the password.
  if (!registry_token->empty()) {
    creds.registry_token = std::move(*registry_token);
    return std::optional<Credentials>(std::move(creds));
  }
  if (!identity_token->empty()) {
    creds.username = "<token>";
    creds.password = std::move(*identity_token);
    return std::optional<Credentials>(std::move(creds));
  }
  if (auth->empty())
    return std::optional<Credentials>();
  auto decoded = common::base64_decode(*auth);
  common::secure_wipe(auth->data(), auth->size());
  if (!decoded)
    return file_error(path, "\"auth\" of auths entry '" + key + "' is not valid base64");
  SecretString plain(std::move(*decoded));
  auto colon = plain.str().find(':');
  if (colon == std::string::npos || colon == 0)
    return file_error(path,
                      "\"auth\" of auths entry '" + key + "' is not base64 of 'username:password'");
  creds.username = plain.str().substr(0, colon);
  creds.password = plain.str().substr(colon + 1);
  // docker and containers/image trim NUL padding some old tools left in the password.
  auto first = creds.password.find_first_not_of('\0');
  creds.password.erase(0, first == std::string::npos ? creds.password.size() : first);
  while (!creds.password.empty() && creds.password.back() == '\0')
    creds.password.pop_back();
  return std::optional<Credentials>(std::move(creds));
}

// Credentials from the first entry of auths for registry that holds any, in matching_auth_keys'
// order; nullopt when none does.
Result<std::optional<Credentials>>
credentials_in_auths(const Json& auths, std::string_view registry, const AuthFile& file) {
  for (const auto& key : matching_auth_keys(auths, registry, file.legacy)) {
    auto creds = entry_credentials(auths.at(key), file.path, key);
    if (!creds || *creds)
      return creds;
  }
  return std::optional<Credentials>();
}

// What the helper a file names under field (credHelpers, credsStore) answers; its errors say so.
Result<std::optional<Credentials>> helper_credentials(const HelperChoice& helper, const GetEnv& env,
                                                      const std::string& path, const char* field) {
  auto creds = credential_helper_get(helper.name, helper.server_url, env);
  ISIGN_TRY_CONTEXT(creds, "'" + path + "': " + field);
  return creds;
}

Result<std::optional<Credentials>>
credentials_in_file(const AuthFile& file, std::string_view registry, const GetEnv& env) {
  auto loaded = load_config(file.path);
  ISIGN_TRY(loaded);
  if (!*loaded)
    return std::optional<Credentials>();
  const Json& doc = **loaded;

  if (file.legacy)
    return credentials_in_auths(doc, registry, file);

  // credHelpers first: a registry assigned to a helper is answered by the helper alone.
  auto helper = cred_helper_for(doc, registry, file.path);
  ISIGN_TRY(helper);
  if (!helper->name.empty())
    return helper_credentials(*helper, env, file.path, "credHelpers");

  auto auths = object_member(doc, "auths", file.path);
  ISIGN_TRY(auths);
  if (*auths) {
    auto creds = credentials_in_auths(**auths, registry, file);
    if (!creds || *creds)
      return creds;
  }

  // Docker asks credsStore instead of auths; containers/image ignores credsStore. Asking it after
  // auths finds what either tool would: docker leaves {} in auths for what the store holds.
  auto store = creds_store_for(doc, registry, file.path);
  ISIGN_TRY(store);
  if (!store->name.empty())
    return helper_credentials(*store, env, file.path, "credsStore");
  return std::optional<Credentials>();
}

} // namespace

std::vector<AuthFile> auth_file_paths(const GetEnv& env) {
  if (auto file = nonempty(env, "REGISTRY_AUTH_FILE"))
    return {{*file, false}};
  std::vector<AuthFile> files;
  std::string home = home_dir(env);
  if (auto runtime = nonempty(env, "XDG_RUNTIME_DIR"))
    files.push_back({*runtime + "/containers/auth.json", false});
  else
    files.push_back({"/run/containers/" + std::to_string(::getuid()) + "/auth.json", false});
  if (auto config = nonempty(env, "XDG_CONFIG_HOME"))
    files.push_back({*config + "/containers/auth.json", false});
  else
    files.push_back({home + "/.config/containers/auth.json", false});
  files.push_back({docker_config_path(env), false});
  files.push_back({home + "/.dockercfg", true});
  return files;
}

std::string docker_config_path(const GetEnv& env) {
  if (auto dir = nonempty(env, "DOCKER_CONFIG"))
    return *dir + "/config.json";
  return home_dir(env) + "/.docker/config.json";
}

Result<std::optional<Credentials>> find_credentials(std::string_view registry, const GetEnv& env) {
  for (const auto& file : auth_file_paths(env)) {
    auto creds = credentials_in_file(file, registry, env);
    ISIGN_TRY_CONTEXT(creds, "reading credentials for " + std::string(registry));
    if (*creds)
      return creds;
  }
  return std::optional<Credentials>();
}

} // namespace isign::registry
