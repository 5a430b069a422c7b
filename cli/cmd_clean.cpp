#include <iostream>

#include <unistd.h>

#include "cli/attached_targets.h"
#include "cli/cli.h"
#include "cli/password.h"
#include "cli/registry_options.h"
#include "cli/removal_output.h"
#include "cosign/removal.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "clean";

} // namespace

int cmd_clean(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Remove all signatures and/or attestations of an image, in both formats: the .sig/.att "
      "manifests and the sigstore bundle referrers (matched by their layer's media type, "
      "whoever wrote them; deleted, then taken out of the sha256-<hex> referrers index). Asks "
      "on a terminal first; elsewhere pass --force. A registry that refuses DELETE (distribution "
      "without storage.delete.enabled, several hosted registries) is reported on one line with "
      "what is left, exit non-zero; referrers go first, so a refusal at the first DELETE leaves "
      "everything as it was.\n"
      "Usage: isign clean [--type signature|attestation|all] [--force] REF");
  opts.add_options()("type", "signature, attestation or all (default)",
                     cxxopts::value<std::string>()->default_value("all"),
                     "TYPE")("f,force", "do not ask for confirmation")(
      "image", "image reference", cxxopts::value<std::string>())("h,help", "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(kName, "no image reference given");
  const std::string type = (*args)["type"].as<std::string>();
  if (type != "signature" && type != "attestation" && type != "all")
    return usage_error(kName,
                       "unsupported --type '" + type + "': use signature, attestation or all");
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  cosign::RemovalQuery query;
  query.signatures = type != "attestation";
  query.attestations = type != "signature";
  const std::string what = type == "signature"     ? "signatures"
                           : type == "attestation" ? "attestations"
                                                   : "signatures and attestations";
  if (!args->count("force")) {
    if (!isatty(STDIN_FILENO))
      return usage_error(kName, "not a terminal to confirm on: pass --force to remove all " + what +
                                    " of " + ref->str() + " without asking");
    auto yes = confirm_on_terminal("WARNING: this will remove all " + what + " from " +
                                   one_line(ref->str()) + ". Are you sure?");
    if (!yes)
      return report(yes.error());
    if (!*yes) {
      std::cerr << "isign: clean cancelled, nothing removed\n";
      return kUsage;
    }
  }
  auto client = make_client(*args, 1);
  if (!client)
    return report(client.error());
  auto targets = resolve_attached_targets(**client, *ref, false);
  if (!targets)
    return report(targets.error());
  const auto& subject = targets->front().subject;
  const std::string name = ref->repository.str() + "@" + subject.digest;
  auto removal = cosign::remove_attached(**client, subject, query);
  if (!removal)
    return report(std::move(removal).error().context("cleaning '" + name + "'"));
  print_removal(name, *removal, "no " + what + " to remove");
  return kOk;
}

} // namespace isign::cli
