#include <cerrno>
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "cli/cli.h"
#include "common/secret.h"
#include "registry/credentials.h"
#include "registry/reference.h"

namespace isign::cli {

namespace {

// A password piped in is a line or a token; anything larger is a mistake (a file piped in).
constexpr std::size_t kMaxStdinPassword = 64 * 1024;

common::Result<common::SecretString> password_from_stdin() {
  common::SecretString text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      common::secure_wipe(buf, sizeof buf);
      return common::make_error(common::ErrorKind::io,
                                std::string("cannot read the password from stdin: ") +
                                    std::strerror(err));
    }
    if (n == 0)
      break;
    text.mut().append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxStdinPassword) {
      common::secure_wipe(buf, sizeof buf);
      return common::make_error(common::ErrorKind::limit,
                                "the password on stdin is longer than 64 KiB");
    }
  }
  common::secure_wipe(buf, sizeof buf);
  // docker login --password-stdin drops one trailing "\n" and then one "\r".
  std::string& s = text.mut();
  if (!s.empty() && s.back() == '\n')
    s.pop_back();
  if (!s.empty() && s.back() == '\r')
    s.pop_back();
  return text;
}

} // namespace

int cmd_login(int argc, char** argv) {
  cxxopts::Options opts(
      "login",
      "Store credentials for a registry in the docker config ($DOCKER_CONFIG/config.json or "
      "~/.docker/config.json, mode 0600), as `docker login` does; a credential helper named there "
      "(credHelpers, credsStore) receives them instead. REGISTRY is host[:port] and defaults to "
      "Docker Hub. The registry is not contacted: the credentials are checked when first used.");
  opts.custom_help("[REGISTRY] -u USER (--password-stdin | -p PASSWORD)");
  opts.add_options()("u,username", "the user name", cxxopts::value<std::string>(), "USER")(
      "p,password", "the password (insecure: visible to other users; prefer --password-stdin)",
      cxxopts::value<std::string>(),
      "PASSWORD")("password-stdin", "read the password (or token) from stdin")(
      "h,help", "show this help")("registry", "registry host[:port]",
                                  cxxopts::value<std::string>()->default_value("docker.io"));
  opts.parse_positional({"registry"});
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  auto registry = registry::parse_registry_host((*args)["registry"].as<std::string>());
  if (!registry)
    return usage_error("login", registry.error().message());

  if (!args->count("username") || (*args)["username"].as<std::string>().empty())
    return usage_error("login", "--username is required");
  std::string username = (*args)["username"].as<std::string>();
  bool from_stdin = args->count("password-stdin") > 0;
  bool from_flag = args->count("password") > 0;
  if (from_stdin && from_flag)
    return usage_error("login", "--password and --password-stdin are mutually exclusive");
  if (!from_stdin && !from_flag)
    return usage_error("login", "give the password with --password-stdin (or --password)");

  common::SecretString password;
  if (from_flag) {
    warn("using --password on the command line is insecure (other users can see it); use "
         "--password-stdin");
    password = common::SecretString((*args)["password"].as<std::string>());
  } else {
    auto read = password_from_stdin();
    if (!read)
      return report(read.error());
    password = std::move(*read);
  }
  if (password.empty())
    return usage_error("login", "the password is empty");

  std::string path = registry::docker_config_path();
  auto stored = registry::store_login(path, *registry, username, password.str());
  if (!stored)
    return report(std::move(stored.error()).context("storing credentials for " + *registry));
  if (stored->tightened())
    warn_mode_tightened(path, stored->previous_mode, stored->mode);
  std::cout << "Login Succeeded" << std::endl;
  return kOk;
}

} // namespace isign::cli
