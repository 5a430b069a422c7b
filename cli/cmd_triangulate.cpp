#include <iostream>

#include "cli/cli.h"
#include "cli/registry_options.h"
#include "cosign/constants.h"
#include "registry/reference.h"

namespace isign::cli {

int cmd_triangulate(int argc, char** argv) {
  constexpr std::string_view kName = "triangulate";
  cxxopts::Options opts(std::string(kName),
                        "Print where an image's signature artifact lives: "
                        "REGISTRY/REPO:sha256-<hex>.sig. A tag is resolved to its digest.\n"
                        "Usage: isign triangulate REF");
  opts.add_options()("type", "artifact type (only 'signature')",
                     cxxopts::value<std::string>()->default_value("signature"), "TYPE")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
  opts.parse_positional({"image"});
  opts.positional_help("REF");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(kName, "no image reference given");
  if (auto type = (*args)["type"].as<std::string>(); type != "signature")
    return usage_error(kName, "unsupported --type '" + type + "': isign stores only signatures");
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  std::string digest = ref->digest;
  if (digest.empty()) {
    auto client = make_client(*args);
    if (!client)
      return report(client.error());
    auto head = (*client)->head_manifest(ref->repository, ref->identifier());
    if (!head)
      return report(std::move(head).error().context("resolving '" + ref->str() + "'"));
    digest = head->digest;
  }
  auto tag = cosign::signature_tag(digest);
  if (!tag)
    return report(tag.error());
  std::cout << ref->repository.str() << ":" << *tag << "\n";
  return kOk;
}

} // namespace isign::cli
