#include "cli/cli.h"
#include "cli/key_pair_output.h"
#include "keys/keys.h"

namespace isign::cli {

int cmd_generate_key_pair(int argc, char** argv) {
  cxxopts::Options opts("generate-key-pair",
                        "Generate an ECDSA P-256 key pair: an encrypted private key (NAME.key, "
                        "mode 0600) and its public key (NAME.pub).\nThe password comes from "
                        "--password-file, COSIGN_PASSWORD, or is asked twice on the terminal.");
  add_key_pair_output_options(opts, "cosign");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  auto output = key_pair_output("generate-key-pair", *args);
  if (!output)
    return kUsage;

  auto key = keys::generate_ecdsa_p256();
  if (!key)
    return report(key.error());
  return write_new_key_pair(*key, *output);
}

} // namespace isign::cli
