#include "cli/identity_option.h"

#include <iostream>
#include <set>
#include <string>

namespace isign::cli {

void add_identity_option(cxxopts::Options& opts, const char* help, bool cosign_spelling) {
  opts.add_options()("identity", help, cxxopts::value<std::string>(), "REPO");
  if (cosign_spelling)
    opts.add_options()("sign-container-identity", "the same as --identity (cosign's name)",
                       cxxopts::value<std::string>(), "REPO");
}

common::Result<std::optional<registry::Repository>>
read_identity(const cxxopts::ParseResult& args) {
  std::optional<registry::Repository> out;
  for (const char* flag : {"identity", "sign-container-identity"}) {
    if (!args.count(flag))
      continue;
    auto repo = registry::Repository::parse(args[flag].as<std::string>());
    if (!repo)
      return std::move(repo).error().context(std::string("--") + flag +
                                             " takes a repository, e.g. registry.example/team/app");
    if (out && !(*out == *repo))
      return common::make_error(common::ErrorKind::usage,
                                "--identity and --sign-container-identity name different "
                                "repositories: give one");
    out = std::move(*repo);
  }
  return out;
}

void note_layout_identity(const std::vector<registry::Reference>& refs,
                          const std::optional<registry::Repository>& identity,
                          std::string_view what) {
  if (identity)
    return;
  std::set<std::string> noted;
  for (const auto& ref : refs) {
    if (!ref.repository.is_layout() || !noted.insert(ref.repository.name).second)
      continue;
    const std::string name = ref.repository.str();
    std::cerr << "isign: note: the " << what << " names " << name << ": verify of " << name
              << " accepts it, but a registry the image is later loaded into will see a " << what
              << " for another repository; pass --identity REPO to name the repository the "
                 "image will be served from\n";
  }
}

} // namespace isign::cli
