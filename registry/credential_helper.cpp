// Credential helpers (docker-credential-helpers' protocol): the program, its stdin, and what its
// answers mean.
#include "registry/credential_helper.h"

#include "common/secret.h"
#include "registry/config_file.h"
#include "registry/credentials.h"

namespace isign::registry {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;
using detail::HelperRun;
using detail::Json;

namespace {

// docker-credential-helpers' standard answer for a server it holds nothing for.
constexpr std::string_view kNotFoundMessage = "credentials not found";
constexpr std::size_t kMaxHelperStdout = 1u << 20;
constexpr std::size_t kMaxHelperStderr = 4096;

std::string duration_text(std::chrono::milliseconds timeout) {
  auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::string trimmed(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return std::string(s);
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

// The credentials in a `get` reply ({"ServerURL","Username","Secret"}); nullopt when both are
// empty. reply may hold a secret and is never quoted.
Result<std::optional<Credentials>> parse_get_reply(const std::string& program,
                                                   std::string_view reply_text) {
  Json reply;
  try {
    reply = Json::parse(reply_text);
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

} // namespace

namespace detail {

// The helper runs with this process's environment; env only says where to look for it.
Result<HelperRun> run_helper(const std::string& program, const std::string& action,
                             std::string_view input, const GetEnv& env,
                             std::chrono::milliseconds timeout) {
  auto path =
      common::find_program(program, nonempty(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
  if (!path)
    return make_error(ErrorKind::io, "credential helper '" + program + "' not found in PATH");
  common::SubprocessOptions options;
  options.input = input;
  options.timeout = timeout;
  options.max_stdout = kMaxHelperStdout;
  options.max_stderr = kMaxHelperStderr;
  auto run = common::run_subprocess({*path, action}, options);
  ISIGN_TRY_CONTEXT(run, "running credential helper '" + program + "'");
  if (run->timed_out) {
    common::secure_wipe(run->out.data(), run->out.size());
    return make_error(ErrorKind::io, "credential helper '" + program + " " + action +
                                         "' did not finish within " + duration_text(timeout));
  }
  if (run->stdout_overflow)
    return make_error(ErrorKind::limit, "credential helper '" + program + " " + action +
                                            "' printed more than " +
                                            std::to_string(kMaxHelperStdout) + " bytes");
  return run;
}

bool says_not_found(const HelperRun& run) {
  return trimmed(run.out).find(kNotFoundMessage) != std::string::npos ||
         trimmed(run.err).find(kNotFoundMessage) != std::string::npos;
}

Error helper_failed(const std::string& program, const std::string& action, const HelperRun& run) {
  std::string msg = "credential helper '" + program + " " + action + "' failed (exit status " +
                    std::to_string(run.status()) + ")";
  if (auto text = failure_text(run); !text.empty())
    msg += ": " + text;
  return make_error(ErrorKind::io, msg);
}

} // namespace detail

Result<std::optional<Credentials>> credential_helper_get(std::string_view helper,
                                                         std::string_view server_url,
                                                         const GetEnv& env,
                                                         std::chrono::milliseconds timeout) {
  if (!detail::valid_helper_name(helper))
    return make_error(ErrorKind::io, "invalid credential helper name '" +
                                         std::string(helper.substr(0, 100)) + "'");
  std::string program = "docker-credential-" + std::string(helper);
  auto run = detail::run_helper(program, "get", server_url, env, timeout);
  ISIGN_TRY(run);
  if (run->status() != 0) {
    bool not_found = detail::says_not_found(*run);
    Error failed = detail::helper_failed(program, "get", *run);
    common::secure_wipe(run->out.data(), run->out.size());
    if (not_found)
      return std::optional<Credentials>();
    return failed;
  }
  SecretString out(std::move(run->out));
  if (auto problem = detail::json_text_problem(out.str()); !problem.empty())
    return make_error(ErrorKind::io, "credential helper '" + program + " get' reply: " + problem);
  return parse_get_reply(program, out.str());
}

} // namespace isign::registry
