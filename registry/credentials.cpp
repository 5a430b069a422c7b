#include "registry/credentials.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/file.h"
#include "common/secret.h"
#include "registry/reference.h"

extern char** environ;

namespace isign::registry {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;
using Json = nlohmann::ordered_json;

namespace {

// docker's key for Docker Hub in config files (docker/cli configfile: getAuthConfigKey; the
// server URL it hands to credential helpers too).
constexpr std::string_view kDockerHubAuthKey = "https://index.docker.io/v1/";
// docker-credential-helpers' standard answer for a server it holds nothing for.
constexpr std::string_view kNotFoundMessage = "credentials not found";
constexpr std::size_t kMaxConfigSize = 4u << 20;
// Docker configs nest four levels deep; a deeper document is an attack on the recursive dump()
// (a stack overflow, or megabytes of indentation per line when rewritten).
constexpr std::size_t kMaxJsonDepth = 64;
constexpr std::size_t kMaxHelperStdout = 1u << 20;
constexpr std::size_t kMaxHelperStderr = 4096;

std::optional<std::string> nonempty(const GetEnv& env, const std::string& name) {
  auto value = env(name);
  if (!value || value->empty())
    return std::nullopt;
  return value;
}

std::string home_dir(const GetEnv& env) {
  if (auto home = nonempty(env, "HOME"))
    return *home;
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result &&
      result->pw_dir)
    return result->pw_dir;
  return "/";
}

bool is_docker_hub(std::string_view host) {
  return host == kDockerHub || host == kDockerHubPrinted || host == kDockerHubApiHost;
}

// Every registry name (Docker Hub's aliases) as one string, so keys written in any form compare.
std::string canonical_host(std::string_view host) {
  return is_docker_hub(host) ? std::string(kDockerHub) : std::string(host);
}

// The key docker writes for a registry, and the server URL it gives helpers.
std::string docker_key(std::string_view registry) {
  return is_docker_hub(registry) ? std::string(kDockerHubAuthKey) : std::string(registry);
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
  return canonical_host(stripped);
}

// Keys tried exactly, best first: the registry as given, then docker's Docker Hub key and aliases.
std::vector<std::string> exact_keys(std::string_view registry) {
  std::vector<std::string> keys{std::string(registry)};
  if (is_docker_hub(registry))
    for (std::string_view k : {kDockerHubAuthKey, kDockerHub, kDockerHubPrinted, kDockerHubApiHost})
      if (k != registry)
        keys.emplace_back(k);
  return keys;
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

// ---- running a credential helper -------------------------------------------------------------

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

struct HelperRun {
  int exit_status = -1;
  std::string out; // may hold a secret: only ever parsed, never shown
  std::string err;
};

std::optional<std::string> find_in_path(const std::string& program, const GetEnv& env) {
  std::string path = nonempty(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  for (;;) {
    auto colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty())
      dir = ".";
    std::string candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string::npos)
      return std::nullopt;
    start = colon + 1;
  }
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Runs program action with input on stdin; no shell, bounded output, killed after timeout.
Result<HelperRun> run_helper(const std::string& program, const std::string& action,
                             std::string_view input, const GetEnv& env,
                             std::chrono::milliseconds timeout) {
  auto path = find_in_path(program, env);
  if (!path)
    return make_error(ErrorKind::io, "credential helper '" + program + "' not found in PATH");
  auto sys_error = [&](const char* what) {
    return make_error(ErrorKind::io, "running credential helper '" + program + "': " + what + ": " +
                                         std::strerror(errno));
  };

  int out_fds[2], err_fds[2], in_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0)
    return sys_error("pipe");
  Fd out_read(out_fds[0]), out_write(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0)
    return sys_error("pipe");
  Fd err_read(err_fds[0]), err_write(err_fds[1]);
  // A socket for stdin so that a helper exiting without reading cannot kill us with SIGPIPE
  // (send() with MSG_NOSIGNAL).
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) != 0)
    return sys_error("socketpair");
  Fd in_write(in_fds[0]), in_read(in_fds[1]);

  posix_spawn_file_actions_t actions;
  if (::posix_spawn_file_actions_init(&actions) != 0)
    return sys_error("posix_spawn");
  struct ActionsGuard {
    posix_spawn_file_actions_t* a;
    ~ActionsGuard() { ::posix_spawn_file_actions_destroy(a); }
  } actions_guard{&actions};
  ::posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // The helper gets stdin/stdout/stderr only, never a descriptor some library left inheritable
  // (a registry connection, a key file).
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif

  posix_spawnattr_t attr;
  if (::posix_spawnattr_init(&attr) != 0)
    return sys_error("posix_spawn");
  struct AttrGuard {
    posix_spawnattr_t* a;
    ~AttrGuard() { ::posix_spawnattr_destroy(a); }
  } attr_guard{&attr};
  // The helper starts with default signal handling whatever this process ignores or blocks.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string arg0 = *path;
  std::string arg1 = action;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path->c_str(), &actions, &attr, argv, environ);
  if (rc != 0) {
    errno = rc;
    return sys_error("cannot start it");
  }
  in_read.reset();
  out_write.reset();
  err_write.reset();

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timed_out = [&] {
    kill_and_reap(pid);
    auto ms = timeout.count();
    std::string limit =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    return make_error(ErrorKind::io, "credential helper '" + program + " " + action +
                                         "' did not finish within " + limit);
  };

  // The input is a server URL or one small JSON object: far below the socket buffer.
  std::size_t sent = 0;
  while (sent < input.size()) {
    ssize_t n = ::send(in_write.get(), input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break; // the helper closed its stdin; its exit status tells the rest
    }
    sent += static_cast<std::size_t>(n);
  }
  in_write.reset();

  HelperRun run;
  bool out_open = true, err_open = true;
  char buf[8192];
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return timed_out();
    pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                     {err_open ? err_read.get() : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      int saved = errno;
      kill_and_reap(pid);
      errno = saved;
      return sys_error("poll");
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0)
        continue;
      ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        (k == 0 ? out_open : err_open) = false;
        continue;
      }
      if (k == 0) {
        run.out.append(buf, static_cast<std::size_t>(n));
        if (run.out.size() > kMaxHelperStdout) {
          kill_and_reap(pid);
          common::secure_wipe(run.out.data(), run.out.size());
          return make_error(ErrorKind::limit, "credential helper '" + program + " " + action +
                                                  "' printed more than " +
                                                  std::to_string(kMaxHelperStdout) + " bytes");
        }
      } else if (run.err.size() < kMaxHelperStderr) {
        run.err.append(buf,
                       std::min(static_cast<std::size_t>(n), kMaxHelperStderr - run.err.size()));
      }
    }
  }
  // Both pipes closed; the helper may still be running (it closed them itself).
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return run;
    }
    if (done < 0 && errno != EINTR)
      return sys_error("waitpid");
    if (std::chrono::steady_clock::now() >= deadline)
      return timed_out();
    ::poll(nullptr, 0, 10);
  }
}

std::string trimmed(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return std::string(s);
}

bool says_not_found(const HelperRun& run) {
  return trimmed(run.out).find(kNotFoundMessage) != std::string::npos ||
         trimmed(run.err).find(kNotFoundMessage) != std::string::npos;
}

// What a failed helper said, for the error message: the first line of stderr, or of stdout unless
// stdout looks like JSON (it might be credentials), cut short and without control characters.
std::string failure_text(const HelperRun& run) {
  std::string text = trimmed(run.err);
  if (text.empty()) {
    text = trimmed(run.out);
    if (!text.empty() && text.front() == '{')
      text.clear();
  }
  text = text.substr(0, text.find('\n'));
  if (text.size() > 200)
    text = text.substr(0, 200) + "...";
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return text;
}

Error helper_failed(const std::string& program, const std::string& action, const HelperRun& run) {
  std::string msg = "credential helper '" + program + " " + action + "' failed (exit status " +
                    std::to_string(run.exit_status) + ")";
  if (auto text = failure_text(run); !text.empty())
    msg += ": " + text;
  return make_error(ErrorKind::io, msg);
}

// ---- reading config files ---------------------------------------------------------------------

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

// Reads and parses path; nullopt when it does not exist.
Result<std::optional<Json>> load_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT)
    return std::optional<Json>();
  auto text = common::read_file(path, kMaxConfigSize);
  if (!text)
    return std::move(text).error();
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
  if (!auth)
    return std::move(auth).error();
  auto identity_token = string_member(entry, "identitytoken", path, key);
  if (!identity_token)
    return std::move(identity_token).error();
  auto registry_token = string_member(entry, "registrytoken", path, key);
  if (!registry_token)
    return std::move(registry_token).error();

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

// The auths keys that name registry, best first: exact keys, then normalized matches in file order.
std::vector<std::string> matching_auth_keys(const Json& auths, std::string_view registry,
                                            bool legacy) {
  std::vector<std::string> keys;
  for (const auto& key : exact_keys(registry))
    if (auths.contains(key))
      keys.push_back(key);
  std::string want = canonical_host(registry);
  for (const auto& [key, value] : auths.items()) {
    (void)value;
    if (normalize_key(key, legacy) == want &&
        std::find(keys.begin(), keys.end(), key) == keys.end())
      keys.push_back(key);
  }
  return keys;
}

// A helper and the server URL to hand it; empty name when none is configured.
struct HelperChoice {
  std::string name;
  std::string server_url;
};

// credHelpers[registry] (by the exact keys). The helper is asked for the key it was configured
// under, as docker (its Docker Hub key) and podman ("docker.io") each do.
Result<HelperChoice> cred_helper_for(const Json& doc, std::string_view registry,
                                     const std::string& path) {
  auto helpers = object_member(doc, "credHelpers", path);
  if (!helpers)
    return std::move(helpers).error();
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

// credsStore, asked with docker's key for the registry.
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

// The helper docker would store to or erase from: credHelpers, else credsStore.
Result<HelperChoice> configured_helper(const Json& doc, std::string_view registry,
                                       const std::string& path) {
  auto helper = cred_helper_for(doc, registry, path);
  if (!helper || !helper->name.empty())
    return helper;
  return creds_store_for(doc, registry, path);
}

Result<std::optional<Credentials>>
credentials_in_file(const AuthFile& file, std::string_view registry, const GetEnv& env) {
  auto loaded = load_config(file.path);
  if (!loaded)
    return std::move(loaded).error();
  if (!*loaded)
    return std::optional<Credentials>();
  const Json& doc = **loaded;

  if (file.legacy) {
    for (const auto& key : matching_auth_keys(doc, registry, true)) {
      auto creds = entry_credentials(doc.at(key), file.path, key);
      if (!creds || *creds)
        return creds;
    }
    return std::optional<Credentials>();
  }

  // credHelpers first: a registry assigned to a helper is answered by the helper alone.
  auto helper = cred_helper_for(doc, registry, file.path);
  if (!helper)
    return std::move(helper).error();
  if (!helper->name.empty()) {
    auto creds = credential_helper_get(helper->name, helper->server_url, env);
    if (!creds)
      return std::move(creds).error().context("'" + file.path + "': credHelpers");
    return creds;
  }

  auto auths = object_member(doc, "auths", file.path);
  if (!auths)
    return std::move(auths).error();
  if (*auths) {
    for (const auto& key : matching_auth_keys(**auths, registry, false)) {
      auto creds = entry_credentials((*auths)->at(key), file.path, key);
      if (!creds || *creds)
        return creds;
    }
  }

  // Docker asks credsStore instead of auths; containers/image ignores credsStore. Asking it after
  // auths finds what either tool would: docker leaves {} in auths for what the store holds.
  auto store = creds_store_for(doc, registry, file.path);
  if (!store)
    return std::move(store).error();
  if (!store->name.empty()) {
    auto creds = credential_helper_get(store->name, store->server_url, env);
    if (!creds)
      return std::move(creds).error().context("'" + file.path + "': credsStore");
    return creds;
  }
  return std::optional<Credentials>();
}

// ---- writing the docker config ----------------------------------------------------------------

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
  if (!loaded)
    return std::move(loaded).error();
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
      if (!dirs)
        return std::move(dirs).error();
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
  if (!written)
    return std::move(written).error();
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

GetEnv process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value)
      return std::nullopt;
    return std::string(value);
  };
}

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

Result<std::optional<Credentials>> credential_helper_get(std::string_view helper,
                                                         std::string_view server_url,
                                                         const GetEnv& env,
                                                         std::chrono::milliseconds timeout) {
  if (!valid_helper_name(helper))
    return make_error(ErrorKind::io, "invalid credential helper name '" +
                                         std::string(helper.substr(0, 100)) + "'");
  std::string program = "docker-credential-" + std::string(helper);
  auto run = run_helper(program, "get", server_url, env, timeout);
  if (!run)
    return std::move(run).error();
  if (run->exit_status != 0) {
    bool not_found = says_not_found(*run);
    Error failed = helper_failed(program, "get", *run);
    common::secure_wipe(run->out.data(), run->out.size());
    if (not_found)
      return std::optional<Credentials>();
    return failed;
  }
  SecretString out(std::move(run->out));
  if (auto problem = json_text_problem(out.str()); !problem.empty())
    return make_error(ErrorKind::io, "credential helper '" + program + " get' reply: " + problem);
  Json reply;
  try {
    reply = Json::parse(out.str());
  } catch (const Json::exception&) {
    return make_error(ErrorKind::io, "credential helper '" + program +
                                         " get' printed something "
                                         "that is not JSON");
  }
  auto field = [&](const char* name) -> std::optional<std::string> {
    auto it = reply.find(name);
    if (it == reply.end() || it->is_null())
      return std::string();
    if (!it->is_string())
      return std::nullopt;
    return it->get<std::string>();
  };
  if (!reply.is_object())
    return make_error(ErrorKind::io, "credential helper '" + program +
                                         " get' printed JSON that is "
                                         "not an object");
  auto username = field("Username");
  auto secret = field("Secret");
  if (!username || !secret)
    return make_error(ErrorKind::io, "credential helper '" + program +
                                         " get' printed a Username or Secret that is not a string");
  if (username->empty() && secret->empty())
    return std::optional<Credentials>();
  Credentials creds;
  creds.username = std::move(*username);
  creds.password = std::move(*secret);
  return std::optional<Credentials>(std::move(creds));
}

Result<std::optional<Credentials>> find_credentials(std::string_view registry, const GetEnv& env) {
  for (const auto& file : auth_file_paths(env)) {
    auto creds = credentials_in_file(file, registry, env);
    if (!creds)
      return std::move(creds).error().context("reading credentials for " + std::string(registry));
    if (*creds)
      return creds;
  }
  return std::optional<Credentials>();
}

Result<ConfigWrite> store_login(const std::string& path, std::string_view registry,
                                std::string_view username, std::string_view password,
                                const GetEnv& env) {
  auto cfg = open_for_edit(path);
  if (!cfg)
    return std::move(cfg).error();
  auto helper = configured_helper(cfg->doc, registry, path);
  if (!helper)
    return std::move(helper).error();
  std::string key = docker_key(registry);
  auto auths = auths_for_edit(*cfg, path);
  if (!auths)
    return std::move(auths).error();

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
    if (!run)
      return std::move(run).error();
    common::secure_wipe(run->out.data(), run->out.size());
    if (run->exit_status != 0)
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
  if (!cfg)
    return std::move(cfg).error();
  if (!cfg->existed)
    return make_error(ErrorKind::not_found, "not logged in to " + std::string(registry) + " ('" +
                                                path + "' does not exist)");
  auto helper = configured_helper(cfg->doc, registry, path);
  if (!helper)
    return std::move(helper).error();
  bool removed = false;

  if (!helper->name.empty()) {
    std::string program = "docker-credential-" + helper->name;
    auto run = run_helper(program, "erase", helper->server_url, env, kCredentialHelperTimeout);
    if (!run)
      return std::move(run).error();
    if (run->exit_status == 0)
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
