#include "cli/cli.h"
#include "cli/key_pair_output.h"
#include "common/file.h"
#include "keys/keys.h"

namespace isign::cli {

int cmd_import_key_pair(int argc, char** argv) {
  cxxopts::Options opts(
      "import-key-pair",
      "Import an unencrypted PEM private key (EC P-256, P-384 or P-521 as SEC1 or "
      "PKCS#8, RSA as "
      "PKCS#1 or PKCS#8, Ed25519 as PKCS#8) into an encrypted private key "
      "(NAME.key) and its public key (NAME.pub).");
  opts.add_options()("key", "the PEM private key to import", cxxopts::value<std::string>(), "FILE");
  add_key_pair_output_options(opts, "import-cosign");
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("key"))
    return usage_error("import-key-pair", "--key FILE is required");
  auto output = key_pair_output("import-key-pair", *args);
  if (!output)
    return kUsage;

  std::string path = (*args)["key"].as<std::string>();
  if (path.empty())
    return usage_error("import-key-pair", "--key is empty");
  auto pem = common::read_file(path, 1u << 20);
  if (!pem)
    return report(std::move(pem.error()).context("importing '" + path + "'"));
  common::SecretString pem_text(std::move(*pem));
  auto key = keys::import_pem_private_key(pem_text.str());
  if (!key)
    return report(std::move(key.error()).context("importing '" + path + "'"));
  return write_new_key_pair(*key, *output);
}

} // namespace isign::cli
