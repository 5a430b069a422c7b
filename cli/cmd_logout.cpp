#include <iostream>

#include "cli/cli.h"
#include "registry/credentials.h"
#include "registry/reference.h"

namespace isign::cli {

int cmd_logout(int argc, char** argv) {
  cxxopts::Options opts(
      "logout",
      "Remove the credentials for a registry from the docker config ($DOCKER_CONFIG/config.json "
      "or ~/.docker/config.json) and from the credential helper named there, as `docker logout` "
      "does. REGISTRY is host[:port] and defaults to Docker Hub.");
  opts.custom_help("[REGISTRY]");
  opts.add_options()("h,help",
                     "show this help")("registry", "registry host[:port]",
                                       cxxopts::value<std::string>()->default_value("docker.io"));
  opts.parse_positional({"registry"});
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  auto registry = registry::parse_registry_host((*args)["registry"].as<std::string>());
  if (!registry)
    return usage_error("logout", registry.error().message());

  const std::string path = registry::docker_config_path();
  auto removed = registry::remove_login(path, *registry);
  if (!removed)
    return report(removed.error());
  if (removed->tightened())
    warn_mode_tightened(path, removed->previous_mode, removed->mode);
  std::cout << "Removed login credentials for " << *registry << std::endl;
  return kOk;
}

} // namespace isign::cli
