#include <iostream>

#include "cli/cli.h"
#include "cli/password.h"
#include "common/file.h"
#include "keys/keys.h"

namespace isign::cli {

int cmd_public_key(int argc, char** argv) {
  cxxopts::Options opts(
      "public-key", "Print the public key (PEM) of an encrypted private key. The password "
                    "comes from --password-file, COSIGN_PASSWORD, or is asked on the terminal.");
  opts.add_options()("key", "the encrypted private key", cxxopts::value<std::string>(),
                     "FILE")("outfile", "write the public key to FILE instead of stdout",
                             cxxopts::value<std::string>(), "FILE")("h,help", "show this help");
  add_password_file_option(opts);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  if (!args->count("key"))
    return usage_error("public-key", "--key FILE is required");
  std::string path = (*args)["key"].as<std::string>();
  auto key = load_private_key(path, (*args)["password-file"].as<std::string>());
  if (!key)
    return report(key.error());

  std::string pem = key->public_key_pem();
  if (args->count("outfile")) {
    std::string out = (*args)["outfile"].as<std::string>();
    auto w = common::write_file_atomic(out, pem, 0644, common::Overwrite::yes);
    if (!w)
      return report(std::move(w.error()).context("writing the public key"));
    return kOk;
  }
  std::cout << pem << std::flush;
  if (!std::cout)
    return report(common::make_error(common::ErrorKind::io, "cannot write to stdout"));
  return kOk;
}

} // namespace isign::cli
