// login and logout: editing the docker config file as docker does, keeping everything else in it.
#include "registry/credentials.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

#include "common/encoding.h"
#include "common/file.h"
#include "common/secret.h"
#include "registry/config_file.h"
#include "registry/credential_helper.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;
using detail::configured_helper;
using detail::docker_key;
using detail::file_error;
using detail::helper_failed;
using detail::Json;
using detail::kMaxConfigSize;
using detail::load_config;
using detail::matching_auth_keys;
using detail::run_helper;
using detail::says_not_found;

namespace {

Result<void> make_dirs(const std::string& dir) {
  if (dir.empty())
    return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return {};
    return make_error(ErrorKind::io, "'" + dir + "' is not a directory");
  }
  auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    auto parent = make_dirs(dir.substr(0, slash));
    if (!parent)
      return parent;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorKind::io, "cannot create '" + dir + "': " + std::strerror(errno));
  return {};
}

struct ConfigForEdit {
  std::string write_path; // the symlink's target when path is a symlink
  ConfigWrite modes{0, 0600};
  Json doc = Json::object();
  bool existed = false;
};

Result<ConfigForEdit> open_for_edit(const std::string& path) {
  ConfigForEdit cfg;
  cfg.write_path = path;
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    // docker writes through a symlinked config.json (dotfile managers keep it elsewhere).
    if (char* real = ::realpath(path.c_str(), nullptr)) {
      cfg.write_path = real;
      std::free(real);
    }
  }
  auto loaded = load_config(path);
  ISIGN_TRY(loaded);
  if (*loaded) {
    cfg.existed = true;
    cfg.doc = std::move(**loaded);
    struct stat st {};
    if (::stat(cfg.write_path.c_str(), &st) == 0) {
      // The file holds secrets: what group or others could read is taken away on rewrite.
      cfg.modes.previous_mode = st.st_mode & 07777;
      cfg.modes.mode = st.st_mode & 0700;
    }
  } else {
    auto slash = cfg.write_path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      auto dirs = make_dirs(cfg.write_path.substr(0, slash));
      ISIGN_TRY(dirs);
    }
  }
  return cfg;
}

// An upper bound of the size of v.dump(1, '\t') at depth, counted without building it: many small
// values deep down make megabytes of indentation out of a small file.
std::size_t pretty_size(const Json& v, std::size_t depth) {
  if (!v.is_structured())
    return v.dump().size();
  std::size_t n = 3 + depth; // brackets, the last newline and its indentation
  for (auto it = v.begin(); it != v.end(); ++it) {
    n += depth + 3 + pretty_size(*it, depth + 1); // indentation, ",\n"
    if (v.is_object())
      n += Json(it.key()).dump().size() + 2; // "key":
  }
  return n;
}

Result<ConfigWrite> save(const ConfigForEdit& cfg, const std::string& path) {
  // Never write what load_config would refuse to read back.
  if (pretty_size(cfg.doc, 0) > kMaxConfigSize)
    return make_error(ErrorKind::limit, "'" + path + "': the updated file would be larger than " +
                                            std::to_string(kMaxConfigSize >> 20) + " MiB");
  // docker writes json.MarshalIndent(config, "", "\t").
  SecretString text(cfg.doc.dump(1, '\t'));
  auto written =
      common::write_file_atomic(cfg.write_path, text.str(), cfg.modes.mode, common::Overwrite::yes);
  ISIGN_TRY(written);
  return cfg.modes;
}

Result<Json*> auths_for_edit(ConfigForEdit& cfg, const std::string& path) {
  auto it = cfg.doc.find("auths");
  if (it == cfg.doc.end() || it->is_null()) {
    cfg.doc["auths"] = Json::object();
    return &cfg.doc["auths"];
  }
  if (!it->is_object())
    return file_error(path, "\"auths\" is not an object");
  return &*it;
}

} // namespace

Result<ConfigWrite> store_login(const std::string& path, std::string_view registry,
                                std::string_view username, std::string_view password,
                                const GetEnv& env) {
  auto cfg = open_for_edit(path);
  ISIGN_TRY(cfg);
  auto helper = configured_helper(cfg->doc, registry, path);
  ISIGN_TRY(helper);
  std::string key = docker_key(registry);
  auto auths = auths_for_edit(*cfg, path);
  ISIGN_TRY(auths);

  if (!helper->name.empty()) {
    // docker's native store: the secret goes to the helper, the file keeps an empty marker.
    Json request = {{"ServerURL", helper->server_url},
                    {"Username", std::string(username)},
                    {"Secret", std::string(password)}};
    // A helper reads JSON, which cannot carry bytes that are not UTF-8 (nlohmann throws on them).
    SecretString input;
    try {
      input = SecretString(request.dump());
    } catch (const Json::exception&) {
      return make_error(ErrorKind::usage, "the user name or password is not valid UTF-8, which a "
                                          "credential helper cannot store");
    }
    std::string program = "docker-credential-" + helper->name;
    auto run = run_helper(program, "store", input.str(), env, kCredentialHelperTimeout);
    ISIGN_TRY(run);
    common::secure_wipe(run->out.data(), run->out.size());
    if (run->status() != 0)
      return helper_failed(program, "store", *run);
    (**auths)[key] = Json::object();
  } else {
    SecretString plain(std::string(username) + ":" + std::string(password));
    (**auths)[key] = Json{{"auth", common::base64_encode(plain.str())}};
  }
  return save(*cfg, path);
}

Result<ConfigWrite> remove_login(const std::string& path, std::string_view registry,
                                 const GetEnv& env) {
  auto cfg = open_for_edit(path);
  ISIGN_TRY(cfg);
  if (!cfg->existed)
    return make_error(ErrorKind::not_found, "not logged in to " + std::string(registry) + " ('" +
                                                path + "' does not exist)");
  auto helper = configured_helper(cfg->doc, registry, path);
  ISIGN_TRY(helper);
  bool removed = false;

  if (!helper->name.empty()) {
    std::string program = "docker-credential-" + helper->name;
    auto run = run_helper(program, "erase", helper->server_url, env, kCredentialHelperTimeout);
    ISIGN_TRY(run);
    if (run->status() == 0)
      removed = true;
    else if (!says_not_found(*run))
      return helper_failed(program, "erase", *run);
  }

  auto it = cfg->doc.find("auths");
  bool changed = false;
  if (it != cfg->doc.end() && it->is_object()) {
    // Every key form docker or podman may have written for this registry goes, so that no stale
    // entry keeps logging us in.
    for (const auto& key : matching_auth_keys(*it, registry, false)) {
      it->erase(key);
      changed = true;
    }
  } else if (it != cfg->doc.end() && !it->is_null()) {
    return file_error(path, "\"auths\" is not an object");
  }
  if (!changed && !removed)
    return make_error(ErrorKind::not_found, "not logged in to " + std::string(registry) +
                                                " (no entry in '" + path + "')");
  if (!changed)
    return ConfigWrite{};
  return save(*cfg, path);
}

} // namespace isign::registry
