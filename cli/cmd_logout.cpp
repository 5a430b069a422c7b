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
  opts.add_options()("h,help", "show this help");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  const auto& rest = args->unmatched();
  if (rest.size() > 1)
    return usage_error("logout", "unexpected argument '" + rest[1] + "'");
  auto registry = registry::parse_registry_host(rest.empty() ? "docker.io" : rest.front());
  if (!registry)
    return usage_error("logout", registry.error().message());

  auto removed = registry::remove_login(registry::docker_config_path(), *registry);
  if (!removed)
    return report(removed.error());
  std::cout << "Removed login credentials for " << *registry << std::endl;
  return kOk;
}

} // namespace isign::cli
