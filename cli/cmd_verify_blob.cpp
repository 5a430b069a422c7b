#include <iostream>

#include "cli/cli.h"
#include "cli/key_source.h"
#include "common/file.h"
#include "verify/blob.h"

namespace isign::cli {

int cmd_verify_blob(int argc, char** argv) {
  constexpr std::string_view kName = "verify-blob";
  cxxopts::Options opts(std::string(kName),
                        "Verify a file against a sigstore bundle (sign-blob --bundle, cosign v3) "
                        "or a base64 signature (--signature, cosign v2's --output-signature).\n"
                        "Usage: isign verify-blob --key cosign.pub (--bundle F | --signature F) "
                        "FILE");
  opts.add_options()("key", "a public key (PEM); repeat for several accepted keys",
                     cxxopts::value<std::vector<std::string>>(), "FILE")(
      "bundle", "the sigstore bundle", cxxopts::value<std::string>(),
      "FILE")("signature", "the base64 signature", cxxopts::value<std::string>(), "FILE")(
      "insecure-ignore-tlog", "accepted for cosign compatibility; isign has no transparency log",
      cxxopts::value<bool>()->default_value("false")->implicit_value("true"))(
      "new-bundle-format", "accepted for cosign compatibility",
      cxxopts::value<std::string>()->implicit_value("true"), "BOOL")(
      "file", "the file to verify", cxxopts::value<std::string>())("h,help", "show this help");
  int exit = kOk;
  auto args = parse(opts, {"file", "FILE"}, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("key"))
    return usage_error(kName, "--key FILE is required");
  if (args->count("bundle") == args->count("signature"))
    return usage_error(kName, "give exactly one of --bundle FILE and --signature FILE");
  if (!args->count("file"))
    return usage_error(kName, "no file to verify given");
  auto keys = load_public_keys((*args)["key"].as<std::vector<std::string>>());
  if (!keys)
    return report(keys.error());
  auto blob = read_blob((*args)["file"].as<std::string>());
  if (!blob)
    return report(blob.error());
  const bool with_bundle = args->count("bundle") > 0;
  const std::string path = (*args)[with_bundle ? "bundle" : "signature"].as<std::string>();
  auto evidence = common::read_file(path, 1u << 20);
  if (!evidence)
    return report(std::move(evidence).error().context(
        std::string("reading the ") + (with_bundle ? "bundle" : "signature") + " '" + path + "'"));
  auto verified = with_bundle ? verify::verify_blob_bundle(*evidence, *blob, *keys)
                              : verify::verify_blob_signature(*evidence, *blob, *keys);
  if (!verified)
    return report(std::move(verified).error().context(
        "verifying '" + (*args)["file"].as<std::string>() + "' against '" + path + "'"));
  std::cerr << "Verified OK\n";
  return kOk;
}

} // namespace isign::cli
