#include "cli/cli.h"
#include "cli/key_pair_output.h"
#include "cli/password.h"
#include "common/file.h"
#include "keys/keys.h"

namespace isign::cli {

int cmd_import_key_pair(int argc, char** argv) {
  cxxopts::Options opts("import-key-pair",
                        "Import an unencrypted PEM private key (EC P-256 as SEC1 or PKCS#8, RSA as "
                        "PKCS#1 or PKCS#8, Ed25519 as PKCS#8) into an encrypted private key "
                        "(NAME.key) and its public key (NAME.pub).");
  opts.add_options()("key", "the PEM private key to import", cxxopts::value<std::string>(),
                     "FILE")("output-key-prefix", "write NAME.key and NAME.pub",
                             cxxopts::value<std::string>()->default_value("import-cosign"),
                             "NAME")("force", "overwrite existing files without asking")(
      "legacy", "write the older 'ENCRYPTED COSIGN PRIVATE KEY' form (scrypt N=32768) that "
                "containers/image 5.23 (podman, skopeo) reads")("h,help", "show this help");
  add_password_file_option(opts);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->unmatched().empty())
    return usage_error("import-key-pair",
                       "unexpected argument '" + args->unmatched().front() + "'");
  if (!args->count("key"))
    return usage_error("import-key-pair", "--key FILE is required");
  KeyPairOutput output;
  output.prefix = (*args)["output-key-prefix"].as<std::string>();
  if (output.prefix.empty())
    return usage_error("import-key-pair", "--output-key-prefix is empty");
  output.force = args->count("force") > 0;
  output.legacy = args->count("legacy") > 0;
  output.password_file = (*args)["password-file"].as<std::string>();

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
  return write_new_key_pair(*key, output);
}

} // namespace isign::cli
