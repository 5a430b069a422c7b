#include <algorithm>
#include <iostream>

#include "cli/attached_targets.h"
#include "cli/cli.h"
#include "cli/formats.h"
#include "cli/key_source.h"
#include "cli/registry_options.h"
#include "cli/removal_output.h"
#include "cosign/predicate.h"
#include "cosign/removal.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "revoke";

} // namespace

int cmd_revoke(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Remove one signer's signatures and attestations from images, in both formats: the .sig "
      "and .att layers whose signature verifies under --key (every other signer's layers kept "
      "byte for byte, concurrent signers merged), and the sigstore bundle referrers verifying "
      "under it (deleted, and taken out of the sha256-<hex> referrers index). A .sig or .att "
      "left without layers is deleted. For an index, its children too. The key-based successor "
      "of docker trust revoke: verify with that key fails afterwards, with the others' keys it "
      "still passes.\n"
      "Prints what was removed and kept per place. Exit 0 also when the key signed nothing "
      "there (say so on stdout): revoking again is safe.\n"
      "Usage: isign revoke --key K.pub [--type T] [--format legacy|bundle|both] REF...");
  opts.add_options()("key", "the signer's public key (PEM): its entries are removed",
                     cxxopts::value<std::string>(), "K.pub")(
      "type",
      "only attestations of this predicateType (a URI or cosign's --type shorthand); "
      "signatures are then kept",
      cxxopts::value<std::string>(),
      "T")("images", "image references",
           cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  add_format_options(opts, "where to remove from: legacy (.sig/.att), bundle (referrers) or both "
                           "(default)");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"images", "REF..."}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("images"))
    return usage_error(kName, "no image reference given");
  if (!args->count("key"))
    return usage_error(kName, "--key is required: the public key whose entries to remove");
  auto formats = read_formats(*args);
  if (!formats)
    return report(formats.error());
  auto keys = load_public_keys({(*args)["key"].as<std::string>()});
  if (!keys)
    return report(keys.error());
  cosign::RemovalQuery query;
  query.key = &keys->front();
  query.legacy =
      std::find(formats->begin(), formats->end(), cosign::Format::legacy) != formats->end();
  query.bundle =
      std::find(formats->begin(), formats->end(), cosign::Format::bundle) != formats->end();
  if (args->count("type")) {
    auto type = cosign::predicate_kind((*args)["type"].as<std::string>());
    if (!type)
      return report(type.error());
    query.predicate_type = type->uri;
    query.signatures = false;
  }
  auto refs = parse_references((*args)["images"].as<std::vector<std::string>>());
  if (!refs)
    return report(refs.error());
  auto client = make_client(*args, 1);
  if (!client)
    return report(client.error());
  const std::string key_name = (*args)["key"].as<std::string>();
  int worst = kOk;
  for (const auto& ref : *refs) {
    auto targets = resolve_attached_targets(**client, ref, true);
    if (!targets) {
      worst = std::max(worst, report(targets.error()));
      continue;
    }
    for (const auto& t : *targets) {
      const std::string name = ref.repository.str() + "@" + t.subject.digest;
      auto removal = cosign::remove_attached(**client, t.subject, query);
      if (!removal) {
        worst = std::max(worst,
                         report(std::move(removal).error().context("revoking on '" + name + "'")));
        continue;
      }
      print_removal(name, *removal, "nothing signed by " + key_name + " found (nothing removed)");
    }
  }
  return worst;
}

} // namespace isign::cli
