#include <iostream>

#include "cli/cli.h"
#include "cli/registry_options.h"
#include "cosign/constants.h"
#include "cosign/store.h"
#include "registry/reference.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "triangulate";

// The bundle referrers of the image, one per line: they have no tag, only digests, so they are
// found (referrers API, else the sha256-<hex> index), not computed.
int print_bundles(registry::Client& client, const registry::Reference& ref,
                  const std::string& digest) {
  auto store = cosign::make_referrers_store(client);
  auto found = store->find(cosign::Subject{ref.repository, digest});
  if (!found)
    return report(std::move(found).error().context("finding the bundles of '" + ref.str() + "'"));
  for (const auto& layer : found->layers)
    std::cout << layer.where << "\n";
  return kOk;
}

} // namespace

int cmd_triangulate(int argc, char** argv) {
  cxxopts::Options opts(std::string(kName),
                        "Print where an image's signatures live. --type signature (default): "
                        "the .sig tag, REGISTRY/REPO:sha256-<hex>.sig; attestation: the .att tag; "
                        "bundle: each sigstore bundle referrer (cosign v3), "
                        "REGISTRY/REPO@sha256:<referrer>, found through the registry. A tag is "
                        "resolved to its digest.\n"
                        "Usage: isign triangulate [--type signature|attestation|bundle] REF");
  opts.add_options()("type", "signature, attestation or bundle",
                     cxxopts::value<std::string>()->default_value("signature"), "TYPE")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(kName, "no image reference given");
  const std::string type = (*args)["type"].as<std::string>();
  if (type != "signature" && type != "attestation" && type != "bundle")
    return usage_error(kName,
                       "unsupported --type '" + type + "': use signature, attestation or bundle");
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  std::string digest = ref->digest;
  std::unique_ptr<registry::Client> client;
  if (digest.empty() || type == "bundle") {
    auto made = make_client(*args);
    if (!made)
      return report(made.error());
    client = std::move(*made);
  }
  if (digest.empty()) {
    auto head = client->head_manifest(ref->repository, ref->identifier());
    if (!head)
      return report(std::move(head).error().context("resolving '" + ref->str() + "'"));
    digest = head->digest;
  }
  if (type == "bundle")
    return print_bundles(*client, *ref, digest);
  auto tag =
      type == "attestation" ? cosign::attestation_tag(digest) : cosign::signature_tag(digest);
  if (!tag)
    return report(tag.error());
  std::cout << ref->repository.str() << ":" << *tag << "\n";
  return kOk;
}

} // namespace isign::cli
