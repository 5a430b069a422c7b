#include "cli/cli.h"
#include "cli/key_pair_output.h"
#include "cli/password.h"
#include "keys/keys.h"

namespace isign::cli {

int cmd_generate_key_pair(int argc, char** argv) {
  cxxopts::Options opts("generate-key-pair",
                        "Generate an ECDSA P-256 key pair: an encrypted private key (NAME.key, "
                        "mode 0600) and its public key (NAME.pub).\nThe password comes from "
                        "--password-file, COSIGN_PASSWORD, or is asked twice on the terminal.");
  opts.add_options()("output-key-prefix", "write NAME.key and NAME.pub",
                     cxxopts::value<std::string>()->default_value("cosign"),
                     "NAME")("force", "overwrite existing files without asking")(
      "legacy", "write the older 'ENCRYPTED COSIGN PRIVATE KEY' form (scrypt N=32768) that "
                "containers/image 5.23 (podman, skopeo) reads")("h,help", "show this help");
  add_password_file_option(opts);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->unmatched().empty())
    return usage_error("generate-key-pair",
                       "unexpected argument '" + args->unmatched().front() + "'");
  KeyPairOutput output;
  output.prefix = (*args)["output-key-prefix"].as<std::string>();
  if (output.prefix.empty())
    return usage_error("generate-key-pair", "--output-key-prefix is empty");
  output.force = args->count("force") > 0;
  output.legacy = args->count("legacy") > 0;
  output.password_file = (*args)["password-file"].as<std::string>();

  auto key = keys::generate_ecdsa_p256();
  if (!key)
    return report(key.error());
  return write_new_key_pair(*key, output);
}

} // namespace isign::cli
