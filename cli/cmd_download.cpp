#include <iostream>

#include "cli/attached_targets.h"
#include "cli/cli.h"
#include "cli/formats.h"
#include "cli/registry_options.h"
#include "cosign/download.h"
#include "cosign/predicate.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "download";

int download(cosign::Kind kind, int argc, char** argv) {
  const bool att = kind == cosign::Kind::attestation;
  const std::string name = att ? "download attestation" : "download signature";
  cxxopts::Options opts(
      name,
      att ? "Print an image's attestations as cosign download attestation does: each DSSE "
            "envelope ({\"payloadType\",\"payload\",\"signatures\"}) on its own line, from "
            "bundle referrers first, then the .att. Decode one with jq -r .payload | base64 -d.\n"
            "Usage: isign download attestation [--predicate-type T] [--format legacy|bundle|both] "
            "REF"
          : "Print an image's signatures as cosign download signature does, one JSON object per "
            "line: each sigstore bundle (cosign v3), then each .sig layer as cosign's "
            "SignedPayload ({\"Base64Signature\",\"Payload\",\"Cert\",\"Chain\",\"Bundle\","
            "\"RFC3161Timestamp\"}, Payload base64).\n"
            "Usage: isign download signature [--format legacy|bundle|both] REF");
  add_format_options(opts, "which to read: legacy (.sig/.att), bundle (referrers) or both "
                           "(default)");
  if (att)
    opts.add_options()("predicate-type",
                       "only attestations of this predicateType (a URI or cosign's --type "
                       "shorthand: slsaprovenance, spdxjson, cyclonedx, vuln, ...)",
                       cxxopts::value<std::string>(), "T");
  opts.add_options()("image", "image reference", cxxopts::value<std::string>())("h,help",
                                                                                "show this help");
  add_registry_options(opts);
  int exit = kOk;
  auto args = parse(opts, {"image", "REF"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("image"))
    return usage_error(name, "no image reference given");
  cosign::DownloadQuery query;
  query.kind = kind;
  auto formats = read_formats(*args);
  if (!formats)
    return report(formats.error());
  query.formats = *formats;
  if (att && args->count("predicate-type")) {
    auto type = cosign::predicate_kind((*args)["predicate-type"].as<std::string>());
    if (!type)
      return report(type.error());
    query.predicate_type = type->uri;
  }
  auto ref = registry::Reference::parse((*args)["image"].as<std::string>());
  if (!ref)
    return report(ref.error());
  auto client = make_client(*args);
  if (!client)
    return report(client.error());
  auto targets = resolve_attached_targets(**client, *ref, false);
  if (!targets)
    return report(targets.error());
  auto lines = cosign::download_lines(**client, targets->front().subject, query);
  if (!lines)
    return report(std::move(lines).error().context("downloading from '" + ref->str() + "'"));
  for (const auto& line : *lines)
    std::cout << line << "\n";
  return kOk;
}

} // namespace

int cmd_download(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  if (sub == "signature")
    return download(cosign::Kind::signature, argc - 1, argv + 1);
  if (sub == "attestation")
    return download(cosign::Kind::attestation, argc - 1, argv + 1);
  if (sub == "-h" || sub == "--help") {
    std::cout << "Print what is attached to an image, as cosign download does.\n"
                 "Usage: isign download signature REF\n"
                 "       isign download attestation [--predicate-type T] REF\n";
    return kOk;
  }
  return usage_error(kName, sub.empty() ? "no subcommand given: use signature or attestation"
                                        : "unknown subcommand '" + one_line(sub) +
                                              "': use signature or attestation");
}

} // namespace isign::cli
