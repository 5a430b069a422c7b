#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/registry_options.h"
#include "registry/reference.h"

namespace isign::cli {

int cmd_list_tags(int argc, char** argv) {
  constexpr std::string_view kName = "list-tags";
  cxxopts::Options opts(std::string(kName),
                        "List the tags of a repository, as JSON like skopeo list-tags.\n"
                        "Usage: isign list-tags REGISTRY/REPO");
  opts.add_options()("repository", "repository", cxxopts::value<std::string>())("h,help",
                                                                                "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"repository", "REPO"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("repository"))
    return usage_error(kName, "no repository given");
  auto repo = registry::Repository::parse((*args)["repository"].as<std::string>());
  if (!repo)
    return report(repo.error());
  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  auto tags = (*client)->list_tags(*repo);
  if (!tags)
    return report(std::move(tags).error().context("listing tags of '" + repo->str() + "'"));
  nlohmann::ordered_json out;
  out["Repository"] = repo->str();
  out["Tags"] = *tags;
  // The registry's text may not be UTF-8, which dump() throws on by default.
  std::cout << out.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return kOk;
}

} // namespace isign::cli
